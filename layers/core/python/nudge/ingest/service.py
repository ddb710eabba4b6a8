"""Ingest: one webhook or tracker batch in, a profile change and its normalized events out.

The path a delivery takes: the store → the platform → its signature → its normalized events → the
profile, written together with the delivery record in one DynamoDB transaction → the events queue.

Retries are harmless at every step:
- the delivery record is written only if absent, in the same transaction as the profile, so a webhook
  delivered three times changes the profile once;
- a concurrent change to the same profile fails the transaction's version check, and the delivery is
  applied again to the fresh profile;
- events are handed on after the write; if that fails the request fails and the platform retries. A
  retry of a delivery already recorded hands its events on again, so a crash between the write and the
  queue never loses an event (consumers dedupe by `event_id`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from nudge.errors import FieldError, InvalidPayload, NotFound, field_errors
from nudge.ingest.platforms.delivery import Delivery, WebhookRequest
from nudge.ingest.platforms.registry import PLATFORM_NAMES, platform
from nudge.ingest.tracker import translate_batch
from nudge.ports import (
    DeliveryRecord,
    EventPublisher,
    ProfileRepository,
    SaveOutcome,
    SecretStore,
    StoreDirectory,
)
from nudge.profiles.events import EventType
from nudge.profiles.profile import Profile, apply_event, prune
from nudge.stores import SECRET_NAMES, Store

MAX_ATTEMPTS = 5


class ConcurrentUpdates(RuntimeError):
    """The profile kept changing under us; the platform's retry will apply the delivery later."""


@dataclass(frozen=True, slots=True)
class IngestDependencies:
    stores: StoreDirectory
    secrets: SecretStore
    profiles: ProfileRepository
    publisher: EventPublisher


@dataclass(frozen=True, slots=True)
class IngestResult:
    status: str  # applied | duplicate | ignored
    delivery_key: str
    customer_id: str | None
    event_types: tuple[str, ...]
    reason: str | None = None
    not_kept: tuple[FieldError, ...] = ()  # fields left out of the profile, and why (Delivery.not_kept)

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"status": self.status, "events": list(self.event_types)}
        if self.reason:
            body["reason"] = self.reason
        if self.not_kept:
            body["not_kept"] = [f.as_dict() for f in self.not_kept]
        return body


def find_store(stores: StoreDirectory, store_id: str) -> Store:
    store = stores.get(store_id)
    if store is None:
        raise NotFound(f"unknown store {store_id!r}")
    return store


def receive_webhook(request: WebhookRequest, deps: IngestDependencies) -> IngestResult:
    """A platform webhook: authenticate it, translate it, apply it."""
    source = platform(request.platform)
    if source is None:
        raise NotFound(f"unknown platform {request.platform!r} (use one of {', '.join(PLATFORM_NAMES)})")
    store = find_store(deps.stores, request.store_id)
    if not store.accepts(source.name):
        raise NotFound(f"store {store.store_id!r} has no {source.name} connection")
    source.verify(request, deps.secrets.get(store.store_id, SECRET_NAMES[source.name]), store)
    delivery = _translated(lambda: source.translate(request, store))
    return apply_delivery(delivery, store, deps, request.received_at)


def receive_tracker_batch(
    body: bytes, store: Store, deps: IngestDependencies, received_at: datetime
) -> IngestResult:
    """A storefront tracker batch (already matched to its store)."""
    delivery = _translated(lambda: translate_batch(body, store, received_at))
    return apply_delivery(delivery, store, deps, received_at)


def _translated(translate: Callable[[], Delivery]) -> Delivery:
    try:
        return translate()
    except ValidationError as exc:
        # A payload that parsed but produced an impossible event (e.g. a path without a leading slash).
        raise InvalidPayload("payload does not make a valid event", field_errors(exc)) from exc


def apply_delivery(delivery: Delivery, store: Store, deps: IngestDependencies, now: datetime) -> IngestResult:
    customer_id, events, reason = delivery.customer_id, delivery.events, delivery.ignored
    if reason is None and delivery.order_lookup is not None and delivery.for_customer is not None:
        customer_id = deps.profiles.customer_for_order(store.store_id, delivery.order_lookup)
        if customer_id is None:
            reason = f"order {delivery.order_lookup} was not placed through Nudge's webhooks"
        else:
            events = delivery.for_customer(customer_id)
    if reason is not None or customer_id is None or not events:
        record = DeliveryRecord(store.store_id, delivery.key, now, "ignored", reason=reason or "no events")
        outcome = deps.profiles.record(record)
        status = "duplicate" if outcome is SaveOutcome.DUPLICATE else "ignored"
        return IngestResult(status, delivery.key, None, (), record.reason, tuple(delivery.not_kept))

    types = tuple(e.type.value for e in events)
    record = DeliveryRecord(
        store.store_id,
        delivery.key,
        now,
        "applied",
        customer_id=customer_id,
        event_types=types,
        orders_placed=tuple(e.order_id for e in events if e.type is EventType.ORDER_PLACED),
    )
    for _ in range(MAX_ATTEMPTS):
        profile = deps.profiles.load(store.store_id, customer_id)
        expected_version = profile.version if profile else 0
        if profile is None:
            profile = Profile(store.store_id, customer_id, created_at=now)
        for event in events:
            apply_event(profile, event, store.zone)
        prune(profile, now, store.zone)
        outcome = deps.profiles.save(profile, record, expected_version)
        if outcome is SaveOutcome.CONFLICT:
            continue
        deps.publisher.publish(events)
        status = "applied" if outcome is SaveOutcome.APPLIED else "duplicate"
        return IngestResult(status, delivery.key, customer_id, types, None, tuple(delivery.not_kept))
    raise ConcurrentUpdates(f"profile kept changing during {MAX_ATTEMPTS} attempts")
