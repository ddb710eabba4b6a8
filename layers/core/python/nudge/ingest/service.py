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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from pydantic import ValidationError

from nudge.errors import FieldError, InvalidPayload, NotFound, field_errors
from nudge.ingest.platforms.delivery import (
    Delivery,
    ErasureRequest,
    PlatformRead,
    PlatformReader,
    PlatformUnavailable,
    WebhookRequest,
)
from nudge.ingest.platforms.registry import PLATFORM_NAMES, platform
from nudge.ingest.tracker import Counters, LocalCounters, TrackerAdmission, is_anonymous, translate_batch
from nudge.ports import (
    DeliveryRecord,
    EventPublisher,
    ProfileRepository,
    SaveOutcome,
    SecretStore,
    StoreDirectory,
)
from nudge.products.model import ProductRecord
from nudge.profiles.budget import fit
from nudge.profiles.events import ConsentChanged, EventType, NormalizedEvent
from nudge.profiles.profile import Profile, apply_event, prune
from nudge.stores import SECRET_NAMES, Store

MAX_ATTEMPTS = 5
T = TypeVar("T")


class ConcurrentUpdates(RuntimeError):
    """The profile kept changing under us; the platform's retry will apply the delivery later."""


@dataclass(frozen=True, slots=True)
class IngestDependencies:
    stores: StoreDirectory
    secrets: SecretStore
    profiles: ProfileRepository
    publisher: EventPublisher
    # The tracker's per-store count of new visitors: this process's own unless the wiring gives the shared
    # ones (nudge.adapters.counters, in AWS).
    counters: Counters = field(default_factory=LocalCounters)
    # Erasure records (nudge.erasure): an event of a customer erased after it happened creates no profile.
    erased: "ErasedCustomers | None" = None
    # Erases a customer when a platform asks (Shopify's customers/redact): the erasure area's front door.
    eraser: "CustomerEraser | None" = None
    # The store's product catalog (nudge.products): product webhooks update it, cart and order lines are
    # completed from it (price, name), and what a customer carts or views is noted for its alerts.
    products: "ProductCatalog | None" = None
    # A store's platform API (the Cafe24 Admin API once the app is installed), or None: what a webhook names
    # but does not carry is read from it (nudge.ingest.platforms.delivery.PlatformRead).
    readers: "Callable[[Store, str], PlatformReader | None] | None" = None
    # Reads the platform's API could not answer (a lapsed install, Cafe24 down): they wait here for the
    # reconciliation (nudge.ingest.reconcile), so a webhook is never lost for a token.
    pending: "PendingReads | None" = None


class ErasedCustomers(Protocol):
    def erased_at(self, store_id: str, customer_id: str) -> datetime | None:
        """When the customer was last erased (None: never)."""
        ...


class ProductCatalog(Protocol):
    def update(self, store: Store, products: list[ProductRecord], now: datetime) -> str:
        """Apply what a platform says about products; answer what changed, in words (no personal data)."""
        ...

    def complete_lines(self, store: Store, events: list[NormalizedEvent]) -> list[NormalizedEvent]:
        """The events with each cart and order line's missing price and name filled from the catalog."""
        ...

    def note_interest(
        self, store: Store, customer_id: str, events: list[NormalizedEvent], now: datetime
    ) -> None:
        """Remember which products the customer carted or viewed (back-in-stock, price-drop alerts)."""
        ...


class PendingReads(Protocol):
    def add(
        self, store_id: str, orders: tuple[str, ...], members: tuple[str, ...], products: tuple[str, ...]
    ) -> None: ...


class CustomerEraser(Protocol):
    def __call__(
        self, store_id: str, customer_id: str, requested_by: str, now: datetime, order_ids: tuple[str, ...]
    ) -> object: ...


# Why a delivery of an erased customer's events is not applied (they happened before the erasure).
ERASED = "the customer was erased after these events happened"


@dataclass(frozen=True, slots=True)
class IngestResult:
    status: str  # applied | duplicate | ignored
    delivery_key: str
    customer_id: str | None
    event_types: tuple[str, ...]
    reason: str | None = None
    not_kept: tuple[FieldError, ...] = ()  # fields left out of the profile, and why (Delivery.not_kept)
    trimmed: tuple[str, ...] = ()  # parts of the profile whose oldest detail went to keep its budget

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
    if delivery.read is not None:
        return _read_then_apply(delivery, delivery.read, source.name, store, deps, request.received_at)
    return apply_one(delivery, store, deps, request.received_at)


def apply_one(delivery: Delivery, store: Store, deps: IngestDependencies, now: datetime) -> IngestResult:
    """One translated delivery: an erasure, a catalog update, or events for a profile."""
    if delivery.erasure is not None:
        return _erase(delivery, delivery.erasure, store, deps, now)
    if delivery.products:
        return _update_catalog(delivery, store, deps, now)
    return apply_delivery(delivery, store, deps, now)


def apply_all(
    deliveries: list[Delivery], key: str, store: Store, deps: IngestDependencies, now: datetime
) -> IngestResult:
    """Several deliveries made of one webhook (an order's facts, a bulk event's orders): each applied on its
    own (its own key, so a retry or the reconciliation finds each done), answered as one."""
    return combined(key, [apply_one(d, store, deps, now) for d in deliveries])


def combined(key: str, results: list[IngestResult]) -> IngestResult:
    if len(results) == 1:
        return results[0]
    statuses = [r.status for r in results]
    status: str | None = next((s for s in ("applied", "erased") if s in statuses), None)
    if status is None:
        status = "duplicate" if statuses and all(s == "duplicate" for s in statuses) else "ignored"
    customers = {r.customer_id for r in results if r.customer_id}
    reasons = [r.reason for r in results if r.reason and r.status not in ("applied", "duplicate")]
    return IngestResult(
        status,
        key,
        customers.pop() if len(customers) == 1 else None,
        tuple(t for r in results if r.status == "applied" for t in r.event_types),
        "; ".join(dict.fromkeys(reasons)) or (None if results else "nothing to apply"),
        tuple(f for r in results for f in r.not_kept),
        tuple(dict.fromkeys(t for r in results for t in r.trimmed)),
    )


def _read_then_apply(
    delivery: Delivery,
    read: PlatformRead,
    platform_name: str,
    store: Store,
    deps: IngestDependencies,
    now: datetime,
) -> IngestResult:
    """Read what the webhook names from the platform's API, then apply what it holds. The API unable to
    answer, the ids wait for the reconciliation and the webhook is answered as deferred (never lost)."""
    reader = deps.readers(store, platform_name) if deps.readers is not None else None
    if reader is None:
        return apply_all(_translated(read.alone), delivery.key, store, deps, now)
    try:
        answers = reader.read(read.orders, read.members, read.products)
    except PlatformUnavailable as unavailable:
        if deps.pending is None:
            raise
        deps.pending.add(store.store_id, read.orders, read.members, read.products)
        reason = f"waiting for the reconciliation: {unavailable}"
        return IngestResult("deferred", delivery.key, None, (), reason)
    return apply_all(_translated(lambda: read.complete(answers)), delivery.key, store, deps, now)


def _update_catalog(
    delivery: Delivery, store: Store, deps: IngestDependencies, now: datetime
) -> IngestResult:
    """A product webhook: the catalog takes it (order-safe, so a retry or a late one changes nothing)."""
    if deps.products is None:
        raise RuntimeError("this function cannot update the product catalog (no catalog in its dependencies)")
    reason = deps.products.update(store, delivery.products, now)
    return IngestResult("applied", delivery.key, None, (), reason, tuple(delivery.not_kept))


def _erase(
    delivery: Delivery, request: ErasureRequest, store: Store, deps: IngestDependencies, now: datetime
) -> IngestResult:
    """A platform asks for customers to be erased: each customer it names, and the owner of each order it
    names (the order index). Erasing is idempotent, so a retry of the webhook simply erases again."""
    if deps.eraser is None:
        raise RuntimeError("this function cannot erase customers (no eraser in its dependencies)")
    customers = list(request.customer_ids)
    for order_id in request.order_ids:
        owner = deps.profiles.customer_for_order(store.store_id, order_id)
        if owner is not None:
            customers.append(owner)
    erased = list(dict.fromkeys(customers))
    for customer_id in erased:
        deps.eraser(store.store_id, customer_id, request.requested_by, now, request.order_ids)
    # The answer and the log say how many, never who.
    reason = f"{len(erased)} customer record(s) erased"
    return IngestResult("erased", delivery.key, None, (), reason, tuple(delivery.not_kept))


def receive_tracker_batch(
    body: bytes, store: Store, deps: IngestDependencies, received_at: datetime
) -> IngestResult:
    """A storefront tracker batch (already matched to its store): its member only if the store vouched for
    them, within the tracker's limits (nudge.ingest.tracker)."""
    secret = lambda: deps.secrets.get(store.store_id, SECRET_NAMES["tracker"])  # noqa: E731
    delivery = _translated(lambda: translate_batch(body, store, received_at, secret))
    admission = TrackerAdmission(
        store.store_id, deps.counters, received_at, anonymous=is_anonymous(delivery.customer_id)
    )
    return apply_delivery(delivery, store, deps, received_at, admission)


class Admission(Protocol):
    """Whether a delivery may change the profile it names (the tracker's limits), asked before each attempt;
    `count` marks the profile it is applied to."""

    def check(self, profile: Profile | None) -> None: ...

    def count(self, profile: Profile) -> None: ...


def _translated(translate: Callable[[], T]) -> T:
    try:
        return translate()
    except ValidationError as exc:
        # A payload that parsed but produced an impossible event (e.g. a path without a leading slash).
        raise InvalidPayload("payload does not make a valid event", field_errors(exc)) from exc


def apply_delivery(
    delivery: Delivery,
    store: Store,
    deps: IngestDependencies,
    now: datetime,
    admission: Admission | None = None,
) -> IngestResult:
    customer_id, events, reason = delivery.customer_id, delivery.events, delivery.ignored
    if reason is None and delivery.order_lookup is not None and delivery.for_customer is not None:
        customer_id = deps.profiles.customer_for_order(store.store_id, delivery.order_lookup)
        if customer_id is None:
            reason = f"order {delivery.order_lookup} was not placed through Nudge's webhooks"
        else:
            # Built only now (a Shopify fulfillment names only its order): refused as the translation is.
            for_customer, known = delivery.for_customer, customer_id
            events = _translated(lambda: for_customer(known))
    if reason is not None or customer_id is None or not events:
        record = DeliveryRecord(store.store_id, delivery.key, now, "ignored", reason=reason or "no events")
        outcome = deps.profiles.record(record)
        status = "duplicate" if outcome is SaveOutcome.DUPLICATE else "ignored"
        return IngestResult(status, delivery.key, None, (), record.reason, tuple(delivery.not_kept))

    if deps.products is not None:
        # Lines a platform sent without a price or a name (Cafe24's cart event) get them from the catalog,
        # so cart-amount segments and product variables work the same for every platform.
        events = deps.products.complete_lines(store, events)
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
        if admission is not None:
            admission.check(profile)
        if profile is None and deps.erased is not None:
            erased_at = deps.erased.erased_at(store.store_id, customer_id)
            kept = [e for e in events if erased_at is None or e.occurred_at > erased_at]
            if len(kept) < len(events):
                # A retry or a late delivery of what happened before the customer was erased: not applied
                # (what happened after it is new activity, and starts a new profile).
                later = Delivery(delivery.key, customer_id, kept, ERASED if not kept else None)
                later.not_kept = delivery.not_kept
                return apply_delivery(later, store, deps, now, admission)
        if profile is None:
            profile = Profile(store.store_id, customer_id, created_at=now)
        applied = _news(events, profile)
        for event in applied:
            apply_event(profile, event, store.zone)
        if admission is not None:
            admission.count(profile)
        prune(profile, now, store.zone)
        # Within its budget whatever arrived: a write past DynamoDB's item limit would fail this delivery
        # and every later one for the customer (nudge.profiles.budget).
        trimmed = tuple(part.value for part in fit(profile))
        outcome = deps.profiles.save(profile, record, expected_version)
        if outcome is SaveOutcome.CONFLICT:
            continue
        deps.publisher.publish(applied)
        status = "applied" if outcome is SaveOutcome.APPLIED else "duplicate"
        if deps.products is not None and outcome is SaveOutcome.APPLIED:
            deps.products.note_interest(store, customer_id, applied, now)
        return IngestResult(
            status,
            delivery.key,
            customer_id,
            tuple(e.type.value for e in applied),
            None,
            tuple(delivery.not_kept),
            trimmed,
        )
    raise ConcurrentUpdates(f"profile kept changing during {MAX_ATTEMPTS} attempts")


def _news(events: list[NormalizedEvent], profile: Profile) -> list[NormalizedEvent]:
    """The events less a platform's restated consents that say what the profile already holds (a member
    record read again for another change must not redate the consent or notify it again)."""

    def restates(event: NormalizedEvent) -> bool:
        if not isinstance(event, ConsentChanged) or not event.restated:
            return False
        current = profile.consents.get(event.channel.value)
        return current is not None and current.granted == event.granted

    return [e for e in events if not restates(e)]
