"""The journeys table: due steps and journey entries (nudge.automations.runs.DueSteps, Entries), with the
DynamoDB adapter's semantics: conditional puts, a due step moves on only from `due`."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from nudge.automations.runs import DueStep, State

if TYPE_CHECKING:
    from nudge.automations.runs import DueSteps, Entries


@dataclass
class InMemoryJourneys:
    steps: dict[tuple[str, datetime, str], tuple[DueStep, str, str]] = field(default_factory=dict)
    entries: dict[tuple[str, str, str, str], tuple[str, datetime]] = field(default_factory=dict)

    def put(self, step: DueStep, slot: datetime, now: datetime) -> bool:
        key = (step.store_id, slot, step.key)
        if key in self.steps:
            return False
        self.steps[key] = (step, "due", "")
        return True

    def in_slot(self, store_id: str, slot: datetime) -> list[DueStep]:
        return [s for (st, sl, _), (s, state, _) in self.steps.items() if (st, sl) == (store_id, slot)
                and state == "due"]  # fmt: skip

    def mark(self, step: DueStep, slot: datetime, state: State, detail: str, now: datetime) -> bool:
        key = (step.store_id, slot, step.key)
        if self.steps[key][1] != "due":
            return False
        self.steps[key] = (step, state, detail)
        return True

    def states(self) -> list[tuple[datetime, str, str]]:
        return sorted((slot, state, detail) for (_, slot, _), (_, state, detail) in self.steps.items())

    def enter(
        self,
        store_id: str,
        automation_id: str,
        customer_id: str,
        business_key: str,
        occurrence: str,
        at: datetime,
        window: timedelta | None,
        per_key: bool = False,
    ) -> bool:
        key = (store_id, automation_id, customer_id, business_key if per_key or not window else "last")
        found = self.entries.get(key)
        if found is not None and found[0] != occurrence and (window is None or found[1] >= at - window):
            return False
        self.entries[key] = (occurrence, at)
        return True


if TYPE_CHECKING:  # mypy holds each fake to the Protocols it stands in for
    _due_steps: DueSteps = InMemoryJourneys()
    _entries: Entries = InMemoryJourneys()
