"""The one place Nudge reads the time.

In AWS this is the system clock. The local runtime replaces the source with its simulated clock
(`set_source`), so every handler, rule and schedule sees the same "now" during a replay.
"""

from collections.abc import Callable
from datetime import UTC, datetime


def _system_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return _source()


def set_source(source: Callable[[], datetime] | None) -> None:
    """Install a clock (the local runtime's simulated one); None restores the system clock."""
    global _source
    _source = source or _system_now
