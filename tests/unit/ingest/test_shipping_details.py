"""What a shipping notice names comes in with the shipment: Cafe24's order items (the first item shipped
with a tracking number), a Shopify fulfillment, the Nudge format; the profile keeps what a later message
about the order needs (its first item's name, how many lines) and the member's own attributes, and its
DynamoDB item reads back the same."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nudge.adapters.profile_item import from_item, to_item
from nudge.ingest import member_import
from nudge.ingest.platforms.cafe24_records import order_deliveries
from nudge.profiles.events import OrderShipped
from nudge.profiles.profile import Order, OrderStatus, Profile
from nudge_local.demo import samples
from nudge_local.runtime.stores import DOGDAY
from tests.fakes import local_dependencies
from tests.unit.ingest.helpers import send

KST = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 3, 18, 10, 0, tzinfo=KST)


def _item(code: str, shipped: str | None, tracking: str | None, company: str | None) -> dict[str, Any]:
    return {
        "order_item_code": code, "product_no": 12, "product_name": "강아지 사료", "product_price": "1000.00",
        "quantity": 1, "order_status": "N30", "shipped_date": shipped, "tracking_no": tracking,
        "shipping_company_name": company, "shipping_code": f"D-{code}",
    }  # fmt: skip


def _shipped(items: list[dict[str, Any]]) -> OrderShipped:
    order = {
        "order_id": "20260318-0000001", "member_id": "mong", "order_date": "2026-03-18T10:00:00+09:00",
        "paid": "T", "payment_date": "2026-03-18T10:00:00+09:00", "payment_amount": "3000.00",
        "shipping_status": "M", "canceled": "F", "items": items,
    }  # fmt: skip
    deliveries = order_deliveries(order, DOGDAY.store, "cafe24:90024")
    [event] = [e for d in deliveries for e in (d.events or []) if isinstance(e, OrderShipped)]
    return event


def test_a_cafe24_shipment_names_the_first_item_shipped_with_a_tracking_number() -> None:
    event = _shipped(
        [
            _item("A", None, None, None),  # not shipped yet
            _item("B", "2026-03-19 15:00:00", "602222", "한진택배"),
            _item("C", "2026-03-19 09:00:00", "601111", "CJ대한통운"),  # shipped first
        ]
    )
    assert (event.shipping_company, event.tracking_number, event.tracking_url) == (
        "CJ대한통운",
        "601111",
        None,
    )
    assert event.occurred_at == datetime(2026, 3, 19, 0, 0, tzinfo=UTC)
    untracked = _shipped([_item("A", "2026-03-19 09:00:00", None, "CJ대한통운")])
    assert (untracked.shipping_company, untracked.tracking_number) == (None, None)


def test_a_shopify_fulfillment_gives_its_carrier_number_and_link() -> None:
    deps, _, publisher = local_dependencies()
    customer = samples.shopify_customer(7001, "Jisoo", "Park", "+82 10-0000-2001", T0)
    send(
        deps,
        samples.shopify_request(
            "orders/create", samples.shopify_order(9001, customer, T0, [(51, 1, "1.00")]), "e1"
        ),
        T0,
    )
    fulfillment = samples.shopify_fulfillment(1, 9001, T0 + timedelta(hours=1), "in_transit")
    del fulfillment["tracking_number"]
    fulfillment |= {"tracking_numbers": ["1Z999"], "tracking_urls": ["https://ups.example/1Z999"]}
    send(deps, samples.shopify_request("fulfillments/create", fulfillment, "e2"), T0 + timedelta(hours=1))
    shipped = publisher.published[-1]
    assert isinstance(shipped, OrderShipped)
    assert (shipped.shipping_company, shipped.tracking_number, shipped.tracking_url) == (
        "CJ대한통운", "1Z999", "https://ups.example/1Z999"
    )  # fmt: skip


def test_the_nudge_format_carries_shipping_fields_and_member_attributes() -> None:
    deps, profiles, publisher = local_dependencies()
    body = {
        "event_id": "ship-1", "type": "order.shipped", "occurred_at": T0.isoformat(),
        "customer": {"id": "m-1", "attributes": {"pet_name": "초코"}},
        "data": {"order_id": "O-1", "shipping_company": "롯데택배", "tracking_number": "2345"},
    }  # fmt: skip
    send(deps, samples.nudge_request(body, T0), T0)
    shipped = next(e for e in publisher.published if isinstance(e, OrderShipped))
    assert (shipped.shipping_company, shipped.tracking_number) == ("롯데택배", "2345")
    assert profiles.get("dogday-mall", "m-1").attributes == {"pet_name": "초코"}


def test_an_imported_member_keeps_its_grade_and_attributes() -> None:
    page = member_import.parse(
        {
            "members": [
                {
                    "customer_id": "m-1",
                    "signed_up_at": "2025-01-01T00:00:00+09:00",
                    "grade": "VIP",
                    "attributes": {"pet_name": "초코", "size": "소형"},
                }
            ]
        }
    )
    profile = member_import.profile_of(DOGDAY.store, page.members[0], T0)
    assert profile.grade == "VIP" and profile.attributes == {"pet_name": "초코", "size": "소형"}


def test_the_item_keeps_the_orders_first_item_its_line_count_and_the_attributes() -> None:
    profile = Profile(
        "dogday-mall", "m-1", attributes={"pet_name": "초코"},
        orders={
            "O-1": Order("O-1", OrderStatus.PAID, T0, T0, first_item="강아지 껌", item_count=3),
            "O-2": Order("O-2", OrderStatus.PAID, T0, T0),
        },
    )  # fmt: skip
    item = to_item(profile)
    assert (
        item["od"]["O-2"]
        == to_item(Profile("dogday-mall", "m-1", orders={"O-2": profile.orders["O-2"]}))["od"]["O-2"]
    )
    assert len(item["od"]["O-2"]) == 8  # an order without them is stored as before
    again = from_item("dogday-mall", json.loads(json.dumps(item, default=str)))
    assert again.orders["O-1"].first_item == "강아지 껌" and again.orders["O-1"].item_count == 3
    assert again.orders["O-2"].first_item is None and again.orders["O-2"].item_count == 0
    assert again.attributes == {"pet_name": "초코"}
