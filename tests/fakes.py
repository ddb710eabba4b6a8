"""In-memory implementations of Nudge's ports, with the same semantics as the DynamoDB adapters
(conditional delivery record, version-checked profile), so domain tests need no AWS at all."""

import copy
from dataclasses import dataclass, field

from nudge.ingest.service import IngestDependencies
from nudge.ports import DeliveryRecord, SaveOutcome
from nudge.profiles.events import NormalizedEvent
from nudge.profiles.profile import Profile
from nudge.stores import Store
from nudge_local.runtime.stores import LOCAL_STORES


class InMemoryStores:
    def __init__(self, stores: list[Store]) -> None:
        self.stores = {s.store_id: s for s in stores}

    def get(self, store_id: str) -> Store | None:
        return self.stores.get(store_id)


class InMemorySecrets:
    def __init__(self, secrets: dict[tuple[str, str], str]) -> None:
        self.secrets = secrets

    def get(self, store_id: str, name: str) -> str | None:
        return self.secrets.get((store_id, name))


@dataclass
class InMemoryProfiles:
    profiles: dict[tuple[str, str], Profile] = field(default_factory=dict)
    records: dict[tuple[str, str], DeliveryRecord] = field(default_factory=dict)
    order_index: dict[tuple[str, str], str] = field(default_factory=dict)
    saves: int = 0
    # Simulates another writer changing the profile between load and save, this many times.
    interleaved_writes: int = 0

    def load(self, store_id: str, customer_id: str) -> Profile | None:
        profile = self.profiles.get((store_id, customer_id))
        return copy.deepcopy(profile)

    def customer_for_order(self, store_id: str, order_id: str) -> str | None:
        return self.order_index.get((store_id, order_id))

    def save(self, profile: Profile, record: DeliveryRecord, expected_version: int) -> SaveOutcome:
        if (record.store_id, record.key) in self.records:
            return SaveOutcome.DUPLICATE
        key = (profile.store_id, profile.customer_id)
        if self.interleaved_writes:
            self.interleaved_writes -= 1
            stored = self.profiles.get(key)
            if stored is not None:
                stored.version += 1
        current = self.profiles.get(key)
        if (current.version if current else 0) != expected_version:
            return SaveOutcome.CONFLICT
        saved = copy.deepcopy(profile)
        saved.version = expected_version + 1
        self.profiles[key] = saved
        self.records[(record.store_id, record.key)] = record
        for order_id in record.orders_placed:
            self.order_index[(record.store_id, order_id)] = profile.customer_id
        self.saves += 1
        return SaveOutcome.APPLIED

    def create(self, profiles: list[Profile]) -> list[bool]:
        written = []
        for profile in profiles:
            key = (profile.store_id, profile.customer_id)
            if key in self.profiles:
                written.append(False)
                continue
            saved = copy.deepcopy(profile)
            saved.version = 1
            self.profiles[key] = saved
            written.append(True)
        return written

    def record(self, record: DeliveryRecord) -> SaveOutcome:
        if (record.store_id, record.key) in self.records:
            return SaveOutcome.DUPLICATE
        self.records[(record.store_id, record.key)] = record
        return SaveOutcome.APPLIED

    def get(self, store_id: str, customer_id: str) -> Profile:
        return self.profiles[(store_id, customer_id)]


@dataclass
class RecordingPublisher:
    published: list[NormalizedEvent] = field(default_factory=list)
    fail_next: int = 0

    def publish(self, events: list[NormalizedEvent]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("events queue unavailable")
        self.published.extend(events)


def local_dependencies() -> tuple[IngestDependencies, InMemoryProfiles, RecordingPublisher]:
    """Dependencies holding the local runtime's two stores and their secrets."""
    secrets = {(s.store.store_id, name): value for s in LOCAL_STORES for name, value in s.secrets.items()}
    profiles, publisher = InMemoryProfiles(), RecordingPublisher()
    deps = IngestDependencies(
        InMemoryStores([s.store for s in LOCAL_STORES]), InMemorySecrets(secrets), profiles, publisher
    )
    return deps, profiles, publisher
