"""The switch of the speed-ups of moto's internals (moto_patches.py, fast_calls.py).

They replace about 26 private functions, methods and properties of moto (and two of botocore's), written
against one release of moto: the one pyproject.toml pins. They are installed when the emulation opens
(`aws.start_in_process()`, `aws.start_server()`: a LocalRuntime, or a test's in-process emulation), once
per process, and never by an import. Before installing, the installed moto's version is checked against
MOTO_VERSION: another release fails with an error naming the files to update, rather than with a wrong
answer deep inside moto.

NUDGE_LOCAL_PLAIN_MOTO=1 (read here only) leaves moto as it is released: the same answers, the same bill,
slower. It applies to what is not yet installed: a process that installed the speed-ups keeps them (they
cannot be taken back out of moto's classes), so a plain run is a process of its own (`make test` runs the
adapter contract suite once more that way).

Not speed-ups, and installed whatever this switch says (by the runtime, which composes them with the
emulation: runtime/runtime.py): IAM enforcement (runtime/iam.py), the counters of the bill
(bill/counters.py) and the crash drills (chaos.py).
"""

import os
import sys
import threading
from importlib import metadata
from typing import Any

PLAIN_ENV = "NUDGE_LOCAL_PLAIN_MOTO"
# The release of moto moto_patches.py and fast_calls.py were written and tested against (pyproject.toml
# pins it: "moto[server]==5.2.5").
MOTO_VERSION = "5.2.5"

_lock = threading.Lock()
_installed = False


def plain() -> bool:
    """Whether moto is to be left as released (NUDGE_LOCAL_PLAIN_MOTO=1)."""
    return os.environ.get(PLAIN_ENV, "").strip().lower() in ("1", "true", "yes")


class MotoVersionError(RuntimeError):
    pass


def check_moto_version(found: str | None = None) -> None:
    found = found or metadata.version("moto")
    if found != MOTO_VERSION:
        raise MotoVersionError(
            f"moto {found} is installed, but the local runtime's speed-ups of moto's internals were written "
            f"for moto {MOTO_VERSION}. Check local/nudge_local/emulation/moto_patches.py and "
            f"local/nudge_local/emulation/fast_calls.py against moto {found} (each patched name still exists "
            f"and does what the replacement assumes; tests/unit/local/test_fast_calls.py and test_queries.py "
            f"compare them with moto's own), then update MOTO_VERSION in "
            f"local/nudge_local/emulation/speedups.py and the pin in pyproject.toml. "
            f"Or run without them: {PLAIN_ENV}=1."
        )


def install() -> bool:
    """Install the speed-ups, once per process, unless NUDGE_LOCAL_PLAIN_MOTO=1. Whether they are
    installed."""
    global _installed
    with _lock:
        if _installed or plain():
            return _installed
        check_moto_version()
        from nudge_local.emulation import fast_calls, moto_patches

        fast_calls.install()
        moto_patches.install()
        _installed = True
        return True


def installed() -> bool:
    return _installed


def has_visible_messages(queue: Any) -> bool:
    """Whether a receive from this moto queue could return anything now (the same test as a receive's)."""
    if _installed:
        return bool(sys.modules["nudge_local.emulation.moto_patches"].has_visible_messages(queue))
    return bool(queue.messages)
