"""In-memory implementations of Nudge's ports (nudge.ports) and of the areas' dependency Protocols, with the
semantics of the adapters they stand in for (conditional writes, version checks, a copy on every read), so
the domain's tests and the benches need no AWS for what they do not measure. One module per port family;
each ends with the Protocols mypy holds its fakes to."""

from tests.fakes.catalog import InMemoryCatalog
from tests.fakes.clock import ManualClock, RunningClock
from tests.fakes.ingest import local_dependencies
from tests.fakes.journeys import InMemoryJourneys
from tests.fakes.profiles import InMemoryMembers, InMemoryProfiles
from tests.fakes.queues import RecordingPublisher, RecordingQueue, RecordingRunRequests
from tests.fakes.scheduling import CountingSchedulerClient, RecordingSchedules, RecordingSlots
from tests.fakes.sending import CountingLimiter, Crash, InMemoryLedger, RecordingDeferrals
from tests.fakes.stores import InMemorySecrets, InMemoryStores

__all__ = [
    "CountingLimiter",
    "CountingSchedulerClient",
    "Crash",
    "InMemoryCatalog",
    "InMemoryJourneys",
    "InMemoryLedger",
    "InMemoryMembers",
    "InMemoryProfiles",
    "InMemorySecrets",
    "InMemoryStores",
    "ManualClock",
    "RecordingDeferrals",
    "RecordingPublisher",
    "RecordingQueue",
    "RecordingRunRequests",
    "RecordingSchedules",
    "RecordingSlots",
    "RunningClock",
    "local_dependencies",
]
