"""The one place Nudge reads the time, and waits.

In AWS this is the system clock. The local runtime replaces the source with its simulated clock
(`set_source`), so every handler, rule and schedule sees the same "now" during a replay; a wait (the
sender's rate limit, a retry's backoff) then moves the simulated clock on instead of the wall clock.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime


def _system_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now
_sleep: Callable[[float], None] = time.sleep


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return _source()


def timestamp() -> float:
    """Now as Unix seconds."""
    return _source().timestamp()


def sleep(seconds: float) -> None:
    """Wait this long (on the installed clock)."""
    _sleep(seconds)


def set_source(source: Callable[[], datetime] | None, sleep: Callable[[float], None] | None = None) -> None:
    """Install a clock (the local runtime's simulated one) and how to wait on it; None restores the system
    clock and time.sleep."""
    global _source, _sleep
    _source = source or _system_now
    _sleep = sleep or time.sleep
