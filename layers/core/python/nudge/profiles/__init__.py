"""Profiles: a customer as the store knows them, the events that change them, and their consent."""
