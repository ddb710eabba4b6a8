"""The simulated clock the local runtime installs into Nudge (`nudge.clock.set_source`).

Frozen by default, so a replay is deterministic: time moves only when told (`set`, `advance`). A ticking
clock (for `nudge local serve`) also moves with wall time from its start, so signed webhooks whose
timestamps are checked against "now" still pass while someone is clicking around.
Time never goes backwards: a schedule that fired must not become due again.
"""

import re
import threading
import time
from datetime import UTC, datetime, timedelta


class ClockError(ValueError):
    """A request to move the clock backwards, or an unreadable instant / duration."""


_ISO_DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """ISO 8601 durations of days and time (P3D, PT3H, P1DT30M); months and years are ambiguous."""
    match = _ISO_DURATION.match(text.strip().upper())
    if not match or text.strip().upper() in ("P", "PT"):
        raise ClockError(f"not an ISO 8601 duration of days/hours/minutes/seconds: {text!r}")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return timedelta(**parts)


def parse_instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise ClockError(f"not an ISO 8601 instant: {text!r}") from error
    if instant.tzinfo is None:
        raise ClockError(f"an instant needs a UTC offset, e.g. +09:00: {text!r}")
    return instant.astimezone(UTC)


class SimulatedClock:
    def __init__(self, start: datetime, *, ticking: bool = False) -> None:
        if start.tzinfo is None:
            raise ClockError("the start instant needs a time zone")
        self._lock = threading.Lock()
        self._base = start.astimezone(UTC)
        self._ticking = ticking
        self._wall_base = time.monotonic()

    @property
    def ticking(self) -> bool:
        return self._ticking

    def now(self) -> datetime:
        with self._lock:
            return self._now()

    def _now(self) -> datetime:
        if not self._ticking:
            return self._base
        return self._base + timedelta(seconds=time.monotonic() - self._wall_base)

    def set(self, instant: datetime) -> datetime:
        """Move to `instant` (equal to now is fine); refuses to go backwards."""
        if instant.tzinfo is None:
            raise ClockError("an instant needs a time zone")
        with self._lock:
            target = instant.astimezone(UTC)
            current = self._now()
            if target < current:
                raise ClockError(
                    f"the clock does not go backwards: {target.isoformat()} < {current.isoformat()}"
                )
            self._base, self._wall_base = target, time.monotonic()
            return target

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ClockError("the clock does not go backwards")
        with self._lock:
            self._base, self._wall_base = self._now() + delta, time.monotonic()
            return self._base
