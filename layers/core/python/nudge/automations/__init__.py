"""Automations: journeys an event starts, their timed steps and the ready-made templates."""
