"""A 배송 출발 (shipping started) AlimTalk written the way Korean stores register templates with Kakao
(`#{고객명}`, `#{택배사}`, `#{송장번호}` …), over HTTP on the local runtime: accepted where the trigger gives
those values and refused where it cannot, filled from a Cafe24 shipment (the emulated mall's items carry the
carrier and the tracking number, as the Admin API answers them) and from a Shopify fulfillment webhook, and
previewed for one customer before anything is sent."""

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from nudge_local.demo import samples
from nudge_local.gateway.cafe24 import Cafe24Mall
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import START, call

DOGDAY, MAPLE, MALL = "dogday-mall", "maple-goods", "dogdaymall"
# A 배송 출발 template as Korean stores register them with Kakao: Korean variable names.
SHIPPED_CODE = "SHIP_NOTICE_01"
SHIPPED_TEXT = "#{고객명}님, 주문하신 #{주문상품}이 출발했어요. 택배사: #{택배사} 송장번호: #{송장번호}"
TRACKING = "601234567890"


def shipping_notice(content: str = SHIPPED_TEXT, event: str = "order.shipped") -> dict[str, Any]:
    return {
        "name": "배송 출발 안내",
        "trigger": {"event": event},
        "steps": [
            {
                "delay": {},
                "message": {
                    "message_class": "informational",
                    "channel": "alimtalk",
                    "template_code": SHIPPED_CODE,
                    "template_message_type": "BA",
                    "content": content,
                },
            }
        ],
    }


@pytest.fixture
def runtime() -> Iterator[LocalRuntime]:
    """The template approved by Kakao in both emulated gateways (NHN for dogday, Solapi for maple)."""
    with LocalRuntime(start=START) as rt:
        for provider, approved in (("nhn", "TSC03"), ("solapi", "APPROVED")):
            body = {"provider": provider, "code": SHIPPED_CODE, "status": approved, "text": SHIPPED_TEXT}
            assert call(rt, "POST", "/_local/gateway/templates", body)[0] == 200
        yield rt


def outbox(rt: LocalRuntime) -> list[dict[str, Any]]:
    return list(json.loads(rt.http("GET", "/_local/outbox")[2])["messages"])


def cafe24(rt: LocalRuntime, payload: dict[str, Any]) -> dict[str, Any]:
    request = samples.cafe24_request(payload["event_no"], payload["resource"])
    status, _, body = rt.http(request.method, request.path, request.headers, request.body)
    answer: dict[str, Any] = json.loads(body)
    assert status == 200, answer
    return answer


def shopify(rt: LocalRuntime, topic: str, payload: dict[str, Any], event_id: str) -> None:
    request = samples.shopify_request(topic, payload, event_id)
    status, _, body = rt.http(request.method, request.path, request.headers, request.body)
    assert status == 200, body


def a_cafe24_order(rt: LocalRuntime) -> Cafe24Mall:
    rt.install_cafe24(DOGDAY)
    assert rt.cafe24 is not None
    shop = rt.cafe24.mall(MALL)
    shop.put_product(12, "강아지 사료 2kg", 45000, at=START)
    shop.put_product(13, "강아지 간식", 12900, at=START)
    cafe24(
        rt,
        shop.add_member(
            "mong", "김민지", "010-0000-0001", "mong@example.com", sms=True, news_mail=False, created_at=START
        ),
    )
    rt.set_time(START + timedelta(minutes=5))
    cafe24(rt, shop.place_order("20260316-0000001", "mong", [(12, 1), (13, 2)]))
    rt.run_until_idle()
    return shop


def test_a_korean_variable_is_refused_where_its_trigger_cannot_fill_it(runtime: LocalRuntime) -> None:
    status, body = call(
        runtime, "POST", f"/admin/stores/{DOGDAY}/automations", shipping_notice(event="order.placed")
    )
    assert status == 400, body
    problems = body["fields"]
    assert {p["field"] for p in problems} == {"steps[0].message.content"}
    assert [p["message"].split(":")[0] for p in problems] == ["#{택배사}", "#{송장번호}"]
    campaign = {
        "name": "송장 안내",
        "segment_id": "promo-repeat",
        "message": {"message_class": "informational", "channel": "sms", "content": "송장번호 #{송장번호}"},
        "send": {"mode": "immediate"},
    }
    status, body = call(runtime, "POST", f"/admin/stores/{DOGDAY}/campaigns", campaign)
    assert status == 400, body
    assert body["fields"][0]["field"] == "message.content" and "#{송장번호}" in body["fields"][0]["message"]
    status, saved = call(runtime, "POST", f"/admin/stores/{DOGDAY}/automations", shipping_notice())
    assert status == 201, saved


def test_a_cafe24_shipment_sends_the_shipping_notice_with_its_carrier_and_tracking_number(
    runtime: LocalRuntime,
) -> None:
    status, saved = call(runtime, "POST", f"/admin/stores/{DOGDAY}/automations", shipping_notice())
    assert status == 201, saved
    shop = a_cafe24_order(runtime)
    runtime.set_time(START + timedelta(hours=2))
    [webhook] = shop.ship("20260316-0000001", tracking_no=TRACKING)
    assert webhook["event_no"] == 90024
    cafe24(runtime, webhook)
    runtime.run_until_idle()
    [sent] = outbox(runtime)
    text = json.dumps(sent, ensure_ascii=False)
    assert f"송장번호: {TRACKING}" in text and "택배사: CJ대한통운" in text
    assert "김민지님" in text and "강아지 사료 2kg 외 1건" in text


def test_a_shopify_fulfillment_sends_the_shipping_notice_with_its_tracking_number(
    runtime: LocalRuntime,
) -> None:
    status, saved = call(runtime, "POST", f"/admin/stores/{MAPLE}/automations", shipping_notice())
    assert status == 201, saved
    customer = samples.shopify_customer(7001, "Jiwoo", "Park", "+821000002001", START)
    order = samples.shopify_order(9001, customer, START, [(51, 1, "15000.00")])
    shopify(runtime, "orders/create", order, "e1")
    runtime.run_until_idle()
    runtime.set_time(START + timedelta(hours=3))
    fulfillment = samples.shopify_fulfillment(1, 9001, START + timedelta(hours=3), "in_transit")
    fulfillment["tracking_number"] = TRACKING
    fulfillment["tracking_url"] = f"https://trace.example/{TRACKING}"
    shopify(runtime, "fulfillments/create", fulfillment, "e2")
    runtime.run_until_idle()
    [sent] = outbox(runtime)
    text = json.dumps(sent, ensure_ascii=False)
    assert f"송장번호: {TRACKING}" in text and "택배사: CJ대한통운" in text and "메이플 머그컵" in text


def test_the_preview_shows_the_message_for_one_customer_with_examples_named(runtime: LocalRuntime) -> None:
    status, saved = call(runtime, "POST", f"/admin/stores/{DOGDAY}/automations", shipping_notice())
    assert status == 201, saved
    a_cafe24_order(runtime)
    path = f"/admin/stores/{DOGDAY}/automations/{saved['automation_id']}/steps/0/preview"

    # Before it shipped: the order is the customer's, the carrier and the number the table's examples.
    status, shown = call(runtime, "POST", path, {"customer_id": "mong"})
    assert status == 200, shown
    assert shown["order_id"] == "20260316-0000001" and shown["kind"] == "ALIMTALK"
    assert sorted(shown["examples"]) == ["송장번호", "택배사"] and shown["missing"] == []
    assert "김*지님" in shown["text"] and "김민지" not in json.dumps(shown, ensure_ascii=False)
    assert "강아지 사료 2kg 외 1건" in shown["text"] and shown["customer"]["phone"] == "010-****-0001"
    by_name = {v["name"]: v for v in shown["variables"]}
    assert by_name["주문상품"]["source"] == "event" and by_name["고객명"]["source"] == "profile"
    assert by_name["송장번호"] == {"name": "송장번호", "variable": "tracking_number", "value": "601234567890",
                                   "source": "example"}  # fmt: skip
    assert shown["would_send"] is True and shown["reasons"] == ["informational"]

    # The marketer's own values stand in for the event's, by Korean or English name.
    status, shown = call(
        runtime,
        "POST",
        path,
        {"customer_id": "mong", "event": {"송장번호": "999", "shipping_company": "한진택배"}},
    )
    assert status == 200, shown
    assert (
        "송장번호: 999" in shown["text"] and "택배사: 한진택배" in shown["text"] and shown["examples"] == []
    )

    status, body = call(runtime, "POST", path, {"customer_id": "mong", "event": {"coupon_name": "x"}})
    assert status == 400 and body["fields"][0]["field"] == "event.coupon_name"
    assert call(runtime, "POST", path, {"customer_id": "nobody"})[0] == 404
    assert call(runtime, "POST", path.replace("/steps/0/", "/steps/3/"), {"customer_id": "mong"})[0] == 404
    assert outbox(runtime) == []  # a preview sends nothing


def test_a_campaign_preview_fills_the_store_and_profile_and_says_what_is_missing(
    runtime: LocalRuntime,
) -> None:
    a_cafe24_order(runtime)
    document = call(runtime, "GET", "/admin/openapi.json")[1]  # the documented example segment
    content = document["paths"]["/admin/stores/{store_id}/segments"]["post"]["requestBody"]["content"]
    segment = content["application/json"]["examples"]["example"]["value"]
    assert call(runtime, "POST", f"/admin/stores/{DOGDAY}/segments", segment)[0] == 201
    campaign = {
        "name": "회원 안내",
        "segment_id": "promo-repeat",
        "message": {
            "message_class": "advertising",
            "channel": "sms",
            "content": "#{고객명}님, #{쇼핑몰}입니다. 반려견 #{attr_pet_name|친구}에게 안부를 전해요.",
        },
        "send": {"mode": "reserved", "at": (START + timedelta(days=3)).isoformat()},
    }
    status, saved = call(runtime, "POST", f"/admin/stores/{DOGDAY}/campaigns", campaign)
    assert status == 201, saved
    path = f"/admin/stores/{DOGDAY}/campaigns/{saved['campaign_id']}/preview"
    status, shown = call(runtime, "POST", path, {"customer_id": "mong"})
    assert status == 200, shown
    assert shown["text"].startswith("(광고)") and "김*지님, 도그데이몰입니다. 반려견 친구" in shown["text"]
    assert "무료수신거부" in shown["text"] and shown["is_ad"] is True and shown["kind"] in ("SMS", "LMS")
    assert {v["name"]: v["source"] for v in shown["variables"]} == {
        "고객명": "profile", "쇼핑몰": "store", "attr_pet_name": "fallback"
    }  # fmt: skip
    assert shown["examples"] == [] and shown["missing"] == []
    status, run_preview = call(runtime, "POST", path)  # no body: what a run now would do, as before
    assert status == 200 and "segment_members" in run_preview
    status, body = call(runtime, "POST", path, {"customer_id": "mong", "event": {"송장번호": "1"}})
    assert status == 400 and body["fields"][0]["field"] == "event"
