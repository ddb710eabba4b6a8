"""A captured Shopify webhook cannot be applied twice: only the body is signed (X-Shopify-Hmac-Sha256 covers
the raw body, never a header), so a body re-sent with another X-Shopify-Event-Id, another topic or years later
is recognised from what the signed body itself says: the resource, its time, its bytes."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from nudge.errors import InvalidPayload
from nudge.ingest.platforms.shopify import MAX_DELIVERY_AGE
from nudge.profiles.profile import OrderStatus
from nudge_local.demo import samples
from tests.fakes import local_dependencies
from tests.unit.ingest.helpers import send

KST = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 3, 18, 10, 0, tzinfo=KST)
STORE = "maple-goods"
CUSTOMER = samples.shopify_customer(7001, "Jisoo", "Park", "+82 10-0000-2001", T0)
ORDER = samples.shopify_order(9001, CUSTOMER, T0, [(51, 2, "15000.00")])


def test_the_same_body_with_a_new_event_id_is_a_duplicate_and_publishes_nothing() -> None:
    deps, profiles, publisher = local_dependencies()
    first = send(deps, samples.shopify_request("orders/create", ORDER, "e1"), T0)
    assert first.status == "applied"
    published = len(publisher.published)
    version = profiles.get(STORE, "7001").version

    replay = send(
        deps, samples.shopify_request("orders/create", ORDER, "forged-e2"), T0 + timedelta(minutes=5)
    )

    assert replay.status == "duplicate"
    assert replay.delivery_key == first.delivery_key
    assert profiles.get(STORE, "7001").version == version
    # A duplicate hands the same events on again (at-least-once), never new ones.
    assert {e.event_id for e in publisher.published[published:]} <= {
        e.event_id for e in publisher.published[:published]
    }


def test_the_same_body_thirty_days_later_with_a_new_event_id_changes_nothing() -> None:
    deps, profiles, publisher = local_dependencies()
    send(deps, samples.shopify_request("orders/create", ORDER, "e1"), T0)
    before = profiles.get(STORE, "7001").version
    seen = {e.event_id for e in publisher.published}

    replay = send(deps, samples.shopify_request("orders/create", ORDER, "e-replay"), T0 + timedelta(days=30))

    assert replay.status in ("duplicate", "ignored")
    assert profiles.get(STORE, "7001").version == before
    assert {e.event_id for e in publisher.published} == seen


def test_a_body_older_than_shopifys_retry_window_is_acknowledged_and_ignored() -> None:
    deps, profiles, publisher = local_dependencies()
    # Never delivered here before (its delivery record long gone, or captured elsewhere): too old to be one of
    # Shopify's own retries, which stop 4 hours after the event.
    result = send(deps, samples.shopify_request("orders/create", ORDER, "e-old"), T0 + timedelta(days=30))
    assert result.status == "ignored"
    assert result.reason is not None and "older than" in result.reason
    assert profiles.profiles == {} and publisher.published == []


def test_a_body_just_inside_the_window_is_applied() -> None:
    deps, _, _ = local_dependencies()
    result = send(deps, samples.shopify_request("orders/create", ORDER, "e1"), T0 + MAX_DELIVERY_AGE)
    assert result.status == "applied"


def test_distinct_updates_of_one_order_each_apply() -> None:
    deps, profiles, _ = local_dependencies()
    unpaid = samples.shopify_order(9001, CUSTOMER, T0, [(51, 2, "15000.00")], financial_status="pending")
    paid = {**unpaid, "financial_status": "paid", "updated_at": (T0 + timedelta(hours=1)).isoformat(),
            "processed_at": (T0 + timedelta(hours=1)).isoformat()}  # fmt: skip
    cancelled = {**paid, "financial_status": "voided", "updated_at": (T0 + timedelta(hours=2)).isoformat(),
                 "cancelled_at": (T0 + timedelta(hours=2)).isoformat()}  # fmt: skip

    assert send(deps, samples.shopify_request("orders/create", unpaid, "e1"), T0).status == "applied"
    assert send(deps, samples.shopify_request("orders/paid", paid, "e2"), T0 + timedelta(hours=1)).status == (
        "applied"
    )
    order = profiles.get(STORE, "7001").orders["9001"]
    assert order.status is OrderStatus.PAID and order.paid_at == T0 + timedelta(hours=1)
    later = T0 + timedelta(hours=2)
    assert send(deps, samples.shopify_request("orders/cancelled", cancelled, "e3"), later).status == "applied"
    assert profiles.get(STORE, "7001").orders["9001"].status is OrderStatus.CANCELED


def test_two_updates_in_the_same_second_are_both_applied() -> None:
    """Shopify's times have whole seconds: two changes of one customer within a second are two bodies."""
    deps, profiles, _ = local_dependencies()
    send(deps, samples.shopify_request("customers/create", CUSTOMER, "e1"), T0)
    at = T0 + timedelta(minutes=1)
    renamed = {**CUSTOMER, "first_name": "Jisu", "updated_at": at.isoformat()}
    unsubscribed = {
        **renamed,
        "sms_marketing_consent": {"state": "unsubscribed", "consent_updated_at": at.isoformat()},
    }
    assert send(deps, samples.shopify_request("customers/update", renamed, "e2"), at).status == "applied"
    assert send(deps, samples.shopify_request("customers/update", unsubscribed, "e3"), at).status == "applied"
    assert not profiles.get(STORE, "7001").has_consent("sms")


def test_an_order_body_sent_as_orders_cancelled_cancels_nothing() -> None:
    """The topic is a header, so it is not signed: the body must itself say the order was cancelled."""
    deps, profiles, _ = local_dependencies()
    send(deps, samples.shopify_request("orders/create", ORDER, "e1"), T0)
    later = T0 + timedelta(minutes=10)
    result = send(deps, samples.shopify_request("orders/cancelled", ORDER, "forged"), later)
    assert result.status == "ignored"
    assert profiles.get(STORE, "7001").orders["9001"].status is OrderStatus.PAID


def test_an_unpaid_order_body_sent_as_orders_paid_marks_nothing_paid() -> None:
    deps, profiles, _ = local_dependencies()
    unpaid = samples.shopify_order(9001, CUSTOMER, T0, [(51, 2, "15000.00")], financial_status="pending")
    send(deps, samples.shopify_request("orders/create", unpaid, "e1"), T0)
    result = send(deps, samples.shopify_request("orders/paid", unpaid, "forged"), T0 + timedelta(minutes=1))
    assert result.status == "ignored"
    assert profiles.get(STORE, "7001").orders["9001"].paid_at is None


def test_an_old_customer_body_sent_as_customers_create_is_no_sign_up() -> None:
    deps, profiles, publisher = local_dependencies()
    later = T0 + timedelta(days=10)
    updated = {**CUSTOMER, "updated_at": later.isoformat()}  # created 10 days ago, changed now
    assert send(deps, samples.shopify_request("customers/update", updated, "e1"), later).status == "applied"
    result = send(deps, samples.shopify_request("customers/create", updated, "forged"), later)
    assert result.status == "ignored"
    assert "member.joined" not in [e.type.value for e in publisher.published]
    assert profiles.get(STORE, "7001").joined_at is None


def test_an_order_body_sent_as_customers_redact_is_refused() -> None:
    deps, profiles, _ = local_dependencies()
    send(deps, samples.shopify_request("orders/create", ORDER, "e1"), T0)
    with pytest.raises(InvalidPayload) as refused:
        send(deps, samples.shopify_request("customers/redact", ORDER, "forged"), T0 + timedelta(minutes=1))
    assert {f.field for f in refused.value.fields} >= {"shop_domain", "orders_to_redact"}
    assert profiles.get(STORE, "7001").order_count == 1


def test_a_refund_body_is_one_delivery_whatever_its_event_id() -> None:
    deps, profiles, _ = local_dependencies()
    send(deps, samples.shopify_request("orders/create", ORDER, "e1"), T0)
    at = T0 + timedelta(days=3)
    refund = samples.shopify_refund(77, ORDER, at, [(0, 1)])  # one of the two mugs
    assert send(deps, samples.shopify_request("refunds/create", refund, "r1"), at).status == "applied"
    again = send(deps, samples.shopify_request("refunds/create", refund, "r2"), at + timedelta(minutes=1))
    assert again.status == "duplicate"
    assert profiles.get(STORE, "7001").orders["9001"].refunded == Decimal("15000.00")


def test_the_delivery_key_names_the_topic_the_resource_and_its_time() -> None:
    deps, _, _ = local_dependencies()
    result = send(deps, samples.shopify_request("orders/create", ORDER, "e1"), T0)
    assert result.delivery_key.startswith(f"shopify:orders/create:9001:{T0.astimezone(UTC):%Y%m%dT%H%M%SZ}:")
