"""The variables a message may use are one table (nudge.sending.variables): what the admin API accepts at
save (`fillable`) is exactly what the journeys and the sender fill (`event_values`, `profile_values`,
`fill`), so a message is never saved with a variable that every send would then suppress."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter

from nudge.profiles.events import EventType, NormalizedEvent
from nudge.profiles.profile import Profile, apply_event
from nudge.sending.variables import (
    ALIASES,
    EVENT_VARIABLES,
    JOURNEY_VARIABLES,
    PROFILE_VARIABLES,
    STORE_VARIABLES,
    Journey,
    canonical,
    event_values,
    fill,
    fillable,
)
from nudge.stores import Store

KST = ZoneInfo("Asia/Seoul")
AT = datetime(2026, 3, 18, 1, 0, tzinfo=UTC)
_events: TypeAdapter[NormalizedEvent] = TypeAdapter(NormalizedEvent)
LINES = [{"product_id": "P1", "quantity": 2, "price": "21000", "name": "강아지 껌"}]
PRODUCT = {"product_id": "P1", "name": "강아지 껌", "price": "9000", "image_url": "https://shop.example/p1.jpg",
           "url": "https://shop.example/product/P1"}  # fmt: skip

# One event of every type, with everything a platform may give.
SAMPLES: dict[EventType, dict[str, Any]] = {
    EventType.MEMBER_JOINED: {},
    EventType.MEMBER_LOGGED_IN: {},
    EventType.MEMBER_UPDATED: {},
    EventType.CONSENT_CHANGED: {"channel": "sms", "granted": True},
    EventType.VISIT_STARTED: {},
    EventType.PAGE_VIEWED: {"path": "/product/detail.html", "product_id": "P1"},
    EventType.CART_UPDATED: {"lines": LINES},
    EventType.CHECKOUT_STARTED: {"checkout_id": "c1", "amount": "42000",
                                 "recovery_url": "https://shop.example/c/1"},
    EventType.ORDER_PLACED: {"order_id": "O-1", "amount": "42000", "lines": LINES},
    EventType.ORDER_PAID: {"order_id": "O-1", "amount": "42000"},
    EventType.ORDER_SHIPPED: {"order_id": "O-1", "shipping_company": "CJ대한통운",
                              "tracking_number": "6012345", "tracking_url": "https://trace.example/6012345"},
    EventType.ORDER_DELIVERED: {"order_id": "O-1"},
    EventType.ORDER_CANCELED: {"order_id": "O-1"},
    EventType.ORDER_REFUNDED: {"order_id": "O-1"},
    EventType.COUPON_ISSUED: {"coupon_id": "W10", "name": "신규회원 10%",
                              "expires_at": "2026-03-31T00:00:00Z"},
    EventType.PRODUCT_BACK_IN_STOCK: PRODUCT,
    EventType.PRODUCT_PRICE_DROPPED: {**PRODUCT, "old_price": "12000"},
}  # fmt: skip


def _event(type_: EventType, **data: Any) -> NormalizedEvent:
    return _events.validate_python(
        {"type": type_.value, "event_id": f"e-{type_.value}", "store_id": "s", "customer_id": "c1",
         "occurred_at": AT, "source": "nudge", **data}
    )  # fmt: skip


def _profile_after(event: NormalizedEvent) -> Profile:
    profile = Profile("s", "c1", name="김하늘", grade="3")
    if event.type in (EventType.PRODUCT_BACK_IN_STOCK, EventType.PRODUCT_PRICE_DROPPED):
        apply_event(profile, _event(EventType.CART_UPDATED, **SAMPLES[EventType.CART_UPDATED]), KST)
    if event.type in (EventType.ORDER_PAID, EventType.ORDER_SHIPPED, EventType.ORDER_DELIVERED,
                      EventType.ORDER_CANCELED, EventType.ORDER_REFUNDED):  # fmt: skip
        apply_event(profile, _event(EventType.ORDER_PLACED, **SAMPLES[EventType.ORDER_PLACED]), KST)
    apply_event(profile, event, KST)
    return profile


def test_every_event_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(EventType)


@pytest.mark.parametrize("type_", sorted(EventType))
def test_what_a_trigger_may_use_is_exactly_what_its_event_gives(type_: EventType) -> None:
    event = _event(type_, **SAMPLES[type_])
    given = event_values(event, _profile_after(event), KST)
    everywhere = {v.name for v in PROFILE_VARIABLES} | {v.name for v in STORE_VARIABLES} | {"attr_<key>"}
    assert set(given) | everywhere == {canonical(name) for name in fillable(type_)}


def test_a_campaign_has_the_profiles_and_the_stores_variables_only() -> None:
    assert {canonical(name) for name in fillable()} == {
        "name",
        "grade",
        "store_name",
        "store_url",
        "attr_<key>",
    }
    assert "송장번호" not in fillable() and "고객명" in fillable() and "쇼핑몰" in fillable()
    assert "attr_pet_name" in fillable() and "attr_" not in fillable() and "attr_Pet" not in fillable()


def test_a_korean_name_is_checked_and_filled_like_its_english_one() -> None:
    """An AlimTalk template registered with Kakao writes `#{송장번호}`: fillable where `#{tracking_number}`
    is, and filled with its value, keyed as the message wrote it (the template parameter's name)."""
    assert "송장번호" in fillable(EventType.ORDER_SHIPPED)
    assert "송장번호" not in fillable(EventType.ORDER_PLACED) and "송장번호" not in fillable(
        EventType.ORDER_DELIVERED
    )
    shipped = _event(EventType.ORDER_SHIPPED, **SAMPLES[EventType.ORDER_SHIPPED])
    profile = _profile_after(shipped)
    known = event_values(shipped, profile, KST)
    store = Store(store_id="dogday", name="도그데이", platforms=["cafe24"], cafe24_mall_id="dogday")
    tokens = (
        "고객명",
        "송장번호",
        "tracking_number",
        "택배사",
        "상품명",
        "결제금액",
        "쇼핑몰",
        "주문상품",
        "회원등급",
    )
    assert fill(tokens, known, profile, store) == {
        "고객명": "김하늘", "송장번호": "6012345", "tracking_number": "6012345", "택배사": "CJ대한통운",
        "상품명": "강아지 껌", "결제금액": "42,000", "쇼핑몰": "도그데이", "주문상품": "강아지 껌",
        "회원등급": "3",
    }  # fmt: skip
    assert fill(("쇼핑몰주소",), {}, profile, store) == {"쇼핑몰주소": "https://dogday.cafe24.com"}
    assert fill(("쇼핑몰",), {}, profile) == {}  # no store given: no value (the send is suppressed)
    table_names = {v.name for v in PROFILE_VARIABLES} | {v.name for v in EVENT_VARIABLES}
    assert all(alias not in table_names for alias in ALIASES)


def test_the_order_summary_is_the_first_item_and_how_many_others() -> None:
    lines = [
        {"product_id": "A", "name": "강아지 껌"},
        {"product_id": "B", "name": "방석"},
        {"product_id": "C"},
    ]
    placed = _event(EventType.ORDER_PLACED, order_id="O-9", amount="30000", lines=lines)
    profile = Profile("s", "c1")
    apply_event(profile, placed, KST)
    values = event_values(placed, profile, KST)
    assert values["order_item_summary"] == "강아지 껌 외 2건" and values["order_items"] == "3"
    assert values["order_first_item"] == values["product_name"] == "강아지 껌"
    delivered = _event(EventType.ORDER_DELIVERED, order_id="O-9")  # no lines: the profile's order answers
    apply_event(profile, delivered, KST)
    assert event_values(delivered, profile, KST)["order_item_summary"] == "강아지 껌 외 2건"
    one = _event(EventType.ORDER_PLACED, order_id="O-10", amount="1000", lines=lines[:1])
    apply_event(profile, one, KST)
    assert event_values(one, profile, KST)["order_item_summary"] == "강아지 껌"


def test_member_attributes_are_attr_variables() -> None:
    profile = Profile("s", "c1", attributes={"pet_name": "초코"})
    assert fill(("attr_pet_name", "attr_size|보통", "attr_size"), {}, profile) == {
        "attr_pet_name": "초코", "attr_size|보통": "보통"
    }  # fmt: skip


def test_each_name_has_one_meaning_per_source() -> None:
    """`product_id` is the order's first product on order events and the product on product events: one
    variable per name for any one trigger, and none shadows a profile's."""
    profile_names = {v.name for v in PROFILE_VARIABLES}
    for type_ in EventType:
        names = [v.name for v in EVENT_VARIABLES if type_ in v.events]
        names += [v.name for v in JOURNEY_VARIABLES if type_ in v.events]
        assert len(names) == len(set(names)) and not profile_names & set(names), type_


def test_product_events_give_the_product_and_the_cart() -> None:
    dropped = _event(EventType.PRODUCT_PRICE_DROPPED, **SAMPLES[EventType.PRODUCT_PRICE_DROPPED])
    assert event_values(dropped, _profile_after(dropped), KST) == {
        "product_id": "P1",
        "product_name": "강아지 껌",
        "product_price": "9,000",
        "product_old_price": "12,000",
        "product_image_url": "https://shop.example/p1.jpg",
        "product_url": "https://shop.example/product/P1",
        "cart_product_name": "강아지 껌",
        "cart_amount": "18,000",  # the cart's line takes the price now: 2 x 9,000
    }
    hostile = _event(EventType.PRODUCT_BACK_IN_STOCK, product_id="P1", url="javascript:alert(1)")
    assert "product_url" not in event_values(hostile, _profile_after(hostile), KST)


def test_the_cart_product_name_is_the_line_added_last_whose_name_is_known() -> None:
    profile = Profile("s", "c1")
    first = _event(EventType.CART_UPDATED, lines=[{"product_id": "A", "name": "사료"}])
    apply_event(profile, first, KST)
    later = _events.validate_python(
        {**first.model_dump(), "event_id": "e2", "occurred_at": "2026-03-18T02:00:00Z",
         "lines": [{"product_id": "B", "name": "방석"}, {"product_id": "C"}]}
    )  # fmt: skip
    apply_event(profile, later, KST)
    assert event_values(later, profile, KST)["cart_product_name"] == "방석"


def test_the_free_shipping_gap_needs_the_triggers_threshold() -> None:
    cart = _event(EventType.CART_UPDATED, lines=[{"product_id": "P1", "quantity": 2, "price": "23000"}])
    profile = _profile_after(cart)
    assert "free_shipping_gap" not in fillable(EventType.CART_UPDATED)
    assert "free_shipping_gap" not in event_values(cart, profile, KST)
    journey = Journey(free_shipping_threshold=Decimal(50_000))
    assert "free_shipping_gap" in fillable(EventType.CART_UPDATED, journey)
    assert event_values(cart, profile, KST, journey)["free_shipping_gap"] == "4,000"
    reached = Journey(free_shipping_threshold=Decimal(46_000))
    assert "free_shipping_gap" not in event_values(cart, profile, KST, reached)
    unpriced = _event(EventType.CART_UPDATED, lines=[{"product_id": "P1"}])
    assert "free_shipping_gap" not in event_values(unpriced, _profile_after(unpriced), KST, journey)


def test_the_values_are_the_ones_the_journeys_carried() -> None:
    order = _event(EventType.ORDER_PAID, **SAMPLES[EventType.ORDER_PAID])
    assert event_values(order, _profile_after(order), KST) == {
        "order_id": "O-1", "product_id": "P1", "order_amount": "42,000", "order_items": "1",
        "order_first_item": "강아지 껌", "product_name": "강아지 껌", "order_item_summary": "강아지 껌",
    }  # fmt: skip
    coupon = _event(EventType.COUPON_ISSUED, **SAMPLES[EventType.COUPON_ISSUED])
    assert event_values(coupon, _profile_after(coupon), KST) == {
        "coupon_id": "W10", "coupon_name": "신규회원 10%", "coupon_expires": "2026년 3월 31일"
    }  # fmt: skip


def test_a_checkout_link_a_message_may_not_carry_is_no_value() -> None:
    """A platform's recovery link goes into the text: one that is no web link is left out, so the send is
    suppressed `missing_variable` (or takes the message's fallback) instead of carrying it."""
    checkout = _event(EventType.CHECKOUT_STARTED, checkout_id="c1", recovery_url="javascript:alert(1)")
    assert "checkout_url" not in event_values(checkout, _profile_after(checkout), KST)


def test_fill_takes_the_jobs_values_then_the_profiles_then_a_fallback() -> None:
    named, nameless = Profile("s", "c1", name="김하늘"), Profile("s", "c2")
    names = ("name", "name|고객", "order_id", "coupon_code|", "coupon_code")
    assert fill(names, {"order_id": "O-1"}, named) == {
        "name": "김하늘", "name|고객": "김하늘", "order_id": "O-1", "coupon_code|": ""
    }  # fmt: skip
    assert fill(names, {}, nameless) == {"name|고객": "고객", "coupon_code|": ""}
    assert fill(("amount",), {"amount": "1"}, named) == {"amount": "1"}  # a job's own value is used as given


def test_the_marketers_list_names_every_variable() -> None:
    """docs/sending.md "Variables" and the admin API's description of `message` list the same table."""
    from pathlib import Path

    from nudge.automations.definitions import StepDefinition
    from nudge.campaigns.definitions import CampaignDefinition

    docs = (Path(__file__).resolve().parents[3] / "docs" / "sending.md").read_text(encoding="utf-8")
    listed = {line.split("`")[1] for line in docs.splitlines() if line.startswith("| `")}
    names = {v.name for v in PROFILE_VARIABLES} | {v.name for v in EVENT_VARIABLES}
    names |= {v.name for v in JOURNEY_VARIABLES} | {v.name for v in STORE_VARIABLES}
    assert names <= listed
    assert all(f"`#{{{alias}}}`" in docs for alias in ALIASES)
    step = StepDefinition.model_json_schema()["properties"]["message"]["description"]
    assert all(f"#{{{name}}}" in step for name in names)
    campaign = CampaignDefinition.model_json_schema()["properties"]["message"]["description"]
    assert "#{name}" in campaign and "#{order_id}" not in campaign and "#{쇼핑몰}" in campaign
    assert all(f"#{{{alias}}}" in step for alias in ALIASES)
