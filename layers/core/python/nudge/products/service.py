"""The store's product catalog: what the platforms say about products, merged, and who is waiting for one.

The front door of nudge.products: `CatalogService` is the ingest path's `ProductCatalog`
(nudge.ingest.service) and the admin API's read of the catalog; `forget_customer` is what an erasure calls.
It reaches DynamoDB through the `ProductStore` port (nudge.adapters.products) and hands its events on
through nudge.ports.EventPublisher. docs/products.md tells the whole story.

- update: each record is merged into the stored product (a field the record did not send keeps its value).
  Order-safe: a record older than the stored `updated_at` changes nothing, and neither does a retry (it
  merges to the same product). The write is conditional on the version read, and read again on a conflict,
  so two updates at once both count. When the write makes the product available again (it was sold out,
  stopped or hidden) its watchers hear `ProductBackInStock`; when the price a customer pays went down (the
  sale price when there is one) the customers who carted it hear `ProductPriceDropped` (not those who only
  viewed it: a page view is a weak sign, and a price-drop message is advertising). One event per customer,
  its id made of the product, the change, the record's time and the customer: the same on every retry, so
  a consumer that sees it twice can tell (automations enter a journey once per event id).
- A crash between the write and the events: the platform's retry finds the product unchanged, and the
  stored product remembers the change its last write made (`Change`), so the retry hands on the same events
  again. A retry that comes after a newer record was applied hands on nothing (documented gap).
- complete_lines: cart and order lines without a price, a name or categories get them from the catalog (one
  BatchGetItem for the delivery).
- note_interest: a cart line makes a "cart" watcher; a product page view a "view" watcher only when the
  product cannot be bought now (page views are many: most would be writes for nothing). Watchers expire
  after WATCH_DAYS.
"""

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, Protocol

from nudge.errors import NotFound
from nudge.ports import EventPublisher
from nudge.products.model import ProductRecord
from nudge.profiles.events import (
    CartLine,
    CartUpdated,
    NormalizedEvent,
    OrderLine,
    OrderPlaced,
    PageViewed,
    ProductBackInStock,
    ProductPriceDropped,
)
from nudge.stores import Store

SOURCE = "catalog"  # the source of the events the catalog makes
WATCH_DAYS = 30  # a watcher expires this long after the customer last carted or viewed the product
MAX_ATTEMPTS = 5  # conditional writes of one product before the update gives up (the platform retries)
MAX_EVENT_ID = 200  # nudge.profiles.events.NonEmpty

WatchKind = Literal["cart", "view"]
ChangeKind = Literal["restock", "price_drop"]
# Who hears of which change: a restock everyone waiting for it; a lower price those who carted it.
AUDIENCE: dict[ChangeKind, frozenset[str]] = {
    "restock": frozenset({"cart", "view"}),
    "price_drop": frozenset({"cart"}),
}


class ConcurrentProductUpdates(RuntimeError):
    """The product kept changing under us; the platform's retry will apply the record later."""


@dataclass(frozen=True, slots=True)
class Change:
    """What a write of the product changed that customers hear about (kept with the product, so that a retry
    of the same record hands the same events on again)."""

    kind: ChangeKind
    at: datetime  # the record's updated_at
    old_price: Decimal | None = None  # a price drop: the price before


@dataclass(frozen=True, slots=True)
class StoredProduct:
    product: ProductRecord
    version: int  # the conditional write's check: 1 for the first write
    change: Change | None = None  # what the write of this version changed, if customers hear of it


@dataclass(frozen=True, slots=True)
class Watcher:
    """A customer waiting for news of a product: they carted it, or viewed it while it could not be bought."""

    product_id: str
    customer_id: str
    kind: WatchKind
    expires_at: datetime


class ProductStore(Protocol):
    """The catalog's storage (nudge.adapters.products.DynamoProductStore; tests.fakes.products in memory)."""

    def get_many(
        self, store_id: str, product_ids: Collection[str], *, consistent: bool = False
    ) -> dict[str, StoredProduct]:
        """The stored products of these ids that exist (`consistent`: the read a write is conditioned on)."""
        ...

    def put(self, store_id: str, product: StoredProduct, expected_version: int) -> bool:
        """Write the product if its stored version is still `expected_version` (0: absent); False if not."""
        ...

    def page(self, store_id: str, after: str | None, limit: int) -> tuple[list[StoredProduct], str | None]:
        """Up to `limit` products in id order after `after`, and the id to continue after (None: the end)."""
        ...

    def watchers(self, store_id: str, product_id: str) -> list[Watcher]: ...

    def watch(self, store_id: str, watchers: list[Watcher]) -> None:
        """Write (or renew) these watchers."""
        ...

    def forget_customer(self, store_id: str, customer_id: str) -> int:
        """Delete every watcher of the customer; how many there were."""
        ...

    def inventory_owners(self, store_id: str, item_ids: Collection[str]) -> dict[str, str]:
        """The product each of these inventory items belongs to (those known)."""
        ...

    def own_inventory(self, store_id: str, product_id: str, item_ids: Collection[str]) -> None:
        """Remember that these inventory items belong to the product."""
        ...


@dataclass(slots=True)
class _Tally:
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    unknown_items: int = 0
    restocked: int = 0
    restock_told: int = 0
    dropped: int = 0
    drop_told: int = 0

    def words(self) -> str:
        parts = [f"{self.updated} product{'s' if self.updated != 1 else ''} updated"]
        if self.restocked:
            parts.append(f"{self.restocked} back in stock ({self.restock_told} customers told)")
        if self.dropped:
            parts.append(f"{self.dropped} cheaper ({self.drop_told} customers told)")
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        if self.stale:
            parts.append(f"{self.stale} older than the catalog's")
        if self.unknown_items:
            parts.append(f"{self.unknown_items} inventory level(s) of items the catalog does not know")
        return ", ".join(parts)


class CatalogService:
    """The ingest path's ProductCatalog, the admin API's read, the erasure's forget (module docstring)."""

    def __init__(self, products: ProductStore, publisher: EventPublisher) -> None:
        self.products = products
        self.publisher = publisher

    # ------------------------------------------------------------ update

    def update(self, store: Store, products: list[ProductRecord], now: datetime) -> str:
        tally = _Tally()
        records = self._resolved(store.store_id, [p for p in products if p.store_id == store.store_id], tally)
        by_product: dict[str, list[tuple[ProductRecord, bool]]] = {}
        for record, level in sorted(records, key=lambda r: r[0].updated_at):
            by_product.setdefault(record.product_id, []).append((record, level))
        stored = self.products.get_many(store.store_id, list(by_product), consistent=True)
        for product_id, recs in by_product.items():
            current = stored.get(product_id)
            for record, level in recs:
                current = self._apply(store, current, record, level, now, tally)
        return tally.words()

    def _resolved(
        self, store_id: str, records: list[ProductRecord], tally: _Tally
    ) -> list[tuple[ProductRecord, bool]]:
        """Each record, and whether it is an inventory level: a level as a record of the product its item
        belongs to (a level of an item no product update has named yet is dropped)."""
        items = {r.inventory_item for r in records if r.inventory_item}
        owners = self.products.inventory_owners(store_id, items) if items else {}
        out: list[tuple[ProductRecord, bool]] = []
        for record in records:
            item = record.inventory_item
            if item is None:
                out.append((record, False))
            elif item in owners:
                out.append((record.model_copy(update={"product_id": owners[item]}), True))
            else:
                tally.unknown_items += 1
        return out

    def _apply(
        self,
        store: Store,
        current: StoredProduct | None,
        record: ProductRecord,
        level: bool,
        now: datetime,
        tally: _Tally,
    ) -> StoredProduct | None:
        for _ in range(MAX_ATTEMPTS):
            if current is not None and record.updated_at < current.product.updated_at:
                tally.stale += 1
                return current
            effective = _level(record, current) if level else record
            if effective is None:
                tally.unchanged += 1
                return current
            before = current.product if current is not None else None
            merged = before.merged(effective) if before is not None else effective
            if current is not None and merged == current.product:
                tally.unchanged += 1
                change = current.change
                if change is not None and change.at == record.updated_at:
                    # A retry of the record whose write made this change: its events again, same ids.
                    self._tell(store, current.product, change, now, tally)
                return current
            known_items = set(before.inventory_items or ()) if before is not None else set()
            new_items = set(merged.inventory_items or ()) - known_items
            if new_items:
                # Before the product: a retry after a failure in between finds the product unchanged.
                self.products.own_inventory(store.store_id, merged.product_id, sorted(new_items))
            change = _change(before, merged)
            expected = current.version if current is not None else 0
            written = StoredProduct(merged, expected + 1, change)
            if self.products.put(store.store_id, written, expected):
                tally.updated += 1
                if change is not None:
                    self._tell(store, merged, change, now, tally)
                return written
            current = self.products.get_many(store.store_id, [record.product_id], consistent=True).get(
                record.product_id
            )
        raise ConcurrentProductUpdates(f"product kept changing during {MAX_ATTEMPTS} attempts")

    def _tell(
        self, store: Store, product: ProductRecord, change: Change, now: datetime, tally: _Tally
    ) -> None:
        audience = AUDIENCE[change.kind]
        customers = list(
            dict.fromkeys(
                w.customer_id
                for w in self.products.watchers(store.store_id, product.product_id)
                if w.kind in audience and w.expires_at > now
            )
        )
        events = [_event(store, product, change, customer_id) for customer_id in customers]
        if events:
            self.publisher.publish(events)
        if change.kind == "restock":
            tally.restocked += 1
            tally.restock_told += len(events)
        else:
            tally.dropped += 1
            tally.drop_told += len(events)

    # ------------------------------------------------------------ lines

    def complete_lines(self, store: Store, events: list[NormalizedEvent]) -> list[NormalizedEvent]:
        wanted = {
            line.product_id
            for event in events
            if isinstance(event, CartUpdated | OrderPlaced)
            for line in event.lines
            if _incomplete(line)
        }
        if not wanted:
            return events
        known = self.products.get_many(store.store_id, sorted(wanted))
        if not known:
            return events
        out: list[NormalizedEvent] = []
        for event in events:
            if isinstance(event, CartUpdated | OrderPlaced) and any(
                _incomplete(line) and line.product_id in known for line in event.lines
            ):
                lines = [_completed(line, known.get(line.product_id)) for line in event.lines]
                out.append(event.model_copy(update={"lines": lines}))
            else:
                out.append(event)
        return out

    # ------------------------------------------------------------ interest

    def note_interest(
        self, store: Store, customer_id: str, events: list[NormalizedEvent], now: datetime
    ) -> None:
        expires = now + timedelta(days=WATCH_DAYS)
        carted = {
            line.product_id
            for event in events
            if isinstance(event, CartUpdated)
            for line in event.lines
            if line.quantity > 0
        }
        viewed = {
            event.product_id
            for event in events
            if isinstance(event, PageViewed) and event.product_id and event.product_id not in carted
        }
        watchers = [Watcher(p, customer_id, "cart", expires) for p in sorted(carted)]
        if viewed:
            known = self.products.get_many(store.store_id, sorted(viewed))
            watchers += [
                Watcher(p, customer_id, "view", expires)
                for p in sorted(viewed)
                if p in known and not known[p].product.available
            ]
        if watchers:
            self.products.watch(store.store_id, watchers)

    def forget_customer(self, store_id: str, customer_id: str) -> int:
        """Delete what names the customer in the catalog (their watchers): the erasure's step. Idempotent."""
        return self.products.forget_customer(store_id, customer_id)

    # ------------------------------------------------------------ reading (admin API)

    def product(self, store_id: str, product_id: str) -> dict[str, Any]:
        found = self.products.get_many(store_id, [product_id]).get(product_id)
        if found is None:
            raise NotFound(f"no product {product_id!r} in store {store_id!r}'s catalog")
        return described(found)

    def page(self, store_id: str, after: str | None, limit: int) -> dict[str, Any]:
        products, next_after = self.products.page(store_id, after, limit)
        return {"products": [described(p) for p in products], "next": next_after}


def described(stored: StoredProduct) -> dict[str, Any]:
    """A product as the admin API shows it (no personal data: a product names no customer)."""
    product = stored.product
    body: dict[str, Any] = product.model_dump(mode="json", exclude={"store_id"})
    body["available"] = product.available
    price = product.effective_price
    body["effective_price"] = None if price is None else str(price)
    body["version"] = stored.version
    return body


def _level(record: ProductRecord, current: StoredProduct | None) -> ProductRecord | None:
    """What an inventory level (one location's units of one variant) may say about the whole product: that it
    can be bought again, when it had no units. A level of 0 says nothing (another location or variant may
    have units; products/update, which Shopify sends with it, carries the total), nor does a level of a
    product that has units already (the total is the product update's)."""
    if current is None or not record.stock or not current.product.is_sold_out:
        return None
    return record.model_copy(update={"sold_out": False})


def _change(before: ProductRecord | None, after: ProductRecord) -> Change | None:
    if before is None or not after.available:
        return None
    if not before.available:
        return Change("restock", after.updated_at)
    old, new = before.effective_price, after.effective_price
    if old is not None and new is not None and new < old:
        return Change("price_drop", after.updated_at, old)
    return None


def event_id(product_id: str, change: Change, customer_id: str) -> str:
    """The same for every retry of the update that made the change: one event per customer and change."""
    kind = "restock" if change.kind == "restock" else "price-drop"
    key = f"catalog:{product_id}:{kind}:{change.at:%Y%m%dT%H%M%S}"
    whole = f"{key}#{customer_id}"
    if len(whole) <= MAX_EVENT_ID:
        return whole
    return f"catalog:{hashlib.sha256(whole.encode()).hexdigest()}"


def _event(store: Store, product: ProductRecord, change: Change, customer_id: str) -> NormalizedEvent:
    common: dict[str, Any] = {
        "event_id": event_id(product.product_id, change, customer_id),
        "store_id": store.store_id,
        "customer_id": customer_id,
        "occurred_at": change.at,
        "source": SOURCE,
        "product_id": product.product_id,
        "name": product.name,
        "price": product.effective_price,
        "image_url": product.image_url,
        "url": product.url,
    }
    if change.kind == "restock":
        return ProductBackInStock(**common)
    assert change.old_price is not None
    return ProductPriceDropped(**common, old_price=change.old_price)


def _incomplete(line: CartLine | OrderLine) -> bool:
    return line.price is None or line.name is None or not line.category_ids


def _completed(line: CartLine | OrderLine, stored: StoredProduct | None) -> Any:
    if stored is None or not _incomplete(line):
        return line
    product = stored.product
    update: dict[str, Any] = {}
    if line.price is None and product.effective_price is not None:
        update["price"] = product.effective_price
    if line.name is None and product.name is not None:
        update["name"] = product.name
    if not line.category_ids and product.category_ids:
        update["category_ids"] = tuple(product.category_ids[:20])
    return line.model_copy(update=update) if update else line
