"""In-memory journeys, slots, catalog and queue with the DynamoDB adapters' semantics (conditional puts,
state moves only from `due`), so the automation domain is tested without AWS."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from nudge.automations.runs import AutomationDependencies, DueStep, State
from nudge.profiles.profile import Profile
from nudge.sending.jobs import SendJob
from nudge.stores import Store


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
    ) -> bool:
        key = (store_id, automation_id, customer_id, "last" if window else business_key)
        found = self.entries.get(key)
        if found is not None and found[0] != occurrence and (window is None or found[1] >= at - window):
            return False
        self.entries[key] = (occurrence, at)
        return True


@dataclass
class RecordingSlots:
    slots: set[tuple[str, datetime]] = field(default_factory=set)
    failures: int = 0  # the next N calls fail like a throttled Scheduler

    def ensure_slot(self, store: Store, slot: datetime, now: datetime) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("ThrottlingException")
        assert slot > now
        self.slots.add((store.store_id, slot))


@dataclass
class RecordingQueue:
    jobs: list[SendJob] = field(default_factory=list)

    def enqueue(self, jobs: list[SendJob]) -> None:
        self.jobs.extend(jobs)


@dataclass
class Catalog:
    documents_by_id: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def get(self, store_id: str, kind: str, item_id: str) -> dict[str, Any] | None:
        return self.documents_by_id.get((store_id, item_id))

    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]:
        return [d for (s, _), d in self.documents_by_id.items() if s == store_id]


@dataclass
class Profiles:
    profiles: dict[tuple[str, str], Profile] = field(default_factory=dict)

    def load(self, store_id: str, customer_id: str) -> Profile | None:
        return self.profiles.get((store_id, customer_id))


@dataclass
class World:
    catalog: Catalog = field(default_factory=Catalog)
    profiles: Profiles = field(default_factory=Profiles)
    journeys: InMemoryJourneys = field(default_factory=InMemoryJourneys)
    slots: RecordingSlots = field(default_factory=RecordingSlots)
    queue: RecordingQueue = field(default_factory=RecordingQueue)

    @property
    def deps(self) -> AutomationDependencies:
        return AutomationDependencies(
            self.catalog, self.profiles, self.journeys, self.journeys, self.slots, self.queue
        )
