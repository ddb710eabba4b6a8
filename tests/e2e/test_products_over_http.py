"""Shopify's product webhooks through the HTTP API, the real ingest handler, the ProductsTable (with the
grants template.yaml gives, enforced by the local runtime) and the events queue; the admin API's read."""

from datetime import timedelta
from typing import Any

from nudge_local.demo import samples
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import START, call, hold_events, queued_events, scan, send

PRODUCT = 632910392


def product(at: Any, quantity: int) -> dict[str, Any]:
    return {
        "id": PRODUCT, "title": "메이플 머그", "handle": "maple-mug", "product_type": "Mugs",
        "status": "active", "updated_at": at.isoformat(),
        "created_at": (START - timedelta(days=30)).isoformat(),
        "variants": [{"id": 1, "price": "18000.00", "inventory_quantity": quantity,
                      "inventory_item_id": 808950810, "inventory_policy": "deny"}],
        "image": {"src": "https://cdn.shopify.com/s/files/maple-mug.png"},
    }  # fmt: skip


def test_a_restock_over_http_tells_the_customer_who_carted_it(runtime: LocalRuntime) -> None:
    hold_events(runtime)
    status, body = send(runtime, samples.shopify_request("products/update", product(START, 0), "ev-p1"))
    assert (status, body["status"]) == (200, "applied")
    customer = samples.shopify_customer(7001, "지수", "김", "+821012345678", START)
    checkout = samples.shopify_checkout(
        "chk-9", customer, START + timedelta(minutes=1), [(PRODUCT, 1, "18000")]
    )
    runtime.clock.set(START + timedelta(minutes=1))
    assert send(runtime, samples.shopify_request("checkouts/update", checkout, "ev-c1"))[0] == 200
    watchers = [i for i in scan(runtime, "ProductsTable") if i["sk"].startswith("w#")]
    assert [(w["sk"], w["cust"]) for w in watchers] == [("w#cart#7001", "maple-goods|7001")]

    runtime.clock.set(START + timedelta(hours=1))
    restock = samples.shopify_request("products/update", product(START + timedelta(hours=1), 4), "ev-p2")
    status, body = send(runtime, restock)
    assert body["reason"] == "1 product updated, 1 back in stock (1 customers told)"
    told = [e for e in queued_events(runtime) if e["type"] == "product.back_in_stock"]
    assert [(e["customer_id"], e["name"], e["url"]) for e in told] == [
        ("7001", "메이플 머그", "https://maple-goods.myshopify.com/products/maple-mug")
    ]
    # The admin API shows the product.
    status, shown = call(runtime, "GET", f"/admin/stores/maple-goods/products/{PRODUCT}")
    assert status == 200 and shown["available"] and shown["stock"] == 4
    status, page = call(runtime, "GET", "/admin/stores/maple-goods/products?limit=10")
    assert status == 200 and [p["product_id"] for p in page["products"]] == [str(PRODUCT)]
