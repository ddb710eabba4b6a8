"""Clocks for `now: Callable[[], datetime]` dependencies: one a test moves by hand, one that runs."""

import time
from datetime import datetime, timedelta


class ManualClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, by: timedelta) -> None:
        self.at += by


class RunningClock:
    """`start` plus the time elapsed since this clock was made (monotonic: the machine's uptime cannot put
    "noon" into the night window), plus whatever `advance` added (a lease let run out)."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.offset = timedelta()
        self.started = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.started) + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by
