"""Faults the reliability drills inject into the local runtime, the way AWS produces them.

- A crash at a step boundary: a function dies just before one of its AWS requests (the request is never
  sent; everything before it happened). For a queue consumer the batch, or the record, comes back; for a
  webhook the platform sees a 5xx and delivers again.
- Redelivery: SQS is at-least-once; a message that was handled can be delivered again.

The plan is process-wide (one runtime at a time) and seeded, so a drill is repeatable.
"""

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nudge_local.emulation import hooks

# Origins that are AWS itself or the harness, never a function that could crash.
_NOT_FUNCTIONS = frozenset({"local", "scheduler", "sqs-event-source"})


class InjectedCrash(RuntimeError):
    """The function's process died here (a drill's fault, not a bug)."""


@dataclass
class FaultPlan:
    crash_rate: float = 0.0  # per AWS request a function makes
    redeliver_rate: float = 0.0  # per SQS message handled
    seed: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self.crashes = 0
        self.redeliveries = 0

    def roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._random.random() < rate


_plan: FaultPlan | None = None


def _harness() -> str:
    return "local"


_origin: Callable[[], str] = _harness  # who makes the request in progress (install_hooks)


def activate(plan: FaultPlan | None) -> None:
    global _plan
    _plan = plan


def active() -> FaultPlan | None:
    return _plan


def should_redeliver() -> bool:
    plan = _plan
    if plan is not None and plan.roll(plan.redeliver_rate):
        plan.redeliveries += 1
        return True
    return False


def _maybe_crash(event_name: str, **_: Any) -> None:
    plan = _plan
    if plan is None or _origin() in _NOT_FUNCTIONS:
        return
    if plan.roll(plan.crash_rate):
        plan.crashes += 1
        raise InjectedCrash(f"injected crash before {event_name.split('.', 1)[-1]}")


def install_hooks(origin: Callable[[], str]) -> None:
    """Crash before AWS requests while a plan is active; `origin` names who makes the request in progress
    (a function's logical id, or one of _NOT_FUNCTIONS): the runtime passes the bill's attribution."""
    global _origin
    _origin = origin
    hooks.register(("before-send", _maybe_crash))
