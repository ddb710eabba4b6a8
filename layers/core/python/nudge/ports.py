"""What the domain needs from the outside world. Adapters (nudge.adapters.*) implement these over AWS;
tests implement them in memory."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from nudge.profiles.events import NormalizedEvent
from nudge.profiles.profile import Profile
from nudge.stores import Store


class SaveOutcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # this delivery was recorded before: nothing was written
    CONFLICT = "conflict"  # the profile changed since it was loaded: load and try again


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """The trace one webhook delivery leaves, written with the profile change or not at all."""

    store_id: str
    key: str
    received_at: datetime
    status: str  # applied | ignored
    customer_id: str | None = None
    event_types: tuple[str, ...] = ()
    reason: str | None = None
    orders_placed: tuple[str, ...] = field(default=())  # order ids to index by customer


class StoreDirectory(Protocol):
    def get(self, store_id: str) -> Store | None: ...


class SecretStore(Protocol):
    def get(self, store_id: str, name: str) -> str | None: ...


class ProfileRepository(Protocol):
    def load(self, store_id: str, customer_id: str) -> Profile | None: ...

    def customer_for_order(self, store_id: str, order_id: str) -> str | None: ...

    def save(self, profile: Profile, record: DeliveryRecord, expected_version: int) -> SaveOutcome:
        """Write the profile (if it still has `expected_version`) and the delivery record, atomically."""
        ...

    def create(self, profiles: list[Profile]) -> list[bool]:
        """Write profiles for customers not known yet (member import): per profile, whether it was
        written (False: one already existed)."""
        ...

    def record(self, record: DeliveryRecord) -> SaveOutcome:
        """Write a delivery record alone (an ignored event): APPLIED, or DUPLICATE if it exists."""
        ...


class EventPublisher(Protocol):
    def publish(self, events: list[NormalizedEvent]) -> None: ...


# The catalog's kinds the sender reads a message from (a send job's source is "{kind}:{id}"): the campaigns
# write one (and a segment some campaign uses is not deleted), the automations the other.
CAMPAIGN = "campaign"
AUTOMATION = "automation"


class Catalog(Protocol):
    """A store's saved definitions by kind (segment, campaign, automation …) and its campaigns' runs."""

    def put(
        self, store_id: str, kind: str, item_id: str, document: dict[str, Any], *, create: bool
    ) -> bool: ...

    def get(self, store_id: str, kind: str, item_id: str) -> dict[str, Any] | None: ...

    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]: ...

    def delete(self, store_id: str, kind: str, item_id: str) -> bool: ...

    def runs(self, store_id: str, campaign_id: str) -> list[dict[str, Any]]: ...
