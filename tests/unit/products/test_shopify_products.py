"""Shopify's product webhooks (products/create, products/update, inventory_levels/update) through the ingest
path into the catalog, and the catalog on the ingest path: cart lines completed, interest noted."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from nudge.ingest.service import IngestDependencies
from nudge.products.service import CatalogService
from nudge.profiles.events import EventType
from nudge_local.demo import samples
from nudge_local.runtime.stores import MAPLE
from tests.fakes.ingest import local_dependencies
from tests.fakes.products import InMemoryProductStore
from tests.fakes.queues import RecordingPublisher
from tests.unit.ingest.helpers import send

STORE = MAPLE.store.store_id
AT = datetime(2026, 3, 20, 1, 0, tzinfo=UTC)


def product(updated: datetime, quantity: int, **fields: Any) -> dict[str, Any]:
    body = {
        "id": 632910392,
        "title": "IPod Nano - 8GB",
        "handle": "ipod-nano",
        "product_type": "Cult Products",
        "status": "active",
        "published_at": "2026-01-01T00:00:00-05:00",
        "created_at": "2026-01-01T00:00:00-05:00",
        "updated_at": updated.isoformat(),
        "variants": [
            {"id": 1, "price": "199.00", "compare_at_price": None, "inventory_quantity": quantity,
             "inventory_item_id": 808950810, "inventory_policy": "deny"},
            {"id": 2, "price": "249.00", "compare_at_price": "299.00", "inventory_quantity": 0,
             "inventory_item_id": 808950811, "inventory_policy": "deny"},
        ],
        "image": {"src": "https://cdn.shopify.com/s/files/ipod-nano.png"},
        "images": [{"src": "https://cdn.shopify.com/s/files/ipod-nano.png"}],
    }  # fmt: skip
    return body | fields


def world() -> tuple[IngestDependencies, InMemoryProductStore, RecordingPublisher]:
    deps, _, publisher = local_dependencies()
    store = InMemoryProductStore()
    return replace(deps, products=CatalogService(store, publisher)), store, publisher


def test_a_product_update_becomes_the_catalogs_product() -> None:
    deps, store, _ = world()
    result = send(deps, samples.shopify_request("products/update", product(AT, 5), "ev-p1"), AT)
    assert (result.status, result.reason) == ("applied", "1 product updated")
    stored = store.products[(STORE, "632910392")].product
    assert stored.name == "IPod Nano - 8GB"
    assert (stored.price, stored.sale_price, stored.stock, stored.sold_out) == (
        Decimal("199.00"), Decimal("199.00"), 5, False
    )  # fmt: skip
    assert stored.url == "https://maple-goods.myshopify.com/products/ipod-nano"
    assert stored.image_url == "https://cdn.shopify.com/s/files/ipod-nano.png"
    assert (stored.category_ids, stored.selling, stored.display) == (("Cult Products",), True, True)
    assert stored.inventory_items == ("808950810", "808950811")


def test_a_sale_is_the_compare_at_price_over_the_price() -> None:
    deps, store, _ = world()
    body = product(AT, 5)
    body["variants"][0]["compare_at_price"] = "259.00"
    body["created_at"] = AT.isoformat()  # a */create body older than Shopify's retries is not applied
    send(deps, samples.shopify_request("products/create", body, "ev-p2"), AT)
    stored = store.products[(STORE, "632910392")].product
    assert (stored.price, stored.sale_price, stored.effective_price) == (
        Decimal("259.00"), Decimal("199.00"), Decimal("199.00")
    )  # fmt: skip


def test_a_draft_is_not_selling_and_no_units_is_sold_out() -> None:
    deps, store, _ = world()
    send(deps, samples.shopify_request("products/update", product(AT, 0, status="draft"), "ev-p3"), AT)
    stored = store.products[(STORE, "632910392")].product
    assert (stored.selling, stored.sold_out, stored.available) == (False, True, False)


def test_a_cart_of_a_sold_out_product_then_its_restock_tells_the_customer() -> None:
    deps, store, publisher = world()
    send(deps, samples.shopify_request("products/update", product(AT, 0), "ev-1"), AT)
    customer = samples.shopify_customer(7001, "지수", "김", "+821012345678", AT)
    body = samples.shopify_checkout("chk-9", customer, AT + timedelta(minutes=1), [(632910392, 1, "199.00")])
    send(deps, samples.shopify_request("checkouts/update", body, "ev-c1"), AT + timedelta(minutes=1))
    assert {w.customer_id for w in store.watching.values()} == {"7001"}
    restock = samples.shopify_request("products/update", product(AT + timedelta(hours=1), 3), "ev-2")
    result = send(deps, restock, AT + timedelta(hours=1))
    assert result.reason == "1 product updated, 1 back in stock (1 customers told)"
    told = [e for e in publisher.published if e.type is EventType.PRODUCT_BACK_IN_STOCK]
    assert [e.customer_id for e in told] == ["7001"]
    # Shopify retries the webhook: the same event again, with the same id (consumers dedupe by it).
    send(deps, restock, AT + timedelta(hours=1, minutes=5))
    again = [e for e in publisher.published if e.type is EventType.PRODUCT_BACK_IN_STOCK]
    assert {e.event_id for e in again} == {told[0].event_id}


def test_an_inventory_level_of_a_known_item_reaches_its_product() -> None:
    deps, store, _ = world()
    send(deps, samples.shopify_request("products/update", product(AT, 0), "ev-1"), AT)
    level = {"inventory_item_id": 808950811, "location_id": 905684977, "available": 6,
             "updated_at": (AT + timedelta(minutes=3)).isoformat()}  # fmt: skip
    result = send(deps, samples.shopify_request("inventory_levels/update", level, "ev-l1"), AT)
    assert result.reason == "1 product updated, 1 back in stock (0 customers told)"
    assert store.products[(STORE, "632910392")].product.available
