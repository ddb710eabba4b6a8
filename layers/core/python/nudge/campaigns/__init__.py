"""Campaigns: one message to a segment, now or on a schedule, and its runs."""
