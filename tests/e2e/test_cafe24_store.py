"""A Cafe24 store, whole, over HTTP on the local runtime: the local Cafe24 mall (gateway/cafe24.py)
plays the merchant's mall and builds the webhooks Cafe24 sends; the Nudge app is installed the way a merchant
installs it; order events are read back from the Admin API (items, prices, status dates); what webhooks miss
is recovered by the reconciliation; a revoked install makes webhooks wait, never lose them."""

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from nudge.profiles.profile import OrderStatus, Profile
from nudge_local.demo import samples
from nudge_local.gateway.cafe24 import Cafe24Mall
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import START, call, profiles, scan

STORE, MALL = "dogday-mall", "dogdaymall"
BASE = f"/admin/stores/{STORE}"
REVIEW = {
    "name": "리뷰 요청",
    "trigger": {"event": "order.delivered"},
    "steps": [
        {
            "delay": {"days": 3, "at": "16:00"},
            "message": {
                "message_class": "informational",
                "channel": "alimtalk",
                "content": "#{name}님, 주문(#{order_id})은 잘 받으셨나요?",
                "template_code": "REVIEW_REQUEST_01",
                "template_approved": True,
                "template_message_type": "BA",
            },
        }
    ],
    "exit": {"when": ["order_canceled"]},
}


@pytest.fixture
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(start=START) as rt:
        yield rt


def mall(rt: LocalRuntime) -> Cafe24Mall:
    assert rt.cafe24 is not None
    return rt.cafe24.mall(MALL)


def post(rt: LocalRuntime, payload: dict[str, Any]) -> dict[str, Any]:
    request = samples.cafe24_request(payload["event_no"], payload["resource"])
    status, _, body = rt.http(request.method, request.path, request.headers, request.body)
    answer: dict[str, Any] = json.loads(body)
    assert status == 200, answer
    return answer


def stock_the_mall(rt: LocalRuntime) -> Cafe24Mall:
    shop = mall(rt)
    shop.put_product(
        12, "강아지 사료 2kg", 45000, image="https://img.example/12.jpg", categories=(24,), at=START
    )
    shop.put_product(13, "강아지 간식", 12900, categories=(25,), at=START)
    return shop


def member(rt: LocalRuntime, member_id: str, n: int) -> dict[str, Any]:
    return mall(rt).add_member(
        member_id,
        "김민지",
        f"010-0000-{n:04d}",
        f"{member_id}@example.com",
        sms=True,
        news_mail=False,
        created_at=START,
    )


def profile(rt: LocalRuntime, customer_id: str) -> Profile:
    return profiles(rt)[(STORE, customer_id)]


def test_an_order_event_is_read_from_the_admin_api_so_its_lines_carry_products_prices_and_names(
    runtime: LocalRuntime,
) -> None:
    runtime.install_cafe24(STORE)
    shop = stock_the_mall(runtime)
    post(runtime, member(runtime, "mong", 1))
    runtime.set_time(START + timedelta(minutes=5))
    answer = post(runtime, shop.place_order("20260316-0000001", "mong", [(12, 2)]))
    assert answer["status"] == "applied" and answer["events"] == ["order.placed", "order.paid"]
    order = profile(runtime, "mong").orders["20260316-0000001"]
    assert order.status is OrderStatus.PAID and order.amount == Decimal(90000)
    assert order.products == ("12",)  # the product number, as the cart event names it


def test_a_cafe24_cart_gets_its_price_from_the_catalog_and_counts_in_the_cart_amount(
    runtime: LocalRuntime,
) -> None:
    runtime.install_cafe24(STORE)
    shop = stock_the_mall(runtime)
    for payload in (shop.put_product(12, "강아지 사료 2kg", 45000, at=START),):
        post(runtime, payload)
    post(runtime, member(runtime, "mong", 1))
    runtime.set_time(START + timedelta(minutes=1))
    post(runtime, shop.add_to_cart("mong", 12, 1))
    cart = profile(runtime, "mong").cart
    assert cart.amount == Decimal(45000)


def test_a_refund_before_the_review_slot_stops_the_review_request(runtime: LocalRuntime) -> None:
    runtime.install_cafe24(STORE)
    status, _ = call(runtime, "POST", f"{BASE}/automations", REVIEW)
    assert status == 201
    shop = stock_the_mall(runtime)
    post(runtime, member(runtime, "mong", 1))
    order_id = "20260316-0000002"
    runtime.set_time(START + timedelta(minutes=5))
    post(runtime, shop.place_order(order_id, "mong", [(12, 1)]))
    runtime.set_time(START + timedelta(days=1))
    for payload in shop.ship(order_id):
        post(runtime, payload)
    runtime.set_time(START + timedelta(days=2))
    post(runtime, shop.deliver(order_id))
    runtime.run_until_idle()
    runtime.set_time(START + timedelta(days=3))
    post(runtime, shop.return_items(order_id))
    answer = post(runtime, shop.refund(order_id))
    assert "order.refunded" in answer["events"]
    runtime.set_time(START + timedelta(days=6))  # past the slot (delivered + 3 days at 16:00)
    runtime.run_until_idle()
    ledger = [item for item in scan(runtime, "SendsTable") if item.get("cust") or item.get("src")]
    assert not [i for i in ledger if i.get("st") == "sent"], ledger
    assert profile(runtime, "mong").orders[order_id].refunded == Decimal(45000)


def test_a_bulk_shipping_event_ships_every_order_in_it(runtime: LocalRuntime) -> None:
    runtime.install_cafe24(STORE)
    shop = stock_the_mall(runtime)
    orders = []
    for n, member_id in enumerate(("mong", "bori", "coco"), start=1):
        post(runtime, member(runtime, member_id, n))
        order_id = f"20260316-000001{n}"
        runtime.set_time(START + timedelta(minutes=n))
        post(runtime, shop.place_order(order_id, member_id, [(13, 1)]))
        orders.append((member_id, order_id))
    runtime.set_time(START + timedelta(days=1))
    [bulk] = shop.ship([o for _, o in orders], bulk=True)
    assert bulk["event_no"] == 90071
    answer = post(runtime, bulk)
    assert answer["events"] == ["order.shipped"] * 3
    for member_id, order_id in orders:
        assert profile(runtime, member_id).orders[order_id].status is OrderStatus.SHIPPED


def test_a_withdrawn_member_is_erased_and_the_record_names_no_one(runtime: LocalRuntime) -> None:
    runtime.install_cafe24(STORE)
    shop = stock_the_mall(runtime)
    post(runtime, member(runtime, "mong", 1))
    runtime.set_time(START + timedelta(minutes=5))
    post(runtime, shop.place_order("20260316-0000021", "mong", [(12, 1)]))
    runtime.set_time(START + timedelta(hours=1))
    answer = post(runtime, shop.withdraw_member("mong"))
    assert answer["status"] == "erased"
    assert (STORE, "mong") not in profiles(runtime)
    erasures = [i for i in scan(runtime, "StoresTable") if str(i.get("sk", "")).startswith("erasure")]
    assert erasures and all(i.get("requested_by", "cafe24:90147") == "cafe24:90147" for i in erasures)
    stored = json.dumps(erasures, default=str)
    assert "mong" not in stored and "010" not in stored


def test_without_the_app_an_order_event_says_what_it_carries_and_a_cancel_waits_for_the_app(
    runtime: LocalRuntime,
) -> None:
    shop = stock_the_mall(runtime)
    post(runtime, member(runtime, "mong", 1))
    order_id = "20260316-0000031"
    runtime.set_time(START + timedelta(minutes=5))
    answer = post(runtime, shop.place_order(order_id, "mong", [(12, 1)]))
    assert answer["events"] == ["order.placed", "order.paid"]
    runtime.set_time(START + timedelta(minutes=30))
    answer = post(runtime, shop.cancel(order_id))
    assert answer["status"] == "ignored" and "app" in answer["reason"]


def test_a_revoked_install_defers_the_webhook_and_the_reconciliation_reads_it_once_reinstalled(
    runtime: LocalRuntime,
) -> None:
    runtime.install_cafe24(STORE)
    shop = stock_the_mall(runtime)
    post(runtime, member(runtime, "mong", 1))
    assert runtime.cafe24 is not None
    runtime.cafe24.revoke(MALL)
    order_id = "20260316-0000041"
    runtime.set_time(START + timedelta(minutes=5))
    answer = post(runtime, shop.place_order(order_id, "mong", [(12, 1)]))
    assert answer["status"] == "deferred"
    assert order_id not in profile(runtime, "mong").orders
    status, seen = call(runtime, "GET", f"{BASE}/cafe24")
    assert status == 200 and seen["waiting"] == {"orders": 1, "members": 0, "products": 0}
    runtime.install_cafe24(STORE)
    runtime.advance(timedelta(minutes=61))  # one reconciliation period
    assert profile(runtime, "mong").orders[order_id].status is OrderStatus.PAID
    # The marketer sees what the run recovered, and that nothing waits any more.
    status, seen = call(runtime, "GET", f"{BASE}/cafe24")
    assert seen["status"] == "installed" and seen["waiting"] == {"orders": 0, "members": 0, "products": 0}
    assert seen["last_reconciliation"]["recovered"] == 2  # the order's placed and paid facts
    assert seen["last_reconciliation"]["pending_read"] == 1


def _a_day_of_the_mall(rt: LocalRuntime, drop_every: int) -> int:
    """The same day's changes; every `drop_every`-th webhook lost (0: none). Answers how many were lost."""
    rt.install_cafe24(STORE)
    shop = stock_the_mall(rt)
    lost = 0
    sent = 0

    def deliver(payloads: list[dict[str, Any]]) -> None:
        nonlocal lost, sent
        for payload in payloads:
            sent += 1
            if drop_every and (sent % drop_every == 0 or payload is last):
                lost += 1
                continue
            post(rt, payload)

    paid = [n for n in range(1, 13) if n % 5]
    last: dict[str, Any] | None = None
    for n in range(1, 13):
        member_id = f"dd{n:05d}"
        rt.set_time(START + timedelta(minutes=10 * n))
        deliver([member(rt, member_id, n)])
        order_id = f"20260316-{n:07d}"
        deliver([shop.place_order(order_id, member_id, [(12 if n % 2 else 13, 1)], paid=n in paid)])
    rt.set_time(START + timedelta(hours=3))
    for n in paid:
        deliver(shop.ship(f"20260316-{n:07d}"))
    rt.set_time(START + timedelta(hours=5))
    for n in paid:
        if n % 3 == 0:
            payload = shop.deliver(f"20260316-{n:07d}")
            last = payload if n == paid[-1] else None
            deliver([payload])
    return lost


def _orders(rt: LocalRuntime) -> dict[tuple[str, str], tuple[str, Decimal | None, tuple[str, ...]]]:
    return {
        (customer, order_id): (order.status.value, order.amount, order.products)
        for (store, customer), p in profiles(rt).items()
        if store == STORE
        for order_id, order in p.orders.items()
    }


def test_webhooks_cafe24_lost_are_recovered_by_the_reconciliation_within_one_period() -> None:
    with LocalRuntime(start=START) as whole:
        assert _a_day_of_the_mall(whole, drop_every=0) == 0
        expected = _orders(whole)
    with LocalRuntime(start=START) as lossy:
        lost = _a_day_of_the_mall(lossy, drop_every=4)
        assert lost >= 5
        # The last webhook (a delivery) was lost a moment ago: missing until the next run, at most an hour
        # away; every earlier loss was recovered by the runs in between.
        assert _orders(lossy) != expected
        lossy.advance(timedelta(minutes=61))
        assert _orders(lossy) == expected


# ---------------------------------------------------------------- the catalog's recipes, from Cafe24's events


def outbox(rt: LocalRuntime) -> list[dict[str, Any]]:
    return list(json.loads(rt.http("GET", "/_local/outbox")[2])["messages"])


def install(rt: LocalRuntime, template: str, params: dict[str, Any]) -> None:
    status, automation = call(rt, "POST", f"{BASE}/automation-templates/{template}", {"params": params})
    assert status == 201, automation


def carted(rt: LocalRuntime, shop: Cafe24Mall) -> None:
    post(rt, member(rt, "mong", 1))
    rt.set_time(START + timedelta(minutes=1))
    post(rt, shop.add_to_cart("mong", 12, 1))
    rt.run_until_idle()


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_a_cafe24_cart_near_the_threshold_gets_the_free_shipping_nudge_naming_the_gap(
    runtime: LocalRuntime,
) -> None:
    runtime.install_cafe24(STORE)
    install(runtime, "free_shipping", {"threshold": 50000, "gap": 10000, "channel": "sms"})
    shop = stock_the_mall(runtime)
    post(runtime, shop.put_product(12, "강아지 사료 2kg", 45000))
    carted(runtime, shop)
    runtime.advance(timedelta(minutes=31))
    [sent] = outbox(runtime)
    assert "5,000" in text_of(sent)  # 50,000 - 45,000: the price came from the catalog, not the cart event


def test_a_sold_out_product_back_in_stock_is_announced_to_who_carted_it(runtime: LocalRuntime) -> None:
    runtime.install_cafe24(STORE)
    install(runtime, "back_in_stock", {"channel": "sms"})
    shop = mall(runtime)
    post(runtime, shop.put_product(12, "강아지 사료 2kg", 45000, stock=0, at=START))
    carted(runtime, shop)
    assert outbox(runtime) == []
    runtime.set_time(START + timedelta(hours=2))
    payloads = shop.set_stock(12, 30)
    assert [p["event_no"] for p in payloads] == [90075, 90150]
    for payload in payloads:
        post(runtime, payload)
    runtime.run_until_idle()
    [sent] = outbox(runtime)
    assert "강아지 사료 2kg" in text_of(sent)
    post(runtime, payloads[-1])  # Cafe24 delivers it again: nothing more
    runtime.run_until_idle()
    assert len(outbox(runtime)) == 1


def test_a_price_drop_on_a_carted_product_names_both_prices(runtime: LocalRuntime) -> None:
    runtime.install_cafe24(STORE)
    install(runtime, "price_drop", {"channel": "sms"})
    shop = mall(runtime)
    post(runtime, shop.put_product(12, "강아지 사료 2kg", 45000, at=START))
    carted(runtime, shop)
    runtime.set_time(START + timedelta(hours=2))
    post(runtime, shop.put_product(12, "강아지 사료 2kg", 39000))
    runtime.run_until_idle()
    [sent] = outbox(runtime)
    assert "45,000" in text_of(sent) and "39,000" in text_of(sent)


def test_a_malformed_order_event_is_refused_naming_the_field_and_nothing_is_written(
    runtime: LocalRuntime,
) -> None:
    runtime.install_cafe24(STORE)
    request = samples.cafe24_request(90026, {"order_id": ""})
    status, _, body = runtime.http(request.method, request.path, request.headers, request.body)
    assert status == 400 and "resource.order_id" in body.decode()
    assert not [i for i in scan(runtime, "EventsTable") if str(i["pk"]).startswith("d#")]
