"""What the profile keeps of the catalog's details on lines: a cart line's name and categories (with its
price), an order's categories, and a carted product's price when the catalog says it changed."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

from nudge.adapters.profile_item import from_item, to_item
from nudge.profiles.events import NormalizedEvent
from nudge.profiles.profile import MAX_CATEGORIES_PER_ORDER, Profile, apply_event

KST = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 3, 18, 1, 0, tzinfo=UTC)
_events: TypeAdapter[NormalizedEvent] = TypeAdapter(NormalizedEvent)


def _apply(profile: Profile, type_: str, at: datetime, **data: Any) -> None:
    event = _events.validate_python(
        {"type": type_, "event_id": f"{type_}-{at.timestamp()}", "store_id": "s", "customer_id": "c",
         "occurred_at": at, "source": "t", **data}
    )  # fmt: skip
    apply_event(profile, event, KST)


def _line(product: str, **extra: Any) -> dict[str, Any]:
    return {"product_id": product, "quantity": 1, **extra}


def test_cart_lines_keep_their_names_and_categories_until_they_leave() -> None:
    profile = Profile("s", "c")
    _apply(profile, "cart.updated", T0, lines=[_line("P1", name="방석", category_ids=["24"], price="32000")])
    _apply(profile, "cart.updated", T0 + timedelta(minutes=1), lines=[_line("P2")])
    cart = profile.cart
    assert (cart.names, cart.categories, cart.amount) == ({"P1": "방석"}, {"P1": ("24",)}, Decimal(32000))
    assert cart.last_added_name == "방석"  # P2, added later, has no name
    _apply(profile, "cart.updated", T0 + timedelta(minutes=2), replace=True, lines=[_line("P2", name="껌")])
    assert (cart.names, cart.categories) == ({"P2": "껌"}, {})
    assert from_item("s", to_item(profile)).cart == cart
    _apply(
        profile, "order.placed", T0 + timedelta(minutes=3), order_id="O1", amount="1000", lines=[_line("P2")]
    )
    assert (cart.lines, cart.names, cart.categories) == ({}, {}, {})


def test_an_order_keeps_its_lines_distinct_categories() -> None:
    profile = Profile("s", "c")
    lines = [_line(f"P{n}", category_ids=[f"C{n}", f"C{n + 1}"]) for n in range(0, 40, 2)]
    _apply(profile, "order.placed", T0, order_id="O1", amount="1000", lines=lines)
    categories = profile.orders["O1"].categories
    assert len(categories) == MAX_CATEGORIES_PER_ORDER == len(set(categories))
    assert categories[:3] == ("C0", "C1", "C2")
    assert from_item("s", to_item(profile)).orders["O1"].categories == categories


def test_a_price_drop_moves_a_carted_lines_price_and_leaves_other_products_alone() -> None:
    profile = Profile("s", "c")
    _apply(profile, "cart.updated", T0, lines=[_line("P1", price="32000"), _line("P2", price="1000")])
    _apply(profile, "product.price_dropped", T0 + timedelta(hours=1), product_id="P1", price="29000",
           old_price="32000", name="방석")  # fmt: skip
    _apply(
        profile, "product.price_dropped", T0 + timedelta(hours=1), product_id="P9", price="1", old_price="2"
    )
    assert profile.cart.prices == {"P1": Decimal(29000), "P2": Decimal(1000)}
    assert profile.cart.names == {"P1": "방석"} and "P9" not in profile.cart.lines
