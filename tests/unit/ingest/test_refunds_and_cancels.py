"""Refunds and cancels: Shopify's refunds/create is read as a refund of its order; an order refunded in
full or canceled no longer counts as a purchase, so the last purchase is the last order that still stands;
a partial refund keeps the purchase and lowers its amount; either takes the order out of its review and
repurchase journeys."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from nudge.automations.definitions import Automation, exit_reason
from nudge.automations.templates import template_definition
from nudge.profiles.events import OrderCanceled, OrderPaid, OrderPlaced, OrderRefunded
from nudge.profiles.profile import OrderStatus, Profile, apply_event
from nudge.segments.evaluate import compile_segment
from nudge_local.demo import samples
from nudge_local.runtime.stores import MAPLE
from tests.fakes import local_dependencies
from tests.unit.ingest.helpers import send

KST = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 3, 18, 10, 0, tzinfo=KST)
STORE = "maple-goods"
CUSTOMER = samples.shopify_customer(7001, "Jisoo", "Park", "+82 10-0000-2001", T0)
MUGS = [(51, 2, "15000.00"), (52, 1, "8000.00")]  # 38,000 in all
NO_PURCHASE_IN_7_DAYS = {"match": "all", "include": [{"field": "member.all"}],
                         "exclude": [{"field": "purchase.last", "within_days": 7}]}  # fmt: skip


def _shopify(topic: str, payload: dict, event_id: str, at: datetime, deps=None):
    deps = deps or local_dependencies()[0]
    return send(deps, samples.shopify_request(topic, payload, event_id), at)


def _two_orders() -> tuple:
    """Jisoo bought 20 days ago (9000) and 3 days ago (9001, two products)."""
    deps, profiles, publisher = local_dependencies()
    first, second = T0 - timedelta(days=20), T0 - timedelta(days=3)
    old = samples.shopify_order(9000, CUSTOMER, first, [(50, 1, "9000.00")])
    new = samples.shopify_order(9001, CUSTOMER, second, MUGS)
    assert send(deps, samples.shopify_request("orders/create", old, "o1"), first).status == "applied"
    assert send(deps, samples.shopify_request("orders/create", new, "o2"), second).status == "applied"
    return deps, profiles, publisher, new, first, second


# ---------------------------------------------------------------- refunds/create


def test_a_full_refund_is_an_order_refunded_event_and_removes_the_purchase() -> None:
    deps, profiles, publisher, new, first, second = _two_orders()
    assert profiles.get(STORE, "7001").last_purchase_at == second

    result = send(
        deps, samples.shopify_request("refunds/create", samples.shopify_refund(77, new, T0), "r1"), T0
    )

    assert result.status == "applied" and result.event_types == ("order.refunded",)
    refunded = publisher.published[-1]
    assert isinstance(refunded, OrderRefunded)
    assert (refunded.order_id, refunded.amount, refunded.customer_id) == ("9001", Decimal("38000.00"), "7001")
    assert refunded.source == "shopify:refunds/create" and refunded.occurred_at == T0.astimezone(UTC)
    profile = profiles.get(STORE, "7001")
    order = profile.orders["9001"]
    assert order.status is OrderStatus.REFUNDED and not order.counts_as_purchase
    assert profile.order_count == 1 and profile.order_amount == Decimal("9000.00")
    assert profile.last_purchase_at == first  # the order that still stands
    assert set(profile.products_bought) == {"50"}


def test_a_partial_refund_keeps_the_purchase_and_lowers_its_amount() -> None:
    deps, profiles, _, new, _, second = _two_orders()
    refund = samples.shopify_refund(78, new, T0, [(1, 1)])  # the 8,000 one goes back
    assert send(deps, samples.shopify_request("refunds/create", refund, "r1"), T0).status == "applied"

    profile = profiles.get(STORE, "7001")
    order = profile.orders["9001"]
    assert order.refunded == Decimal("8000.00") and order.status is OrderStatus.PAID
    assert order.counts_as_purchase and order.net_amount == Decimal("30000.00")
    assert profile.order_count == 2 and profile.order_amount == Decimal("39000.00")
    assert profile.last_purchase_at == second
    assert {"51", "52"} <= set(profile.products_bought)


def test_two_partial_refunds_that_return_everything_are_a_full_refund() -> None:
    deps, profiles, _, new, first, _ = _two_orders()
    one = samples.shopify_refund(78, new, T0, [(0, 2)])
    two = samples.shopify_refund(79, new, T0 + timedelta(hours=1), [(1, 1)])
    send(deps, samples.shopify_request("refunds/create", one, "r1"), T0)
    assert profiles.get(STORE, "7001").orders["9001"].counts_as_purchase
    send(deps, samples.shopify_request("refunds/create", two, "r2"), T0 + timedelta(hours=1))
    profile = profiles.get(STORE, "7001")
    assert profile.orders["9001"].status is OrderStatus.REFUNDED
    assert profile.last_purchase_at == first


def test_only_money_that_went_back_counts() -> None:
    deps, profiles, _, new, _, second = _two_orders()
    failed = samples.shopify_refund(80, new, T0, status="failure")
    assert send(deps, samples.shopify_request("refunds/create", failed, "r1"), T0).status == "applied"
    order = profiles.get(STORE, "7001").orders["9001"]
    # Items came back (the journeys of the order stop), no money did: still a purchase of its full amount.
    assert (
        order.refunded == Decimal(0) and order.counts_as_purchase and order.net_amount == Decimal("38000.00")
    )
    assert profiles.get(STORE, "7001").last_purchase_at == second


def test_a_refund_of_an_order_nudge_never_saw_is_recorded_as_ignored() -> None:
    deps, profiles, publisher = local_dependencies()
    stranger = samples.shopify_order(4242, CUSTOMER, T0, MUGS)
    result = send(
        deps, samples.shopify_request("refunds/create", samples.shopify_refund(1, stranger, T0), "r"), T0
    )
    assert result.status == "ignored" and "4242" in (result.reason or "")
    assert profiles.profiles == {} and publisher.published == []


def test_a_refund_names_its_fields_when_they_are_missing() -> None:
    import pytest

    from nudge.errors import InvalidPayload

    deps, _, _ = local_dependencies()
    with pytest.raises(InvalidPayload) as refused:
        send(
            deps, samples.shopify_request("refunds/create", {"id": 1, "created_at": T0.isoformat()}, "r"), T0
        )
    assert {f.field for f in refused.value.fields} >= {"order_id", "refund_line_items", "transactions"}


# ---------------------------------------------------------------- cancels, and the order events arrive


def test_a_cancel_of_the_last_order_moves_the_last_purchase_back() -> None:
    deps, profiles, _, new, first, _ = _two_orders()
    cancelled = {
        **new,
        "financial_status": "voided",
        "cancelled_at": T0.isoformat(),
        "updated_at": T0.isoformat(),
    }
    assert send(deps, samples.shopify_request("orders/cancelled", cancelled, "c1"), T0).status == "applied"
    profile = profiles.get(STORE, "7001")
    assert profile.last_purchase_at == first and profile.first_purchase_at == first
    assert profile.order_count == 1


def test_canceling_the_only_order_leaves_no_purchase() -> None:
    profile = Profile("s", "c")
    zone = ZoneInfo("Asia/Seoul")
    common = {"store_id": "s", "customer_id": "c", "source": "t", "order_id": "o1"}
    apply_event(profile, OrderPlaced(event_id="1", occurred_at=T0, amount=Decimal(10), **common), zone)
    apply_event(profile, OrderPaid(event_id="2", occurred_at=T0, **common), zone)
    assert _purchases(profile) == (T0, T0, {})
    apply_event(profile, OrderCanceled(event_id="3", occurred_at=T0 + timedelta(hours=1), **common), zone)
    assert _purchases(profile) == (None, None, {})


def _purchases(profile: Profile) -> tuple:
    return profile.first_purchase_at, profile.last_purchase_at, profile.products_bought


def test_a_payment_arriving_after_the_cancel_is_no_purchase() -> None:
    profile = Profile("s", "c")
    zone = ZoneInfo("Asia/Seoul")
    common = {"store_id": "s", "customer_id": "c", "source": "t", "order_id": "o1"}
    apply_event(profile, OrderCanceled(event_id="1", occurred_at=T0 + timedelta(hours=1), **common), zone)
    apply_event(profile, OrderPlaced(event_id="2", occurred_at=T0, amount=Decimal(10), **common), zone)
    apply_event(profile, OrderPaid(event_id="3", occurred_at=T0, **common), zone)
    assert profile.last_purchase_at is None and profile.order_count == 0


def test_a_full_refund_read_before_its_order_still_ends_the_order() -> None:
    profile = Profile("s", "c")
    zone = ZoneInfo("Asia/Seoul")
    common = {"store_id": "s", "customer_id": "c", "source": "t", "order_id": "o1"}
    later = T0 + timedelta(days=1)
    apply_event(profile, OrderRefunded(event_id="1", occurred_at=later, amount=Decimal(10), **common), zone)
    apply_event(profile, OrderPlaced(event_id="2", occurred_at=T0, amount=Decimal(10), **common), zone)
    apply_event(profile, OrderPaid(event_id="3", occurred_at=T0, **common), zone)
    assert profile.orders["o1"].status is OrderStatus.REFUNDED
    assert profile.last_purchase_at is None and profile.order_count == 0


def test_a_refund_without_an_amount_is_the_whole_order() -> None:
    """The Nudge format's and the member import's order.refunded name no amount: the whole order."""
    profile = Profile("s", "c")
    zone = ZoneInfo("Asia/Seoul")
    common = {"store_id": "s", "customer_id": "c", "source": "t", "order_id": "o1"}
    apply_event(profile, OrderPlaced(event_id="1", occurred_at=T0, amount=Decimal(10), **common), zone)
    apply_event(profile, OrderPaid(event_id="2", occurred_at=T0, **common), zone)
    apply_event(profile, OrderRefunded(event_id="3", occurred_at=T0 + timedelta(days=1), **common), zone)
    assert profile.orders["o1"].status is OrderStatus.REFUNDED and profile.last_purchase_at is None


# ---------------------------------------------------------------- segments and automations read the result


def test_no_purchase_in_7_days_includes_a_customer_whose_recent_order_was_refunded() -> None:
    deps, profiles, _, new, _, _ = _two_orders()
    segment = compile_segment(NO_PURCHASE_IN_7_DAYS, KST, T0)
    assert not segment.matches(profiles.get(STORE, "7001"))
    send(deps, samples.shopify_request("refunds/create", samples.shopify_refund(77, new, T0), "r1"), T0)
    assert segment.matches(profiles.get(STORE, "7001"))


def test_a_partial_refund_keeps_the_customer_a_recent_buyer() -> None:
    deps, profiles, _, new, _, _ = _two_orders()
    send(
        deps,
        samples.shopify_request("refunds/create", samples.shopify_refund(78, new, T0, [(1, 1)]), "r1"),
        T0,
    )
    assert not compile_segment(NO_PURCHASE_IN_7_DAYS, KST, T0).matches(profiles.get(STORE, "7001"))


def _template(name: str) -> Automation:
    document = {
        **template_definition(name, MAPLE.store, {"link": "https://maple-goods.example/pages/review"}),
        "automation_id": "a1",
        "store_id": STORE,
        "status": "active",
        "template": name,
        "created_at": T0.isoformat(),
        "updated_at": T0.isoformat(),
    }
    return Automation.from_document(document)


def test_any_refund_takes_the_order_out_of_its_review_request_and_repurchase_reminder() -> None:
    deps, profiles, _, new, _, second = _two_orders()
    review, repurchase = _template("review_request"), _template("repurchase_reminder")
    profile = profiles.get(STORE, "7001")
    assert exit_reason(review, 0, "order:9001", second, profile, KST, T0) is None
    send(
        deps,
        samples.shopify_request("refunds/create", samples.shopify_refund(78, new, T0, [(1, 1)]), "r1"),
        T0,
    )
    profile = profiles.get(STORE, "7001")
    assert exit_reason(review, 0, "order:9001", second, profile, KST, T0) == "exited:order_canceled"
    assert exit_reason(repurchase, 0, "order:9001", second, profile, KST, T0) == "exited:order_canceled"
    # The other order's journeys go on.
    assert exit_reason(review, 0, "order:9000", second, profile, KST, T0) is None


def test_the_nudge_format_may_name_what_a_refund_gave_back() -> None:
    deps, profiles, _ = local_dependencies()

    def nudge(event_id: str, type_: str, data: dict) -> str:
        envelope = {"event_id": event_id, "type": type_, "occurred_at": T0.isoformat(),
                    "customer": {"id": "m-1"}, "data": data}  # fmt: skip
        return send(deps, samples.nudge_request(envelope, T0), T0).status

    assert nudge("g-1", "order.placed", {"order_id": "G-1", "amount": 45000}) == "applied"
    assert nudge("g-2", "order.paid", {"order_id": "G-1"}) == "applied"
    assert nudge("g-3", "order.refunded", {"order_id": "G-1", "amount": 5000}) == "applied"
    profile = profiles.get("dogday-mall", "m-1")
    assert profile.order_amount == Decimal(40000) and profile.order_count == 1
