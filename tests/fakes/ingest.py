"""The ingest area's dependencies in memory, holding the local runtime's stores and their secrets."""

from nudge.ingest.service import IngestDependencies
from nudge_local.runtime.stores import LOCAL_STORES
from tests.fakes.profiles import InMemoryProfiles
from tests.fakes.queues import RecordingPublisher
from tests.fakes.stores import InMemorySecrets, InMemoryStores


def local_dependencies() -> tuple[IngestDependencies, InMemoryProfiles, RecordingPublisher]:
    """Dependencies holding the local runtime's two stores and their secrets."""
    secrets = {(s.store.store_id, name): value for s in LOCAL_STORES for name, value in s.secrets.items()}
    profiles, publisher = InMemoryProfiles(), RecordingPublisher()
    deps = IngestDependencies(
        InMemoryStores([s.store for s in LOCAL_STORES]), InMemorySecrets(secrets), profiles, publisher
    )
    return deps, profiles, publisher
