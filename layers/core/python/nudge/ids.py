"""The one place Nudge makes up identifiers (a campaign's, an automation's, a segment's).

In AWS they are random. The local runtime replaces the source with a seeded generator (`set_source`), as it
replaces the clock (nudge.clock): a replayed month then names its campaigns and automations alike, and so
does everything made from those names (send ids, link tokens, schedule names) and every order that follows
from them (which of two schedules due the same minute fires first, which of two messages that touched an
order in the same second is credited with it).
"""

import secrets
from collections.abc import Callable

_source: Callable[[int], str] = secrets.token_hex


def token_hex(nbytes: int) -> str:
    """`nbytes` random bytes as 2 * nbytes hex digits (from the installed source)."""
    return _source(nbytes)


def set_source(source: Callable[[int], str] | None) -> None:
    """Install a source of ids (the local runtime's seeded one); None restores `secrets.token_hex`."""
    global _source
    _source = source or secrets.token_hex
