"""The product catalog (nudge.products.service) on its in-memory store: merging, order-safety, retries,
who hears of a restock or a lower price, lines completed, interest noted, a customer forgotten."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nudge.products.model import ProductRecord, inventory_item_record
from nudge.products.service import CatalogService, ConcurrentProductUpdates, Watcher
from nudge.profiles.events import (
    CartLine,
    CartUpdated,
    EventType,
    NormalizedEvent,
    OrderLine,
    OrderPlaced,
    PageViewed,
    ProductBackInStock,
    ProductPriceDropped,
)
from nudge.stores import Store
from tests.fakes.products import InMemoryProductStore
from tests.fakes.queues import RecordingPublisher

STORE = Store(store_id="dogday-mall", name="Dog Day Mall", platforms=["cafe24"])
T0 = datetime(2026, 3, 20, 1, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)


def record(at: datetime = T0, product_id: str = "P1", **fields: Any) -> ProductRecord:
    return ProductRecord(
        store_id=STORE.store_id, product_id=product_id, updated_at=at, source="test", **fields
    )


@pytest.fixture
def store() -> InMemoryProductStore:
    return InMemoryProductStore()


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def catalog(store: InMemoryProductStore, publisher: RecordingPublisher) -> CatalogService:
    return CatalogService(store, publisher)


def watch(store: InMemoryProductStore, customer: str, kind: str = "cart", product: str = "P1") -> None:
    store.watch(STORE.store_id, [Watcher(product, customer, kind, NOW + timedelta(days=30))])  # type: ignore[arg-type]


def sold_out_then_restocked(catalog: CatalogService) -> str:
    catalog.update(STORE, [record(name="산책 리드줄", price=Decimal(15000), stock=0, selling=True)], NOW)
    return catalog.update(STORE, [record(T0 + timedelta(minutes=5), stock=7)], NOW)


def test_a_record_merges_into_the_stored_product_and_fields_it_did_not_send_keep_their_value(
    catalog: CatalogService, store: InMemoryProductStore
) -> None:
    catalog.update(STORE, [record(name="리드줄", price=Decimal(15000), category_ids=("24",), stock=3)], NOW)
    answer = catalog.update(STORE, [record(T0 + timedelta(minutes=1), stock=2)], NOW)
    stored = store.products[(STORE.store_id, "P1")]
    assert (stored.product.name, stored.product.price, stored.product.stock) == ("리드줄", Decimal(15000), 2)
    assert stored.version == 2 and answer == "1 product updated"


def test_an_older_record_changes_nothing(catalog: CatalogService, store: InMemoryProductStore) -> None:
    catalog.update(STORE, [record(T0 + timedelta(minutes=5), price=Decimal(12000))], NOW)
    answer = catalog.update(STORE, [record(T0, price=Decimal(9000))], NOW)
    assert store.products[(STORE.store_id, "P1")].product.price == Decimal(12000)
    assert "older than the catalog" in answer and store.writes == 1


def test_a_restock_tells_the_products_watchers_only_once_even_when_the_update_is_retried(
    catalog: CatalogService, store: InMemoryProductStore, publisher: RecordingPublisher
) -> None:
    watch(store, "m-1")
    watch(store, "m-2", "view")
    watch(store, "m-3", product="P2")  # another product's
    answer = sold_out_then_restocked(catalog)
    assert answer == "1 product updated, 1 back in stock (2 customers told)"
    events = publisher.published
    assert {e.customer_id for e in events} == {"m-1", "m-2"}
    first = events[0]
    assert isinstance(first, ProductBackInStock) and first.type is EventType.PRODUCT_BACK_IN_STOCK
    assert (first.name, first.price, first.source) == ("산책 리드줄", Decimal(15000), "catalog")
    assert first.event_id == "catalog:P1:restock:20260320T010500#m-1"
    # The platform retries the same webhook: nothing is written, and the same events (same ids) go again,
    # so a crash between the write and the queue loses nothing and a consumer sees duplicates, not news.
    writes = store.writes
    again = catalog.update(STORE, [record(T0 + timedelta(minutes=5), stock=7)], NOW)
    assert store.writes == writes and "unchanged" in again
    assert {e.event_id for e in publisher.published} == {e.event_id for e in events}


def test_a_restock_nobody_waits_for_tells_nobody(
    catalog: CatalogService, publisher: RecordingPublisher
) -> None:
    assert sold_out_then_restocked(catalog) == "1 product updated, 1 back in stock (0 customers told)"
    assert publisher.published == []


def test_expired_watchers_are_not_told(
    catalog: CatalogService, store: InMemoryProductStore, publisher: RecordingPublisher
) -> None:
    store.watch(STORE.store_id, [Watcher("P1", "m-old", "cart", NOW - timedelta(seconds=1))])
    sold_out_then_restocked(catalog)
    assert publisher.published == []


@pytest.mark.parametrize(
    "before, after",
    [
        ({"sold_out": True}, {"sold_out": False}),
        ({"selling": False}, {"selling": True}),
        ({"display": False}, {"display": True}),
        ({"stock": 0, "sold_out": True}, {"stock": 4}),  # the stock decides again when no flag comes with it
    ],
)
def test_back_in_stock_is_any_way_back_to_buyable(
    catalog: CatalogService,
    store: InMemoryProductStore,
    publisher: RecordingPublisher,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    watch(store, "m-1")
    catalog.update(STORE, [record(**before)], NOW)
    catalog.update(STORE, [record(T0 + timedelta(seconds=1), **after)], NOW)
    assert [e.type for e in publisher.published] == [EventType.PRODUCT_BACK_IN_STOCK]


def test_a_lower_price_tells_those_who_carted_it_and_a_higher_or_equal_one_nobody(
    catalog: CatalogService, store: InMemoryProductStore, publisher: RecordingPublisher
) -> None:
    watch(store, "m-cart")
    watch(store, "m-view", "view")
    catalog.update(STORE, [record(price=Decimal(20000), stock=5)], NOW)
    catalog.update(STORE, [record(T0 + timedelta(minutes=1), price=Decimal(21000))], NOW)
    catalog.update(STORE, [record(T0 + timedelta(minutes=2), sale_price=Decimal(21000))], NOW)  # not lower
    assert publisher.published == []
    answer = catalog.update(STORE, [record(T0 + timedelta(minutes=3), sale_price=Decimal(16000))], NOW)
    assert answer == "1 product updated, 1 cheaper (1 customers told)"
    [event] = publisher.published
    assert isinstance(event, ProductPriceDropped)
    assert (event.customer_id, event.price, event.old_price) == ("m-cart", Decimal(16000), Decimal(21000))


def test_a_lower_price_of_a_product_that_cannot_be_bought_tells_nobody(
    catalog: CatalogService, store: InMemoryProductStore, publisher: RecordingPublisher
) -> None:
    watch(store, "m-1")
    catalog.update(STORE, [record(price=Decimal(20000), stock=0)], NOW)
    catalog.update(STORE, [record(T0 + timedelta(minutes=1), price=Decimal(10000))], NOW)
    assert publisher.published == []


def test_a_product_seen_for_the_first_time_tells_nobody(
    catalog: CatalogService, store: InMemoryProductStore, publisher: RecordingPublisher
) -> None:
    watch(store, "m-1")
    catalog.update(STORE, [record(price=Decimal(1000), stock=5)], NOW)
    assert publisher.published == []


def test_a_concurrent_write_is_read_again_and_nothing_is_lost(
    catalog: CatalogService, store: InMemoryProductStore
) -> None:
    catalog.update(STORE, [record(name="A", stock=1)], NOW)
    store.interleaved_writes = 2
    catalog.update(STORE, [record(T0 + timedelta(minutes=1), price=Decimal(5000))], NOW)
    stored = store.products[(STORE.store_id, "P1")]
    assert (stored.product.name, stored.product.price) == ("A", Decimal(5000))
    store.interleaved_writes = 10
    with pytest.raises(ConcurrentProductUpdates):
        catalog.update(STORE, [record(T0 + timedelta(minutes=2), price=Decimal(4000))], NOW)


def test_records_of_one_delivery_apply_in_their_own_time_order(
    catalog: CatalogService, store: InMemoryProductStore
) -> None:
    late, early = record(T0 + timedelta(minutes=2), price=Decimal(2)), record(T0, price=Decimal(1))
    catalog.update(STORE, [late, early], NOW)
    assert store.products[(STORE.store_id, "P1")].product.price == Decimal(2)


def test_another_stores_records_are_not_applied(catalog: CatalogService, store: InMemoryProductStore) -> None:
    other = ProductRecord(store_id="maple-goods", product_id="P1", updated_at=T0, source="t", stock=1)
    assert catalog.update(STORE, [other], NOW) == "0 products updated"
    assert store.products == {}


def test_an_inventory_level_can_bring_a_product_back_never_take_it_away(
    catalog: CatalogService, store: InMemoryProductStore, publisher: RecordingPublisher
) -> None:
    watch(store, "m-1")
    catalog.update(STORE, [record(stock=0, sold_out=True, inventory_items=("I-1", "I-2"))], NOW)
    assert store.items == {(STORE.store_id, "I-1"): "P1", (STORE.store_id, "I-2"): "P1"}

    def level(available: int, minutes: int) -> ProductRecord:
        return inventory_item_record(STORE.store_id, "I-2", available, T0 + timedelta(minutes=minutes), "s")

    assert "unchanged" in catalog.update(STORE, [level(0, 1)], NOW)
    catalog.update(STORE, [level(3, 2)], NOW)
    stored = store.products[(STORE.store_id, "P1")].product
    assert stored.available and stored.stock == 3
    assert [e.type for e in publisher.published] == [EventType.PRODUCT_BACK_IN_STOCK]
    catalog.update(STORE, [level(0, 3)], NOW)  # another location or variant may still have units
    assert store.products[(STORE.store_id, "P1")].product.available
    unknown = inventory_item_record(STORE.store_id, "I-9", 5, T0, "s")
    assert "1 inventory level(s) of items the catalog does not know" in catalog.update(STORE, [unknown], NOW)


def cart(lines: list[CartLine], customer: str = "m-1") -> CartUpdated:
    return CartUpdated(
        event_id="d#0", store_id=STORE.store_id, customer_id=customer, occurred_at=T0, source="t", lines=lines
    )


def test_complete_lines_fills_what_a_cart_or_order_line_lacks_from_one_read(
    catalog: CatalogService, store: InMemoryProductStore
) -> None:
    catalog.update(
        STORE,
        [record(name="리드줄", price=Decimal(20000), sale_price=Decimal(15000), category_ids=("24", "7"))],
        NOW,
    )
    order = OrderPlaced(
        event_id="d#1", store_id=STORE.store_id, customer_id="m-1", occurred_at=T0, source="t",
        order_id="O-1", amount=Decimal(40000),
        lines=[OrderLine(product_id="P1", price=Decimal(19000)), OrderLine(product_id="P-unknown")],
    )  # fmt: skip
    events: list[NormalizedEvent] = [cart([CartLine(product_id="P1", quantity=2)]), order]
    reads = store.reads
    completed = catalog.complete_lines(STORE, events)
    assert store.reads == reads + 1
    line = completed[0].lines[0]  # type: ignore[union-attr]
    assert (line.price, line.name, line.category_ids, line.quantity) == (
        Decimal(15000),
        "리드줄",
        ("24", "7"),
        2,
    )
    paid, unknown = completed[1].lines  # type: ignore[union-attr]
    assert (paid.price, paid.name) == (Decimal(19000), "리드줄")  # the price paid stays
    assert unknown == OrderLine(product_id="P-unknown")


def test_complete_lines_reads_nothing_when_nothing_lacks(
    catalog: CatalogService, store: InMemoryProductStore
) -> None:
    full = cart([CartLine(product_id="P1", price=Decimal(1), name="n", category_ids=("c",))])
    visit = PageViewed(
        event_id="d#2", store_id=STORE.store_id, customer_id="m-1", occurred_at=T0, source="t", path="/"
    )
    events: list[NormalizedEvent] = [full, visit]
    assert catalog.complete_lines(STORE, events) == events and store.reads == 0


def test_interest_cart_lines_always_page_views_only_of_products_that_cannot_be_bought(
    catalog: CatalogService, store: InMemoryProductStore
) -> None:
    catalog.update(STORE, [record(product_id="P-out", stock=0), record(product_id="P-in", stock=5)], NOW)

    def view(product: str) -> PageViewed:
        return PageViewed(
            event_id=f"v-{product}", store_id=STORE.store_id, customer_id="m-1", occurred_at=T0, source="t",
            path=f"/product/{product}", product_id=product,
        )  # fmt: skip

    events: list[NormalizedEvent] = [
        cart([CartLine(product_id="P-cart"), CartLine(product_id="P-removed", quantity=0)]),
        view("P-out"), view("P-in"), view("P-unknown"),
    ]  # fmt: skip
    catalog.note_interest(STORE, "m-1", events, NOW)
    noted = {(w.product_id, w.kind) for w in store.watching.values()}
    assert noted == {("P-cart", "cart"), ("P-out", "view")}
    assert all(w.expires_at == NOW + timedelta(days=30) for w in store.watching.values())


def test_forget_customer_deletes_their_watchers_and_no_one_elses(
    catalog: CatalogService, store: InMemoryProductStore
) -> None:
    watch(store, "m-1")
    watch(store, "m-1", "view", "P2")
    watch(store, "m-2")
    assert catalog.forget_customer(STORE.store_id, "m-1") == 2
    assert catalog.forget_customer(STORE.store_id, "m-1") == 0
    assert [w.customer_id for w in store.watching.values()] == ["m-2"]


def test_the_admin_read_shows_a_product_and_pages(catalog: CatalogService) -> None:
    catalog.update(STORE, [record(product_id=f"P{n}", price=Decimal(n), stock=n) for n in range(3)], NOW)
    shown = catalog.product(STORE.store_id, "P1")
    assert shown["available"] and shown["effective_price"] == "1" and shown["updated_at"].startswith("2026")
    first = catalog.page(STORE.store_id, None, 2)
    assert [p["product_id"] for p in first["products"]] == ["P0", "P1"] and first["next"] == "P1"
    rest = catalog.page(STORE.store_id, first["next"], 2)
    assert [p["product_id"] for p in rest["products"]] == ["P2"] and rest["next"] is None
