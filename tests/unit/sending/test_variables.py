"""The variables a message may use are one table (nudge.sending.variables): what the admin API accepts at
save (`fillable`) is exactly what the journeys and the sender fill (`event_values`, `profile_values`,
`fill`), so a message is never saved with a variable that every send would then suppress."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter

from nudge.profiles.events import EventType, NormalizedEvent
from nudge.profiles.profile import Profile, apply_event
from nudge.sending.variables import EVENT_VARIABLES, PROFILE_VARIABLES, event_values, fill, fillable

KST = ZoneInfo("Asia/Seoul")
AT = datetime(2026, 3, 18, 1, 0, tzinfo=UTC)
_events: TypeAdapter[NormalizedEvent] = TypeAdapter(NormalizedEvent)
LINES = [{"product_id": "P1", "quantity": 2, "price": "21000"}]

# One event of every type, with everything a platform may give.
SAMPLES: dict[EventType, dict[str, Any]] = {
    EventType.MEMBER_JOINED: {},
    EventType.MEMBER_LOGGED_IN: {},
    EventType.MEMBER_UPDATED: {},
    EventType.CONSENT_CHANGED: {"channel": "sms", "granted": True},
    EventType.VISIT_STARTED: {},
    EventType.PAGE_VIEWED: {"path": "/event/dogday"},
    EventType.CART_UPDATED: {"lines": LINES},
    EventType.CHECKOUT_STARTED: {"checkout_id": "c1", "amount": "42000",
                                 "recovery_url": "https://shop.example/c/1"},
    EventType.ORDER_PLACED: {"order_id": "O-1", "amount": "42000", "lines": LINES},
    EventType.ORDER_PAID: {"order_id": "O-1", "amount": "42000"},
    EventType.ORDER_SHIPPED: {"order_id": "O-1"},
    EventType.ORDER_DELIVERED: {"order_id": "O-1"},
    EventType.ORDER_CANCELED: {"order_id": "O-1"},
    EventType.ORDER_REFUNDED: {"order_id": "O-1"},
    EventType.COUPON_ISSUED: {"coupon_id": "W10", "name": "신규회원 10%",
                              "expires_at": "2026-03-31T00:00:00Z"},
}  # fmt: skip


def _event(type_: EventType, **data: Any) -> NormalizedEvent:
    return _events.validate_python(
        {"type": type_.value, "event_id": f"e-{type_.value}", "store_id": "s", "customer_id": "c1",
         "occurred_at": AT, "source": "nudge", **data}
    )  # fmt: skip


def _profile_after(event: NormalizedEvent) -> Profile:
    profile = Profile("s", "c1", name="김하늘")
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
    profile_names = {v.name for v in PROFILE_VARIABLES}
    assert set(given) | profile_names == fillable(type_)


def test_a_campaign_has_the_profiles_variables_only() -> None:
    assert fillable() == {"name"}


def test_the_names_are_unique() -> None:
    names = [v.name for v in PROFILE_VARIABLES] + [v.name for v in EVENT_VARIABLES]
    assert len(names) == len(set(names))


def test_the_values_are_the_ones_the_journeys_carried() -> None:
    order = _event(EventType.ORDER_PAID, **SAMPLES[EventType.ORDER_PAID])
    assert event_values(order, _profile_after(order), KST) == {
        "order_id": "O-1", "product_id": "P1", "order_amount": "42,000"
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
    assert names <= listed
    step = StepDefinition.model_json_schema()["properties"]["message"]["description"]
    assert all(f"#{{{name}}}" in step for name in names)
    campaign = CampaignDefinition.model_json_schema()["properties"]["message"]["description"]
    assert "#{name}" in campaign and "#{order_id}" not in campaign
