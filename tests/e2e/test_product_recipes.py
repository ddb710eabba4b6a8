"""Product recipes on the local runtime, over HTTP: browse abandonment from the storefront tracker's product
pages (a member views one product three times → one brand message an hour later, through the gateway
emulator), and a price drop of a carted product (sent as the Nudge-format event a store's own system, or
the catalog, gives) → a brand message naming both prices.

The catalog's own path (a Cafe24 product webhook → the catalog → one product event per interested
customer) belongs to the catalog's tests; here the product event arrives as an event, which is what the
automations see either way."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from nudge_local.demo import samples
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import KST, call, profiles

BASE = "/admin/stores/dogday-mall"
START = datetime(2026, 3, 18, 10, 0, tzinfo=KST)  # a Wednesday morning: ads go out when due
MEMBER, PHONE = "dogfan07", "010-0000-7007"


@pytest.fixture
def runtime() -> Any:
    with LocalRuntime(start=START) as rt:
        yield rt


def _ok(runtime: LocalRuntime, request: samples.SampleRequest) -> None:
    status, _, body = runtime.http(request.method, request.path, request.headers, request.body)
    assert status == 200, body


def _nudge(
    runtime: LocalRuntime, event_id: str, type_: str, customer: dict[str, Any], data: Any = None
) -> None:
    now = runtime.clock.now()
    envelope = {"event_id": event_id, "type": type_, "occurred_at": now.isoformat(), "customer": customer}
    if data is not None:
        envelope["data"] = data
    _ok(runtime, samples.nudge_request(envelope, now))


def _install(runtime: LocalRuntime, template: str, params: dict[str, Any] | None = None) -> str:
    status, automation = call(
        runtime, "POST", f"{BASE}/automation-templates/{template}", {"params": params or {}}
    )
    assert status == 201, automation
    return automation["automation_id"]


def _friend(runtime: LocalRuntime) -> None:
    who = {"id": MEMBER, "name": "한지민", "phone": PHONE, "channel_friend": True}
    _nudge(runtime, f"join-{MEMBER}", "member.joined", who)


def _outbox(runtime: LocalRuntime) -> list[dict[str, Any]]:
    return json.loads(runtime.http("GET", "/_local/outbox")[2])["messages"]


def _view(runtime: LocalRuntime, n: int, product: str) -> None:
    view = {"id": f"view-{n}", "type": "page_view", "path": "/product/detail.html", "product_id": product}
    _ok(runtime, samples.tracker_request("v-07", [view], member_id=MEMBER))


def test_a_product_viewed_three_times_brings_one_brand_message_an_hour_later(runtime: LocalRuntime) -> None:
    _install(runtime, "browse_abandonment")
    _friend(runtime)
    for n, minutes in enumerate((0, 40, 90)):
        runtime.set_time(START + timedelta(minutes=minutes))
        _view(runtime, n, "123")
        _view(runtime, 100 + n, f"other-{n}")  # other products, once each: nothing
        runtime.run_until_idle()
    profile = profiles(runtime)[("dogday-mall", MEMBER)]
    assert len(profile.product_views["123"]) == 3
    assert _outbox(runtime) == []  # due an hour after the third view
    runtime.set_time(START + timedelta(minutes=90 + 61))
    [sent] = _outbox(runtime)
    assert (sent["to"], sent["kind"], sent["targeting"]) == (PHONE.replace("-", ""), "BRAND_MESSAGE", "I")
    assert sent["text"].startswith("(광고) 한지민님, 여러 번 살펴보신 상품")  # labelled as the ad it is
    # A fourth view the next day: the same product within 14 days sends nothing more.
    runtime.set_time(START + timedelta(days=1))
    _view(runtime, 9, "123")
    runtime.set_time(START + timedelta(days=1, hours=2))
    assert len(_outbox(runtime)) == 1


def test_a_product_carted_before_the_hour_is_up_gets_no_browse_reminder(runtime: LocalRuntime) -> None:
    _install(runtime, "browse_abandonment")
    _friend(runtime)
    for n, minutes in enumerate((0, 5, 10)):
        runtime.set_time(START + timedelta(minutes=minutes))
        _view(runtime, n, "123")
    runtime.set_time(START + timedelta(minutes=30))
    lines = [{"product_id": "123", "quantity": 1, "price": "32000"}]
    _nudge(runtime, "cart-1", "cart.updated", {"id": MEMBER}, {"lines": lines})
    runtime.set_time(START + timedelta(hours=2))
    assert _outbox(runtime) == []


def test_a_price_drop_of_a_carted_product_names_the_old_and_the_new_price(runtime: LocalRuntime) -> None:
    _install(runtime, "price_drop")
    _friend(runtime)
    lines = [{"product_id": "123", "quantity": 1, "price": "32000", "name": "강아지 방석"}]
    _nudge(runtime, "cart-1", "cart.updated", {"id": MEMBER}, {"lines": lines})
    runtime.set_time(START + timedelta(hours=1))
    dropped = {"product_id": "123", "name": "강아지 방석", "price": "29000", "old_price": "32000"}
    _nudge(runtime, "drop-1", "product.price_dropped", {"id": MEMBER}, dropped)
    runtime.run_until_idle()
    [sent] = _outbox(runtime)
    assert "장바구니에 담으신 강아지 방석 가격이 32,000원에서 29,000원으로 내려갔어요" in sent["text"]
