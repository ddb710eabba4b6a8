"""The reconciliation: what a platform's webhooks missed, read from its API and fed through the same path.

Cafe24 says its webhooks can be lost (developer notice 2024-12-31, "웹훅 간헐적 유실") and tells apps to
reconcile with the Admin API. Every run reads, since the store's cursor less a day (Cafe24 filters orders by
date, not by time):

- the orders any of whose dates fall in the window (placed, paid, shipped, delivered, cancelled, returned),
- the members who joined in it,
- the products changed in it,
- and first the ids webhooks could not read when they came (a lapsed install, Cafe24 down: PendingReads).

Each order becomes its facts (nudge.ingest.platforms.cafe24_records), keyed as the webhook keys them, so what
a webhook already applied is a duplicate and only what was missed is applied: `recovered` counts those. The
facts whose delivery is already recorded are skipped before their profile is read (one batched read), so a
quiet day costs the API calls and that read only.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from nudge.ingest.platforms import cafe24_records as records
from nudge.ingest.platforms.delivery import Delivery, PlatformAnswers
from nudge.ingest.service import IngestDependencies, apply_one
from nudge.stores import Store

CURSOR = "cafe24-reconcile"
OVERLAP = timedelta(days=1)  # Cafe24's order and member filters take dates: yesterday is read again
FIRST_WINDOW = timedelta(days=3)  # a store's first run looks this far back
SOURCE = "cafe24:reconciled"


class SyncCursors(Protocol):
    def get(self, store_id: str, name: str) -> datetime | None: ...

    def put(self, store_id: str, name: str, at: datetime) -> None: ...


class ChangeSource(Protocol):
    """A store's platform API as the reconciliation reads it (nudge.adapters.cafe24_reader)."""

    def orders_changed(self, since: datetime, until: datetime) -> Iterable[Mapping[str, Any]]: ...

    def members_joined(self, since: datetime, until: datetime) -> Iterable[Mapping[str, Any]]: ...

    def products_changed(self, since: datetime, until: datetime) -> Iterable[Mapping[str, Any]]: ...

    def read(
        self, orders: tuple[str, ...], members: tuple[str, ...], products: tuple[str, ...]
    ) -> PlatformAnswers: ...

    @property
    def calls(self) -> int:
        """API calls made so far (the benchmark's unit)."""
        ...


@dataclass(frozen=True, slots=True)
class Pending:
    orders: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    products: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.orders or self.members or self.products)


class PendingStore(Protocol):
    def add(
        self, store_id: str, orders: tuple[str, ...], members: tuple[str, ...], products: tuple[str, ...]
    ) -> None: ...

    def take(self, store_id: str) -> Pending:
        """What waits (read, not removed: `clear` removes what a run applied)."""
        ...

    def clear(self, store_id: str, pending: Pending) -> None: ...


class RunLog(Protocol):
    def put(self, store_id: str, run: dict[str, object]) -> None:
        """Keep the run's result (counts and times) for the admin API."""
        ...


class RecordedDeliveries(Protocol):
    def recorded(self, store_id: str, keys: list[str]) -> set[str]:
        """Which of these delivery keys are recorded already (applied, ignored or duplicate)."""
        ...


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    orders_read: int
    members_read: int
    products_read: int
    recovered: int  # deliveries the webhooks had missed, applied now
    already: int  # deliveries the webhooks had brought (skipped)
    pending_read: int  # ids that waited for this run (webhooks the API could not answer)
    api_calls: int
    since: datetime
    until: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "orders_read": self.orders_read,
            "members_read": self.members_read,
            "products_read": self.products_read,
            "recovered": self.recovered,
            "already_known": self.already,
            "pending_read": self.pending_read,
            "api_calls": self.api_calls,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
        }


def reconcile(
    store: Store,
    source: ChangeSource,
    cursors: SyncCursors,
    pending: PendingStore,
    recorded: RecordedDeliveries,
    deps: IngestDependencies,
    now: datetime,
    runs: RunLog | None = None,
) -> ReconcileResult:
    """One run for one store. The cursor moves only when the run completes: a run that fails (the API
    unavailable) is read again whole by the next."""
    last = cursors.get(store.store_id, CURSOR)
    since = (last - OVERLAP) if last is not None else now - FIRST_WINDOW
    waiting = pending.take(store.store_id)
    deliveries: list[Delivery] = []
    products: list[Mapping[str, Any]] = []
    if waiting:
        answers = source.read(waiting.orders, waiting.members, waiting.products)
        for order in answers.orders.values():
            deliveries.extend(records.order_deliveries(order, store, SOURCE))
        for member_id, member in answers.members.items():
            key = f"cafe24:member:{member_id}:reread:{now:%Y%m%dT%H%M%S}"
            deliveries.append(records.member_deliveries(member, store, SOURCE, key, now, joined=False))
        products.extend(answers.products.values())
    orders = list(source.orders_changed(since, now))
    members = list(source.members_joined(since, now))
    changed = list(source.products_changed(since, now))
    for order in orders:
        deliveries.extend(records.order_deliveries(order, store, SOURCE))
    for member in members:
        deliveries.append(records.member_joined(member, store, SOURCE, now))
    products.extend(changed)

    unique = list({d.key: d for d in deliveries}.values())
    known = recorded.recorded(store.store_id, [d.key for d in unique])
    recovered = 0
    for delivery in unique:
        if delivery.key in known:
            continue
        applied = apply_one(delivery, store, deps, now)
        recovered += applied.status in ("applied", "erased")
    catalog = [r for r in (records.product_record(p, store, SOURCE, now) for p in products) if r is not None]
    if catalog and deps.products is not None:
        deps.products.update(store, catalog, now)
    cursors.put(store.store_id, CURSOR, now)
    if waiting:
        pending.clear(store.store_id, waiting)
    result = ReconcileResult(
        orders_read=len(orders),
        members_read=len(members),
        products_read=len(changed),
        recovered=recovered,
        already=sum(d.key in known for d in unique),
        pending_read=len(waiting.orders) + len(waiting.members) + len(waiting.products),
        api_calls=source.calls,
        since=since,
        until=now,
    )
    if runs is not None:
        runs.put(store.store_id, result.as_dict())
    return result
