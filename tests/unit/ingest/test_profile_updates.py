"""The profile stays right when webhooks arrive three times, late, or at the same moment as others."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from nudge.ingest.service import ConcurrentUpdates
from nudge.profiles.profile import OrderStatus
from nudge_local.demo import samples
from tests.fakes import local_dependencies
from tests.unit.ingest.helpers import send

KST = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 3, 18, 10, 0, tzinfo=KST)


def _storyline() -> list[tuple[samples.SampleRequest, datetime]]:
    return [
        (samples.cafe24_member_joined("dogfan01", "김민지", "010-0000-1001", T0, True, False), T0),
        (samples.cafe24_added_to_cart("dogfan01", 12, 2), T0 + timedelta(hours=1)),
        (
            samples.cafe24_order_placed("O-1", "dogfan01", T0 + timedelta(hours=2), 42000, ["P12"]),
            T0 + timedelta(hours=2),
        ),
        (samples.cafe24_shipping("O-1", "dogfan01", "M"), T0 + timedelta(days=1)),
        (samples.cafe24_shipping("O-1", "dogfan01", "T"), T0 + timedelta(days=2)),
        (
            samples.tracker_request(
                "v-1", [{"id": "p1", "type": "page_view", "path": "/event/dogday"}], member_id="dogfan01"
            ),
            T0 + timedelta(days=2, hours=1),
        ),
    ]


def test_a_webhook_delivered_three_times_changes_the_profile_once() -> None:
    once, once_profiles, _ = local_dependencies()
    thrice, thrice_profiles, _ = local_dependencies()
    for request, at in _storyline():
        send(once, request, at)
        results = [send(thrice, request, at + timedelta(seconds=s)) for s in (0, 30, 600)]
        assert [r.status for r in results] == ["applied", "duplicate", "duplicate"]
    assert thrice_profiles.get("dogday-mall", "dogfan01") == once_profiles.get("dogday-mall", "dogfan01")
    profile = thrice_profiles.get("dogday-mall", "dogfan01")
    assert profile.order_count == 1 and profile.page_views == {"20260320": {"/event/dogday": 1}}
    assert thrice_profiles.saves == once_profiles.saves


def test_duplicates_hand_their_events_on_again_with_the_same_ids() -> None:
    """A crash between the profile write and the queue must not lose events: the platform's retry re-sends
    them, and automations recognise them by event_id."""
    deps, _, publisher = local_dependencies()
    request, at = _storyline()[0]
    publisher.fail_next = 1
    with pytest.raises(RuntimeError):
        send(deps, request, at)
    assert send(deps, request, at).status == "duplicate"
    assert [e.type.value for e in publisher.published] == [
        "member.joined",
        "consent.changed",
        "consent.changed",
    ]


def test_a_late_in_transit_webhook_never_moves_a_delivered_order_back() -> None:
    deps, profiles, _ = local_dependencies()
    send(deps, samples.cafe24_order_placed("O-1", "dogfan01", T0, 42000, ["P12"]), T0)
    send(deps, samples.cafe24_shipping("O-1", "dogfan01", "T"), T0 + timedelta(days=2))
    send(deps, samples.cafe24_shipping("O-1", "dogfan01", "M"), T0 + timedelta(days=3))  # arrives late
    order = profiles.get("dogday-mall", "dogfan01").orders["O-1"]
    assert order.status is OrderStatus.DELIVERED


def test_an_older_login_arriving_late_never_moves_last_login_backwards() -> None:
    deps, profiles, _ = local_dependencies()
    newer, older = T0 + timedelta(days=1), T0
    login = {"type": "member.logged_in", "customer": {"id": "m-1"}}
    send(
        deps,
        samples.nudge_request({**login, "event_id": "l2", "occurred_at": newer.isoformat()}, newer),
        newer,
    )
    send(
        deps,
        samples.nudge_request({**login, "event_id": "l1", "occurred_at": older.isoformat()}, newer),
        newer,
    )
    assert profiles.get("dogday-mall", "m-1").last_login_at == newer


def test_an_older_consent_arriving_late_never_overrides_a_newer_withdrawal() -> None:
    deps, profiles, _ = local_dependencies()
    consent = {"type": "consent.changed", "customer": {"id": "m-1"}}
    withdrawn_at, granted_at = T0 + timedelta(days=2), T0
    send(
        deps,
        samples.nudge_request(
            {
                **consent,
                "event_id": "c2",
                "occurred_at": withdrawn_at.isoformat(),
                "data": {"channel": "sms", "granted": False},
            },
            withdrawn_at,
        ),
        withdrawn_at,
    )
    send(
        deps,
        samples.nudge_request(
            {
                **consent,
                "event_id": "c1",
                "occurred_at": granted_at.isoformat(),
                "data": {"channel": "sms", "granted": True},
            },
            withdrawn_at,
        ),
        withdrawn_at,
    )
    consent_now = profiles.get("dogday-mall", "m-1").consents["sms"]
    assert consent_now.granted is False and consent_now.at == withdrawn_at


def test_a_late_order_placed_after_payment_fills_products_without_losing_payment() -> None:
    deps, profiles, _ = local_dependencies()
    order = {"customer": {"id": "m-1"}, "data": {"order_id": "G-1"}}
    paid_at = T0 + timedelta(minutes=5)
    send(
        deps,
        samples.nudge_request(
            {**order, "event_id": "p", "type": "order.paid", "occurred_at": paid_at.isoformat()}, paid_at
        ),
        paid_at,
    )
    send(
        deps,
        samples.nudge_request(
            {
                **order,
                "event_id": "o",
                "type": "order.placed",
                "occurred_at": T0.isoformat(),
                "data": {"order_id": "G-1", "amount": 30000, "lines": [{"product_id": "SKU-1"}]},
            },
            paid_at,
        ),
        paid_at,
    )
    profile = profiles.get("dogday-mall", "m-1")
    assert profile.orders["G-1"].status is OrderStatus.PAID
    assert profile.last_purchase_at == paid_at and profile.products_bought == {"SKU-1": paid_at}
    assert profile.order_count == 1


def test_a_cart_add_from_before_the_order_arriving_late_does_not_refill_the_cart() -> None:
    deps, profiles, _ = local_dependencies()
    cart = {"type": "cart.updated", "customer": {"id": "m-1"}}
    order_at = T0 + timedelta(hours=1)
    send(
        deps,
        samples.nudge_request(
            {
                "event_id": "o",
                "type": "order.placed",
                "occurred_at": order_at.isoformat(),
                "customer": {"id": "m-1"},
                "data": {"order_id": "G-1", "amount": 1},
            },
            order_at,
        ),
        order_at,
    )
    send(
        deps,
        samples.nudge_request(
            {
                **cart,
                "event_id": "c",
                "occurred_at": T0.isoformat(),
                "data": {"lines": [{"product_id": "SKU-1"}]},
            },
            order_at,
        ),
        order_at,
    )
    assert profiles.get("dogday-mall", "m-1").cart.item_count == 0


def test_a_refund_after_delivery_ends_the_order_and_it_no_longer_counts() -> None:
    deps, profiles, _ = local_dependencies()
    send(deps, samples.cafe24_order_placed("O-1", "dogfan01", T0, 42000, ["P12"]), T0)
    send(deps, samples.cafe24_shipping("O-1", "dogfan01", "T"), T0 + timedelta(days=2))
    refund_at = T0 + timedelta(days=4)
    send(
        deps,
        samples.nudge_request(
            {
                "event_id": "r",
                "type": "order.refunded",
                "occurred_at": refund_at.isoformat(),
                "customer": {"id": "dogfan01"},
                "data": {"order_id": "O-1"},
            },
            refund_at,
        ),
        refund_at,
    )
    profile = profiles.get("dogday-mall", "dogfan01")
    assert profile.orders["O-1"].status is OrderStatus.REFUNDED
    assert profile.order_count == 0


def test_a_concurrent_change_to_the_same_profile_is_retried_on_the_fresh_profile() -> None:
    deps, profiles, _ = local_dependencies()
    send(deps, samples.cafe24_login("dogfan01"), T0)
    profiles.interleaved_writes = 2
    assert send(deps, samples.cafe24_added_to_cart("dogfan01", 12), T0).status == "applied"
    assert profiles.get("dogday-mall", "dogfan01").cart.item_count == 1


def test_a_profile_that_keeps_changing_fails_the_request_so_the_platform_retries() -> None:
    deps, profiles, publisher = local_dependencies()
    send(deps, samples.cafe24_login("dogfan01"), T0)
    profiles.interleaved_writes = 99
    with pytest.raises(ConcurrentUpdates):
        send(deps, samples.cafe24_added_to_cart("dogfan01", 12), T0)
    assert profiles.get("dogday-mall", "dogfan01").cart.item_count == 0
    assert len(publisher.published) == 1  # only the login


def test_page_views_are_counted_per_store_day_and_path_and_old_days_are_dropped() -> None:
    deps, profiles, _ = local_dependencies()
    late_evening = datetime(2026, 3, 18, 23, 30, tzinfo=KST)  # 14:30 UTC: still the 18th in Seoul
    events = [
        {"id": f"p{i}", "type": "page_view", "path": "/event/dogday", "dwell_seconds": 10} for i in range(3)
    ]
    send(deps, samples.tracker_request("v-1", events, member_id="m-1"), late_evening)
    send(
        deps,
        samples.tracker_request("v-1", [{"id": "q", "type": "visit"}], member_id="m-1"),
        late_evening + timedelta(days=61),
    )
    profile = profiles.get("dogday-mall", "m-1")
    assert "20260318" not in profile.page_views and profile.visit_count == 1
    fresh, fresh_profiles, _ = local_dependencies()
    send(fresh, samples.tracker_request("v-1", events, member_id="m-1"), late_evening)
    assert fresh_profiles.get("dogday-mall", "m-1").page_views == {"20260318": {"/event/dogday": 3}}
    assert fresh_profiles.get("dogday-mall", "m-1").dwell_seconds == {"20260318": 30}
