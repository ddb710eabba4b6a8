"""Sending: one send job, exactly once, through the store's gateway; its tracking links."""
