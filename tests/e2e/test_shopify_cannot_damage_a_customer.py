"""Nobody outside can damage a customer's data through the Shopify webhook endpoint, over HTTP on the local
runtime with real Shopify HMAC signatures (nudge_local.demo.samples signs each body with the store's client
secret, as Shopify does).

1. Replays. X-Shopify-Hmac-Sha256 covers the raw body only: X-Shopify-Event-Id, X-Shopify-Topic and
   X-Shopify-Triggered-At are not signed. A captured body re-sent with a new event id (the next minute or 30
   days later), or under another topic, changes nothing; a body older than Shopify's retry window is
   acknowledged (200, so Shopify would not retry it) and not applied. Genuine later updates of the same order
   still apply.
2. Refunds. refunds/create (a delivered order returned) stops the order's review request, and an order
   refunded in full is no longer the customer's last purchase: "no purchase in 7 days" finds them again.
"""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from nudge_local.demo import samples
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import KST, call, hold_send_jobs, profiles, scan, send

STORE = "maple-goods"
BASE = f"/admin/stores/{STORE}"
ORDERED = datetime(2026, 3, 18, 10, 0, tzinfo=KST)
DELIVERED = datetime(2026, 3, 20, 11, 0, tzinfo=KST)  # a Friday
REVIEW_AT = datetime(2026, 3, 23, 16, 0, tzinfo=KST)  # 3 days later at 16:00
JISOO = samples.shopify_customer(7001, "Jisoo", "Park", "+82 10-0000-2001", ORDERED - timedelta(days=30))
MUGS = [(51, 2, "15000.00")]
ORDER = samples.shopify_order(9001, JISOO, ORDERED, MUGS)


@pytest.fixture
def runtime() -> Any:
    with LocalRuntime(start=ORDERED) as rt:
        hold_send_jobs(rt)  # these tests read the send jobs the automations queue
        yield rt


def shopify(runtime: LocalRuntime, topic: str, payload: dict[str, Any], event_id: str) -> tuple[int, dict]:
    return send(runtime, samples.shopify_request(topic, payload, event_id, triggered_at=runtime.clock.now()))


def delivery_records(runtime: LocalRuntime) -> list[dict[str, Any]]:
    return [i for i in scan(runtime, "EventsTable") if str(i["pk"]).startswith(f"d#{STORE}#")]


def send_jobs(runtime: LocalRuntime) -> list[dict[str, Any]]:
    client = runtime.client("sqs")
    jobs: list[dict[str, Any]] = []
    while messages := client.receive_message(
        QueueUrl=runtime.queue_url("SendQueue"), MaxNumberOfMessages=10, VisibilityTimeout=600
    ).get("Messages", []):
        jobs.extend(json.loads(m["Body"]) for m in messages)
    return jobs


def jisoo(runtime: LocalRuntime) -> Any:
    return profiles(runtime)[(STORE, "7001")]


# ---------------------------------------------------------------- 1. replays


def test_a_captured_order_resent_with_a_new_event_id_changes_nothing(runtime: LocalRuntime) -> None:
    assert shopify(runtime, "orders/create", ORDER, "ev-1")[1]["status"] == "applied"
    runtime.run_until_idle()
    before, records = jisoo(runtime), delivery_records(runtime)

    runtime.set_time(ORDERED + timedelta(minutes=3))
    status, body = shopify(runtime, "orders/create", ORDER, "attacker-1")
    assert (status, body["status"]) == (200, "duplicate")
    runtime.set_time(ORDERED + timedelta(days=30))
    status, body = shopify(runtime, "orders/create", ORDER, "attacker-2")
    assert status == 200 and body["status"] in ("duplicate", "ignored")

    runtime.run_until_idle()
    assert jisoo(runtime) == before
    assert len(delivery_records(runtime)) == len(records)


def test_a_body_older_than_shopifys_retry_window_is_acknowledged_and_not_applied(
    runtime: LocalRuntime,
) -> None:
    # A body Nudge has no record of (signed for the shop weeks ago): Shopify stopped retrying it 4 hours after
    # the event, so only a replay can bring it now. 200, so that no retry follows a refusal.
    runtime.set_time(ORDERED + timedelta(days=30))
    status, body = shopify(runtime, "orders/create", ORDER, "attacker-1")
    assert (status, body["status"]) == (200, "ignored")
    assert "older than" in body["reason"]
    assert (STORE, "7001") not in profiles(runtime)


def test_genuine_updates_of_the_same_order_still_apply(runtime: LocalRuntime) -> None:
    pending = samples.shopify_order(9001, JISOO, ORDERED, MUGS, financial_status="pending")
    assert shopify(runtime, "orders/create", pending, "ev-1")[1]["status"] == "applied"
    paid_at = ORDERED + timedelta(hours=2)
    runtime.set_time(paid_at)
    paid = {**pending, "financial_status": "paid", "updated_at": paid_at.isoformat(),
            "processed_at": paid_at.isoformat()}  # fmt: skip
    assert shopify(runtime, "orders/paid", paid, "ev-2")[1]["status"] == "applied"
    assert jisoo(runtime).orders["9001"].paid_at == paid_at
    # Shopify retries the paid webhook (the same event id, the same body): a duplicate.
    assert shopify(runtime, "orders/paid", paid, "ev-2")[1]["status"] == "duplicate"


def test_a_captured_body_sent_under_another_topic_changes_nothing(runtime: LocalRuntime) -> None:
    shopify(runtime, "orders/create", ORDER, "ev-1")
    runtime.set_time(ORDERED + timedelta(minutes=5))
    status, body = shopify(runtime, "orders/cancelled", ORDER, "attacker-1")
    assert (status, body["status"]) == (200, "ignored")
    status, body = shopify(runtime, "customers/redact", ORDER, "attacker-2")
    assert status == 400 and {"shop_domain", "orders_to_redact"} <= {f["field"] for f in body["fields"]}
    profile = jisoo(runtime)
    assert profile.orders["9001"].status == "paid" and profile.order_count == 1


# ---------------------------------------------------------------- 2. refunds


@pytest.mark.parametrize("returned", [True, False], ids=["returned", "kept"])
def test_a_refund_of_a_delivered_order_stops_its_review_request(
    runtime: LocalRuntime, returned: bool
) -> None:
    params = {"params": {"link": "https://maple-goods.example/pages/review"}}
    status, automation = call(runtime, "POST", f"{BASE}/automation-templates/review_request", params)
    assert status == 201, automation
    shopify(runtime, "customers/create", {**JISOO, "created_at": ORDERED.isoformat(),
                                          "updated_at": ORDERED.isoformat()}, "ev-0")  # fmt: skip
    shopify(runtime, "orders/create", ORDER, "ev-1")
    runtime.set_time(DELIVERED)
    delivered = samples.shopify_fulfillment(1, 9001, DELIVERED, "delivered")
    assert shopify(runtime, "fulfillments/update", delivered, "ev-2")[1]["events"] == ["order.delivered"]
    runtime.run_until_idle()

    returned_at = DELIVERED + timedelta(days=1)
    runtime.set_time(returned_at)
    if returned:
        refund = samples.shopify_refund(77, ORDER, returned_at)
        status, body = shopify(runtime, "refunds/create", refund, "ev-3")
        assert (status, body) == (200, {"status": "applied", "events": ["order.refunded"]})

    runtime.set_time(REVIEW_AT + timedelta(minutes=1))
    jobs = [(j["source"], j["business_key"]) for j in send_jobs(runtime)]
    assert jobs == ([] if returned else [(f"automation:{automation['automation_id']}", "order:9001")])


def test_a_refunded_order_is_no_longer_the_last_purchase_so_no_purchase_in_7_days_finds_them() -> None:
    earlier = ORDERED - timedelta(days=20)
    with LocalRuntime(start=earlier) as runtime:
        _refund_the_last_of_two_orders(runtime, earlier)


def _refund_the_last_of_two_orders(runtime: LocalRuntime, earlier: datetime) -> None:
    shopify(
        runtime, "orders/create", samples.shopify_order(9000, JISOO, earlier, [(50, 1, "9000.00")]), "ev-0"
    )
    runtime.set_time(ORDERED)
    shopify(runtime, "orders/create", ORDER, "ev-1")
    segment = {"match": "all", "include": [{"field": "member.all"}],
               "exclude": [{"field": "purchase.last", "within_days": 7}]}  # fmt: skip

    def no_purchase_in_7_days() -> int:
        status, preview = call(runtime, "POST", f"{BASE}/segments/preview", {"definition": segment})
        assert status == 200, preview
        return int(preview["count"])

    runtime.set_time(ORDERED + timedelta(days=2))
    assert no_purchase_in_7_days() == 0
    refund = samples.shopify_refund(77, ORDER, runtime.clock.now())
    assert shopify(runtime, "refunds/create", refund, "ev-2")[1]["status"] == "applied"
    assert no_purchase_in_7_days() == 1
    profile = jisoo(runtime)
    assert profile.last_purchase_at == earlier and profile.order_count == 1


def test_a_partial_refund_keeps_the_purchase_and_lowers_the_amount(runtime: LocalRuntime) -> None:
    shopify(runtime, "orders/create", ORDER, "ev-1")
    runtime.set_time(ORDERED + timedelta(days=2))
    refund = samples.shopify_refund(78, ORDER, runtime.clock.now(), [(0, 1)])  # one of the two mugs
    assert shopify(runtime, "refunds/create", refund, "ev-2")[1]["status"] == "applied"
    profile = jisoo(runtime)
    assert profile.last_purchase_at == ORDERED and profile.order_count == 1
    assert profile.order_amount == 15000
