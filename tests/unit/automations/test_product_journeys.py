"""Journeys about one product: the catalog's news (back in stock, a price drop: one event per interested
customer, built here directly as nudge.products publishes them) and browse abandonment (a product page
viewed N times within D days, the tracker's product pages). Their business key is the product, their exits
look at the product in the cart and among the purchases, and their messages name it."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nudge.automations.definitions import (
    Automation,
    reentry_per_key,
    reentry_window,
    validate_automation,
    variables_of,
)
from nudge.automations.runs import fire_slot, start_journeys
from nudge.automations.templates import template_definition
from nudge.errors import InvalidPayload
from nudge.profiles.events import NormalizedEvent
from nudge.profiles.profile import Profile
from tests.unit.automations.fakes import World
from tests.unit.automations.helpers import CART_MESSAGE, KST, STORE, event, happen, install

T0 = datetime(2026, 3, 18, 13, 0, tzinfo=KST)  # a Wednesday afternoon: ads go out at once
PRODUCT = {
    "product_id": "P1",
    "name": "강아지 방석",
    "price": "29000",
    "url": "https://dogday.example/product/P1",
}


def _template(world: World, name: str, params: dict[str, Any] | None = None) -> str:
    install(world, template_definition(name, STORE, params or {}), name, T0 - timedelta(days=1))
    return name


def _friend(world: World, customer: str = "c1") -> Profile:
    profile = happen(world, event("member.joined", f"{customer}-j", T0 - timedelta(days=10), customer))
    profile.channel_friend = True
    return profile


def _start(world: World, e: NormalizedEvent) -> Any:
    happen(world, e)
    return start_journeys(e, STORE, world.deps, e.occurred_at)


def _carted(world: World, at: datetime, *products: str, customer: str = "c1") -> None:
    lines = [{"product_id": p, "quantity": 1, "price": "32000", "name": "강아지 방석"} for p in products]
    happen(world, event("cart.updated", f"cart-{at.timestamp()}", at, customer, lines=lines, replace=True))


def _viewed(world: World, at: datetime, product: str = "P1", customer: str = "c1") -> Any:
    view = event(
        "page.viewed", f"view-{product}-{at.timestamp()}", at, customer, path="/product/detail.html",
        product_id=product,
    )  # fmt: skip
    return _start(world, view)


# ---------------------------------------------------------------- back in stock


def test_back_in_stock_sends_at_once_naming_the_product_once_per_product_in_seven_days() -> None:
    world = World()
    _template(world, "back_in_stock")
    _friend(world)
    back = event("product.back_in_stock", "bis-1", T0, **PRODUCT)
    assert _start(world, back).queued == 1
    [job] = world.queue.jobs
    assert (job.business_key, job.source) == ("product:P1", "automation:back_in_stock")
    assert job.variables["product_name"] == "강아지 방석" and job.variables["product_price"] == "29,000"
    again = event("product.back_in_stock", "bis-2", T0 + timedelta(days=2), **PRODUCT)
    assert _start(world, again).not_reentered == ["back_in_stock"]
    later = event("product.back_in_stock", "bis-3", T0 + timedelta(days=8), **PRODUCT)
    assert _start(world, later).started == ["back_in_stock"]


# ---------------------------------------------------------------- price drop


def test_a_price_drop_of_a_carted_product_names_both_prices_and_the_cart_takes_the_new_one() -> None:
    world = World()
    _template(world, "price_drop")
    _friend(world)
    _carted(world, T0 - timedelta(hours=3), "P1")
    dropped = event("product.price_dropped", "drop-1", T0, **PRODUCT, old_price="32000")
    assert _start(world, dropped).queued == 1
    [job] = world.queue.jobs
    assert {k: job.variables[k] for k in ("product_name", "product_old_price", "product_price")} == {
        "product_name": "강아지 방석", "product_old_price": "32,000", "product_price": "29,000"
    }  # fmt: skip
    assert job.variables["cart_amount"] == "29,000"
    assert world.profiles.profiles[(STORE.store_id, "c1")].cart.prices["P1"] == Decimal(29000)


def test_a_price_drop_of_a_product_only_viewed_starts_nothing() -> None:
    world = World()
    _template(world, "price_drop")
    _friend(world)
    _carted(world, T0 - timedelta(hours=3), "P2")
    dropped = event("product.price_dropped", "drop-1", T0, **PRODUCT, old_price="32000")
    assert _start(world, dropped).started == []


def test_a_later_price_drop_step_stops_once_the_product_left_the_cart() -> None:
    world = World()
    later = {
        "name": "price drop, the next morning",
        "trigger": {"event": "product.price_dropped", "filter": {"in_cart": True}},
        "steps": [{"delay": {"days": 1, "at": "10:00"}, "message": CART_MESSAGE}],
        "exit": {"when": ["not_in_cart", "product_purchased"]},
    }
    install(world, later, "drop", T0)
    _friend(world)
    _carted(world, T0 - timedelta(hours=3), "P1", "P2")
    _start(world, event("product.price_dropped", "drop-1", T0, **PRODUCT, old_price="32000"))
    _carted(world, T0 + timedelta(hours=2), "P2")  # the whole cart again, without P1
    due = datetime(2026, 3, 19, 10, 0, tzinfo=KST)
    assert fire_slot(STORE, due, world.deps, due).stopped == {"exited:not_in_cart": 1}


# ---------------------------------------------------------------- browse abandonment


def test_a_product_viewed_three_times_in_seven_days_gets_a_reminder_an_hour_later() -> None:
    world = World()
    _template(world, "browse_abandonment")
    _friend(world)
    assert _viewed(world, T0 - timedelta(days=6)).started == []
    assert _viewed(world, T0 - timedelta(days=2)).started == []
    third = _viewed(world, T0)
    assert third.started == ["browse_abandonment"] and third.scheduled == 1
    due = T0 + timedelta(hours=1)
    assert fire_slot(STORE, due, world.deps, due).queued == 1
    [job] = world.queue.jobs
    assert (job.business_key, job.variables["product_id"]) == ("product:P1", "P1")
    # A fourth view the next day: the same product within 14 days starts nothing.
    assert _viewed(world, T0 + timedelta(days=1)).not_reentered == ["browse_abandonment"]


def test_views_spread_over_more_than_seven_days_or_of_other_products_start_nothing() -> None:
    world = World()
    _template(world, "browse_abandonment")
    _friend(world)
    for days, product in ((8, "P1"), (3, "P1"), (1, "P2"), (0, "P3")):
        assert _viewed(world, T0 - timedelta(days=days), product).started == []
    assert _viewed(world, T0, "P1").started == []  # P1's second within 7 days: the first is 8 days old
    assert _viewed(world, T0 + timedelta(hours=1), "P1").started == ["browse_abandonment"]  # the third


def test_a_product_already_in_the_cart_starts_no_browse_reminder() -> None:
    world = World()
    _template(world, "browse_abandonment")
    _friend(world)
    _carted(world, T0 - timedelta(days=1), "P1")
    for hours in (3, 2, 0):
        assert _viewed(world, T0 - timedelta(hours=hours)).started == []


@pytest.mark.parametrize(
    ("after_the_views", "reason"),
    [("carted", "exited:carted"), ("bought", "exited:product_purchased")],
)
def test_a_browse_reminder_stops_when_the_product_is_carted_or_bought(
    after_the_views: str, reason: str
) -> None:
    world = World()
    _template(world, "browse_abandonment")
    _friend(world)
    for hours in (5, 3, 0):
        _viewed(world, T0 - timedelta(hours=hours))
    at = T0 + timedelta(minutes=20)
    if after_the_views == "carted":
        _carted(world, at, "P1")
    else:
        lines = [{"product_id": "P1", "quantity": 1, "price": "32000", "category_ids": ["24"]}]
        happen(world, event("order.placed", "o-p", at, order_id="O-1", amount=32000, lines=lines))
        happen(world, event("order.paid", "o-paid", at, order_id="O-1", amount=32000))
    due = T0 + timedelta(hours=1)
    assert fire_slot(STORE, due, world.deps, due).stopped == {reason: 1}


def test_a_purchase_of_another_product_does_not_stop_it() -> None:
    world = World()
    _template(world, "browse_abandonment")
    _friend(world)
    for hours in (5, 3, 0):
        _viewed(world, T0 - timedelta(hours=hours))
    lines = [{"product_id": "P9", "quantity": 1, "price": "5000"}]
    happen(
        world,
        event("order.placed", "o-p", T0 + timedelta(minutes=5), order_id="O-1", amount=5000, lines=lines),
    )
    due = T0 + timedelta(hours=1)
    assert fire_slot(STORE, due, world.deps, due).queued == 1


# ---------------------------------------------------------------- free shipping


def test_the_free_shipping_reminder_says_what_the_cart_lacks() -> None:
    definition = template_definition("free_shipping", STORE, {"threshold": 50000, "gap": 10000})
    assert "#{free_shipping_gap}원만 더 담으면 무료배송" in definition["steps"][0]["message"]["content"]
    automation, _ = validate_automation(definition, STORE, T0, "fs")
    profile = Profile(STORE.store_id, "c1")
    cart = event("cart.updated", "c", T0, lines=[{"product_id": "P1", "quantity": 2, "price": "23000"}])
    happen_profile(profile, cart)
    assert variables_of(cart, profile, KST, automation)["free_shipping_gap"] == "4,000"
    assert "free_shipping_gap" not in variables_of(cart, profile, KST)  # the automation carries the threshold
    over = event("cart.updated", "c2", T0, lines=[{"product_id": "P2", "quantity": 1, "price": "5000"}])
    happen_profile(profile, over)
    from nudge.automations.definitions import trigger_matches

    assert not trigger_matches(automation, over, profile, KST)  # 51,000: free shipping already


def happen_profile(profile: Profile, e: NormalizedEvent) -> None:
    from nudge.profiles.profile import apply_event

    apply_event(profile, e, KST)


# ---------------------------------------------------------------- what is refused


def _refused(definition: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidPayload) as refused:
        validate_automation(definition, STORE, T0, "a1")
    return [(f.field, f.message) for f in refused.value.fields]


def _definition(trigger: dict[str, Any], exits: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "name": "n",
        "trigger": trigger,
        "steps": [{"delay": {"hours": 1}, "message": CART_MESSAGE}],
        "exit": {"when": exits or []},
        **extra,
    }


@pytest.mark.parametrize(
    ("trigger", "field"),
    [
        ({"event": "cart.updated", "filter": {"min_product_views": 3}}, "trigger"),
        ({"event": "product.price_dropped", "filter": {"min_product_views": 3}}, "trigger"),
        ({"event": "order.paid", "filter": {"in_cart": True}}, "trigger"),
        ({"event": "page.viewed", "filter": {"views_within_days": 3}}, "trigger"),
        ({"event": "page.viewed", "filter": {"min_product_views": 11}}, "trigger.filter.min_product_views"),
        ({"event": "page.viewed", "filter": {"min_product_views": 2, "views_within_days": 31}},
         "trigger.filter.views_within_days"),
        ({"event": "checkout.started", "filter": {"free_shipping_threshold": 50000}}, "trigger"),
        ({"event": "cart.updated", "filter": {"min_amount": 50000, "free_shipping_threshold": 50000}},
         "trigger"),
    ],
)  # fmt: skip
def test_product_filters_apply_only_to_the_events_they_concern(trigger: dict[str, Any], field: str) -> None:
    assert [f for f, _ in _refused(_definition(trigger))] == [field]


@pytest.mark.parametrize("condition", ["carted", "not_in_cart", "product_purchased"])
def test_product_exits_need_a_product_trigger(condition: str) -> None:
    [(field, message)] = _refused(_definition({"event": "order.paid"}, [condition]))
    assert field == "exit.when" and "product trigger" in message
    validate_automation(_definition({"event": "product.back_in_stock"}, [condition]), STORE, T0, "a1")


def test_product_variables_are_refused_on_other_triggers() -> None:
    message = {**CART_MESSAGE, "content": "#{product_name} 다시 입고되었어요"}
    definition = {**_definition({"event": "cart.updated"}), "steps": [{"delay": {}, "message": message}]}
    [(field, _)] = _refused(definition)
    assert field == "steps[0].message.content"


def test_once_per_product_per_days_is_its_own_policy() -> None:
    reentry = {"policy": "once_per_business_key_per_days", "days": 7}
    automation, document = validate_automation(
        _definition({"event": "product.back_in_stock"}, reentry=reentry), STORE, T0, "a1"
    )
    assert isinstance(automation, Automation)
    assert document["reentry"] == {"policy": "once_per_business_key_per_days", "days": 7}
    assert (reentry_window(automation), reentry_per_key(automation)) == (timedelta(days=7), True)
    [(field, _)] = _refused(
        _definition({"event": "product.back_in_stock"}, reentry={"policy": "once_per_business_key_per_days"})
    )
    assert field == "reentry"
