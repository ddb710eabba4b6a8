"""Every platform event Nudge uses becomes the normalized events a marketer's automations start from."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from nudge.profiles.events import EventType, MemberDetails, MemberUpdated, delivery_of
from nudge.profiles.profile import Profile, apply_event
from nudge_local.demo import samples
from tests.fakes import local_dependencies
from tests.unit.ingest.helpers import send

KST = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 3, 18, 10, 0, tzinfo=KST)
CUSTOMER = samples.shopify_customer(7001, "Jisoo", "Park", "+82 10-0000-2001", T0)

CASES = [
    (
        "cafe24 90032 member joined",
        samples.cafe24_member_joined("dogfan01", "김민지", "010-0000-1001", T0, True, False),
        ["member.joined", "consent.changed", "consent.changed"],
    ),
    ("cafe24 90143 login", samples.cafe24_login("dogfan01"), ["member.logged_in"]),
    (
        "cafe24 90080 member changed",
        samples.cafe24_member_changed("dogfan01", sms=False),
        ["member.updated", "consent.changed"],
    ),
    ("cafe24 90084 added to cart", samples.cafe24_added_to_cart("dogfan01", 12), ["cart.updated"]),
    (
        "cafe24 90023 order placed and paid",
        samples.cafe24_order_placed("20260318-0000012", "dogfan01", T0, 42000, ["P0000012"]),
        ["order.placed", "order.paid"],
    ),
    (
        "cafe24 90023 order placed unpaid",
        samples.cafe24_order_placed("20260318-0000013", "dogfan01", T0, 42000, ["P0000012"], paid=False),
        ["order.placed"],
    ),
    (
        "cafe24 90024 in transit",
        samples.cafe24_shipping("20260318-0000012", "dogfan01", "M"),
        ["order.shipped"],
    ),
    (
        "cafe24 90024 delivered",
        samples.cafe24_shipping("20260318-0000012", "dogfan01", "T"),
        ["order.delivered"],
    ),
    (
        "shopify customers/create",
        samples.shopify_request("customers/create", CUSTOMER, "e1"),
        ["member.joined", "consent.changed", "consent.changed"],
    ),
    (
        "shopify customers/update",
        samples.shopify_request("customers/update", CUSTOMER, "e2"),
        ["member.updated", "consent.changed", "consent.changed"],
    ),
    (
        "shopify orders/create",
        samples.shopify_request(
            "orders/create", samples.shopify_order(9001, CUSTOMER, T0, [(51, 2, "15000.00")]), "e3"
        ),
        ["order.placed", "order.paid", "member.updated", "consent.changed", "consent.changed"],
    ),
    (
        "shopify orders/paid",
        samples.shopify_request(
            "orders/paid", samples.shopify_order(9001, CUSTOMER, T0, [(51, 2, "15000.00")]), "e4"
        ),
        ["order.paid", "member.updated", "consent.changed", "consent.changed"],
    ),
    (
        "shopify orders/cancelled",
        samples.shopify_request(
            "orders/cancelled",
            {
                **samples.shopify_order(9001, CUSTOMER, T0, [(51, 2, "15000.00")], financial_status="voided"),
                "cancelled_at": T0.isoformat(),
            },
            "e5",
        ),
        ["order.canceled", "member.updated", "consent.changed", "consent.changed"],
    ),
    (
        "shopify checkouts/create",
        samples.shopify_request(
            "checkouts/create", samples.shopify_checkout("tok1", CUSTOMER, T0, [(51, 1, "15000.00")]), "e6"
        ),
        ["cart.updated", "checkout.started", "member.updated", "consent.changed", "consent.changed"],
    ),
    (
        "nudge order.refunded (Godomall)",
        samples.nudge_request(
            {
                "event_id": "g-1",
                "type": "order.refunded",
                "occurred_at": T0.isoformat(),
                "customer": {"id": "m-1"},
                "data": {"order_id": "G-100"},
            },
            T0,
        ),
        ["order.refunded"],
    ),
    (
        "nudge consent.changed with contact",
        samples.nudge_request(
            {
                "event_id": "g-2",
                "type": "consent.changed",
                "occurred_at": T0.isoformat(),
                "customer": {"id": "m-1", "phone": "010-0000-3001"},
                "data": {"channel": "kakao", "granted": True},
            },
            T0,
        ),
        ["consent.changed", "member.updated"],
    ),
    (
        "tracker visit and page views",
        samples.tracker_request(
            "v-1",
            [
                {"id": "a", "type": "visit"},
                {"id": "b", "type": "page_view", "path": "/event/dogday?utm=x", "dwell_seconds": 40},
            ],
        ),
        ["visit.started", "page.viewed"],
    ),
]


@pytest.mark.parametrize(("label", "request_", "expected"), CASES, ids=[c[0] for c in CASES])
def test_platform_event_becomes_normalized_events(
    label: str, request_: samples.SampleRequest, expected: list[str]
) -> None:
    deps, _, publisher = local_dependencies()
    result = send(deps, request_, T0)
    assert result.status == "applied", result
    assert [e.type.value for e in publisher.published] == expected
    # Each event is named for the delivery it came in: the webhook's, or for a Cafe24 order the fact's
    # (cafe24:order:{id}:placed, …:paid), which the reconciliation names the same way.
    keys = {delivery_of(e.event_id) for e in publisher.published}
    assert keys == {result.delivery_key} or all(k.startswith("cafe24:order:") for k in keys)
    assert len({e.event_id for e in publisher.published}) == len(expected)


def test_cafe24_order_carries_amount_products_and_time_in_utc() -> None:
    deps, profiles, publisher = local_dependencies()
    send(deps, samples.cafe24_order_placed("O-1", "dogfan01", T0, 42000, ["P1", "P2"]), T0)
    placed = publisher.published[0]
    assert placed.type is EventType.ORDER_PLACED
    assert placed.amount == Decimal("42000.00")
    assert [line.product_id for line in placed.lines] == ["P1", "P2"]
    assert placed.occurred_at == T0.astimezone(UTC)
    profile = profiles.get("dogday-mall", "dogfan01")
    assert profile.order_count == 1 and profile.order_amount == Decimal(42000)
    assert set(profile.products_bought) == {"P1", "P2"}


def test_cafe24_member_join_records_sms_consent_and_phone_in_one_form() -> None:
    deps, profiles, _ = local_dependencies()
    send(
        deps,
        samples.cafe24_member_joined("dogfan01", "김민지", "010-0000-1001", T0, sms=True, news_mail=False),
        T0,
    )
    profile = profiles.get("dogday-mall", "dogfan01")
    assert profile.phone == "+821000001001"
    assert profile.has_consent("sms") and not profile.has_consent("email")
    assert profile.consents["sms"].source == "cafe24:90032" and profile.consents["sms"].at == T0


@pytest.mark.parametrize("group_no", ["3", 3])
def test_cafe24_member_join_keeps_the_members_grade_for_segments(group_no: object) -> None:
    deps, profiles, _ = local_dependencies()
    joined = {
        "member_id": "dogfan02",
        "name": "이서연",
        "cellphone": "010-0000-1002",
        "created_date": T0.isoformat(timespec="seconds"),
        "group_no": group_no,
    }
    send(deps, samples.cafe24_request(90032, joined), T0)
    assert profiles.get("dogday-mall", "dogfan02").grade == "3"


def test_an_older_grade_arriving_late_never_replaces_a_newer_one() -> None:
    profile = Profile(store_id="dogday-mall", customer_id="dogfan01")

    def updated(member: MemberDetails, days: int) -> MemberUpdated:
        return MemberUpdated(
            event_id=f"e-{days}",
            store_id="dogday-mall",
            customer_id="dogfan01",
            occurred_at=T0 + timedelta(days=days),
            source="cafe24:90144",
            member=member,
        )

    apply_event(profile, updated(MemberDetails(grade="3"), 2), KST)
    apply_event(profile, updated(MemberDetails(grade="2"), 1), KST)
    assert profile.grade == "3"
    apply_event(profile, updated(MemberDetails(name="김민지"), 3), KST)
    assert profile.grade == "3"  # details without a grade leave it as it is
    apply_event(profile, updated(MemberDetails(grade="4"), 4), KST)
    assert profile.grade == "4"


def test_shopify_sms_marketing_consent_unsubscribed_withdraws_consent() -> None:
    deps, profiles, _ = local_dependencies()
    send(deps, samples.shopify_request("customers/create", CUSTOMER, "e1"), T0)
    later = T0 + timedelta(days=3)
    withdrawn = {
        **CUSTOMER,
        "updated_at": later.isoformat(),
        "sms_marketing_consent": {"state": "unsubscribed", "consent_updated_at": later.isoformat()},
    }
    send(deps, samples.shopify_request("customers/update", withdrawn, "e2"), later)
    consent = profiles.get("maple-goods", "7001").consents["sms"]
    assert not consent.granted and consent.at == later


def test_shopify_fulfillment_delivered_finds_its_customer_through_the_order() -> None:
    deps, profiles, publisher = local_dependencies()
    send(
        deps,
        samples.shopify_request(
            "orders/create", samples.shopify_order(9001, CUSTOMER, T0, [(51, 1, "1.00")]), "e1"
        ),
        T0,
    )
    delivered_at = T0 + timedelta(days=2)
    result = send(
        deps,
        samples.shopify_request(
            "fulfillments/update", samples.shopify_fulfillment(1, 9001, delivered_at, "delivered"), "e2"
        ),
        delivered_at,
    )
    assert result.status == "applied" and result.customer_id == "7001"
    order = profiles.get("maple-goods", "7001").orders["9001"]
    assert order.status == "delivered" and order.delivered_at == delivered_at
    assert publisher.published[-1].type is EventType.ORDER_DELIVERED


def test_shopify_fulfillment_for_an_order_nudge_never_saw_is_recorded_as_ignored() -> None:
    deps, profiles, _ = local_dependencies()
    result = send(
        deps,
        samples.shopify_request(
            "fulfillments/update", samples.shopify_fulfillment(1, 4242, T0, "delivered"), "e9"
        ),
        T0,
    )
    assert result.status == "ignored" and "4242" in (result.reason or "")
    assert profiles.profiles == {}


def test_shopify_checkout_sets_cart_and_open_checkout_then_order_completes_it() -> None:
    deps, profiles, _ = local_dependencies()
    send(
        deps,
        samples.shopify_request(
            "checkouts/create", samples.shopify_checkout("tok1", CUSTOMER, T0, [(51, 2, "15000.00")]), "e1"
        ),
        T0,
    )
    profile = profiles.get("maple-goods", "7001")
    assert profile.cart.item_count == 2 and profile.cart.amount == Decimal("30000.00")
    assert profile.checkout is not None and profile.checkout.completed_at is None
    paid_at = T0 + timedelta(minutes=20)
    order = samples.shopify_order(9001, CUSTOMER, paid_at, [(51, 2, "15000.00")], checkout_token="tok1")
    send(deps, samples.shopify_request("orders/create", order, "e2"), paid_at)
    profile = profiles.get("maple-goods", "7001")
    assert profile.checkout is not None and profile.checkout.completed_at == paid_at
    assert profile.cart.item_count == 0


@pytest.mark.parametrize(
    ("event_no", "resource"),
    [(90071, {"order_id": "A,B"}), (90145, {"member_id": "m"}), (90999, {"member_id": "m"})],
    ids=["bulk shipping without the app", "member dormant", "an unknown event"],
)
def test_cafe24_events_nudge_cannot_use_are_accepted_and_recorded_as_ignored_with_the_reason(
    event_no: int, resource: dict
) -> None:
    deps, profiles, publisher = local_dependencies()
    result = send(deps, samples.cafe24_request(event_no, resource), T0)
    assert result.status == "ignored" and result.reason
    assert len(profiles.records) == 1 and profiles.profiles == {} and publisher.published == []


def test_an_events_id_names_the_delivery_it_came_in_even_when_the_stores_own_id_has_a_hash() -> None:
    from nudge.profiles.events import delivery_event_id, delivery_of

    assert delivery_of(delivery_event_id("cafe24:90032:ab12", 2)) == "cafe24:90032:ab12"
    assert delivery_of(delivery_event_id("nudge:order#42", 0)) == "nudge:order#42"
    assert delivery_of("import:dd00042:sms") == "import:dd00042:sms"  # not a delivery's: its own
