"""The automation domain's world: its dependencies from the shared in-memory fakes (tests/fakes), so it is
tested without AWS."""

from dataclasses import dataclass, field

from nudge.automations.runs import AutomationDependencies
from tests.fakes import (
    InMemoryCatalog,
    InMemoryJourneys,
    InMemoryLedger,
    InMemoryProfiles,
    RecordingQueue,
    RecordingSlots,
)


@dataclass
class World:
    catalog: InMemoryCatalog = field(default_factory=InMemoryCatalog)
    profiles: InMemoryProfiles = field(default_factory=InMemoryProfiles)
    journeys: InMemoryJourneys = field(default_factory=InMemoryJourneys)
    slots: RecordingSlots = field(default_factory=RecordingSlots)
    queue: RecordingQueue = field(default_factory=RecordingQueue)
    ledger: InMemoryLedger = field(default_factory=InMemoryLedger)  # where stopped steps are recorded

    @property
    def deps(self) -> AutomationDependencies:
        return AutomationDependencies(
            self.catalog, self.profiles, self.journeys, self.journeys, self.slots, self.queue, self.ledger
        )
