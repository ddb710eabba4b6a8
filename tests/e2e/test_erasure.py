"""Erasing a customer (PIPA) on the local runtime, every function under its template IAM policy, checked the
way a store would check it: after DELETE the profile answers 404, "why" shows nothing personal, no table
holds the customer's number, name or id anywhere (raw items, every table), no schedule carries their send
job, the audit record is there without personal data, and the reminder and the deferred ad that were
pending never reach them. A second DELETE answers the same; a webhook retried from before the erasure
creates nothing; Shopify's customers/redact erases through the webhook.

And phone numbers at rest: after a demo-style month, no customer's number is in any table's items."""

import io
import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from nudge_local.demo import demo_month, samples
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import KST, call, profiles, scan

pytestmark = pytest.mark.e2e

BASE = "/admin/stores/dogday-mall"
START = datetime(2026, 3, 18, 10, 0, tzinfo=KST)
NIGHT = datetime(2026, 3, 18, 22, 30, tzinfo=KST)
PHONE, OTHER_PHONE = "010-2000-0001", "010-2000-0002"
PHONE_FORMS = ("+821020000001", "01020000001", "010-2000-0001", "2000-0001")
NAME = "김하나"
REVIEW_REQUEST: dict[str, Any] = {
    "name": "리뷰 요청 (배송 완료 3일 후 16:00)",
    "trigger": {"event": "order.delivered"},
    "steps": [
        {
            "delay": {"days": 3, "at": "16:00"},
            "message": {
                "message_class": "informational",
                "channel": "alimtalk",
                "content": "#{name}님, 주문번호 #{order_id} 상품은 잘 받으셨나요? 사용 후기를 남겨 주세요.",
                "template_code": "REVIEW_REQUEST_01",
                "template_approved": True,
            },
        }
    ],
    "reentry": {"policy": "once_per_business_key"},
}


def webhook(runtime: LocalRuntime, request: samples.SampleRequest) -> dict[str, Any]:
    status, _, body = runtime.http(request.method, request.path, request.headers, request.body)
    assert status == 200, body
    return dict(json.loads(body))


def campaign(runtime: LocalRuntime, name: str, message: dict[str, Any]) -> None:
    body = {"name": name, "segment_id": "everyone", "message": message, "send": {"mode": "immediate"}}
    status, created = call(runtime, "POST", f"{BASE}/campaigns", body)
    assert status == 201, created
    runtime.run_until_idle()


def everything_stored(runtime: LocalRuntime) -> list[tuple[str, str]]:
    """Every string of every item of every table (nested values too), with the table it is in."""
    out: list[tuple[str, str]] = []

    def walk(table: str, value: Any) -> None:
        if isinstance(value, str):
            out.append((table, value))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(table, k)
                walk(table, v)
        elif isinstance(value, list | set | tuple):
            for v in value:
                walk(table, v)

    for table in runtime.template.tables:
        for item in scan(runtime, table):
            walk(table, item)
    return out


def names_member(value: str, member: str) -> bool:
    """The member id as a whole (not inside a hash): `m1`, `dogday-mall|m1`, `entry#…#m1`, `"m1"` in JSON."""
    return re.search(rf"(?<![A-Za-z0-9_-]){re.escape(member)}(?![A-Za-z0-9_-])", value) is not None


def outbox_to(runtime: LocalRuntime, number: str) -> list[dict[str, Any]]:
    assert runtime.gateway is not None
    return [m for m in runtime.gateway.outbox if m["to"] == number]


def test_an_erased_customer_is_gone_from_every_table_and_nothing_pending_reaches_them() -> None:
    with LocalRuntime(start=START) as runtime:
        for member, phone in (("m1", PHONE), ("m2", OTHER_PHONE)):
            name = NAME if member == "m1" else "이두리"
            webhook(runtime, samples.cafe24_member_joined(member, name, phone, START - timedelta(days=30),
                                                          True, False))  # fmt: skip
        everyone = {"include": [{"field": "member.all"}]}
        segment = {"segment_id": "everyone", "name": "n", "definition": everyone}
        assert call(runtime, "POST", f"{BASE}/segments", segment)[0] == 201
        assert call(runtime, "POST", f"{BASE}/automations", REVIEW_REQUEST)[0] == 201
        # m1 orders; the delivery starts the review request, due in three days (a pending reminder).
        webhook(runtime, samples.cafe24_order_placed("20260318-0000001", "m1", START, 42000, ["P1"]))
        webhook(runtime, samples.cafe24_shipping("20260318-0000001", "m1", "T"))
        runtime.run_until_idle()
        # A notice everyone gets now (personalised with the name), and at night an ad, deferred to 08:00.
        campaign(runtime, "안내", {"message_class": "informational", "channel": "sms",
                                  "content": "#{name|고객}님, 배송 안내입니다"})  # fmt: skip
        assert [m["text"] for m in outbox_to(runtime, "01020000001")] == [f"{NAME}님, 배송 안내입니다"]
        runtime.set_time(NIGHT)
        ad = {"message_class": "advertising", "channel": "sms",
              "content": "[도그데이몰] 봄맞이 세일 https://dogday.example/event/spring"}  # fmt: skip
        campaign(runtime, "봄 세일", ad)
        deferred = [n for n in schedule_names(runtime) if n.startswith("send-")]
        assert len(deferred) == 2  # one per member: both wait for 08:00
        stored = everything_stored(runtime)
        assert any(NAME in v for _, v in stored)  # the profile holds the name until the erasure
        assert not any(form in v for _, v in stored for form in PHONE_FORMS)  # never the number
        sent_before = len(runtime.gateway.outbox) if runtime.gateway else 0

        runtime.set_time(NIGHT + timedelta(minutes=30))
        status, erased = call(runtime, "DELETE", f"{BASE}/customers/m1")
        assert status == 200, erased
        assert erased["removed"] == {
            "order_index": 1,
            "profile": 1,
            "journey_steps": 1,
            "journey_entries": 1,
            "deferred_sends": 1,
            "send_records": 2,
            "product_watchers": 0,
        }
        assert (erased["customer_id"], erased["state"], erased["store_id"]) == ("m1", "erased", "dogday-mall")
        assert erased["requested_by"] == "arn:aws:iam::123456789012:user/local-admin"
        assert re.fullmatch(r"[0-9a-f]{32}", erased["reference"])
        # The same request again answers the same (and a retry of one that failed finishes it).
        assert call(runtime, "DELETE", f"{BASE}/customers/m1") == (200, erased)

        assert call(runtime, "GET", f"{BASE}/customers/m1")[0] == 404
        assert call(runtime, "GET", f"{BASE}/customers/m2")[0] == 200
        status, why = call(runtime, "GET", f"{BASE}/customers/m1/why")
        assert status == 200
        assert (why["known"], why["phone"], why["name"], why["consents"], why["messages"]) == (
            False, "-", "-", {}, []
        )  # fmt: skip

        stored = everything_stored(runtime)
        assert not [(t, v) for t, v in stored if any(form in v for form in PHONE_FORMS) or NAME in v]
        assert not [(t, v) for t, v in stored if names_member(v, "m1")]
        assert any(names_member(v, "m2") for _, v in stored)  # the other customer is all there
        # What stays: the audit record (no personal data) and the send records, anonymous, for the reports.
        (record,) = [i for i in scan(runtime, "StoresTable") if i["sk"].startswith("erasure#")]
        assert record["sk"] == f"erasure#{erased['reference']}" and record["state"] == "erased"
        assert not [s for s in schedule_inputs(runtime) if names_member(s, "m1")]
        assert [n for n in schedule_names(runtime) if n.startswith("send-")] == [
            n for n in deferred if n != f"send-{erased_send_id(runtime, deferred)}"
        ]

        # The deferred ad goes to m2 at 08:00, the review request's day passes: nothing reaches m1.
        runtime.advance(timedelta(days=5))
        assert len(outbox_to(runtime, "01020000001")) == 1  # the notice before the erasure, nothing since
        assert [m["is_ad"] for m in outbox_to(runtime, "01020000002")] == [False, True]
        assert runtime.gateway is not None and len(runtime.gateway.outbox) == sent_before + 1
        _, report = call(runtime, "GET", f"{BASE}/reports/campaign/{campaign_id(runtime, '안내')}")
        assert (report["targeted"], report["sent"]) == (2, 2)  # the reports still count the erased send

        # Late webhooks of what happened before the erasure create nothing; new activity starts anew.
        before = START - timedelta(days=30)
        webhook(runtime, samples.cafe24_member_joined("m1", NAME, PHONE, before, True, False))
        webhook(runtime, samples.cafe24_shipping("20260318-0000001", "m1", "T"))
        assert ("dogday-mall", "m1") not in profiles(runtime)
        rejoined = runtime.clock.now()
        webhook(runtime, samples.cafe24_member_joined("m1", "박새로", "010-2000-0009", rejoined, True, False))
        assert profiles(runtime)[("dogday-mall", "m1")].phone == "+821020000009"


def schedule_names(runtime: LocalRuntime) -> list[str]:
    scheduler = runtime.client("scheduler")
    return [s["Name"] for s in scheduler.list_schedules(GroupName=runtime.schedule_group_name())["Schedules"]]


def schedule_inputs(runtime: LocalRuntime) -> list[str]:
    scheduler, group = runtime.client("scheduler"), runtime.schedule_group_name()
    schedules = [scheduler.get_schedule(Name=n, GroupName=group) for n in schedule_names(runtime)]
    return [schedule["Target"].get("Input", "") for schedule in schedules]


def erased_send_id(runtime: LocalRuntime, deferred: list[str]) -> str:
    """The deferred send whose schedule the erasure deleted (its ledger record names no customer now)."""
    records = {i["pk"][2:]: i for i in scan(runtime, "SendsTable") if i["pk"].startswith("s#")}
    (send_id,) = [n[len("send-") :] for n in deferred if "cust" not in records[n[len("send-") :]]]
    return send_id


def campaign_id(runtime: LocalRuntime, name: str) -> str:
    _, listed = call(runtime, "GET", f"{BASE}/campaigns")
    return next(str(c["campaign_id"]) for c in listed if c["name"] == name)


def test_shopify_customers_redact_erases_through_the_webhook() -> None:
    at = START - timedelta(days=3)
    customer = samples.shopify_customer(7001, "Jisoo", "Park", "+82 10-2000-0005", at)
    maple = "/admin/stores/maple-goods"
    with LocalRuntime(start=START) as runtime:
        webhook(runtime, samples.shopify_request("customers/create", customer, "e-create"))
        everyone = {"include": [{"field": "member.all"}]}
        segment = {"segment_id": "everyone", "name": "n", "definition": everyone}
        assert call(runtime, "POST", f"{maple}/segments", segment)[0] == 201
        assert call(runtime, "POST", f"{maple}/automations", REVIEW_REQUEST)[0] == 201
        order = samples.shopify_order(9001, customer, START, [(51, 1, "12000.00")])
        webhook(runtime, samples.shopify_request("orders/create", order, "e-order"))
        delivered = samples.shopify_fulfillment(1, 9001, START, "delivered")
        webhook(runtime, samples.shopify_request("fulfillments/update", delivered, "e-delivered"))
        notice = {"message_class": "informational", "channel": "sms", "content": "배송 안내입니다"}
        ad = {"message_class": "advertising", "channel": "sms", "content": "[메이플] 세일 https://maple.example/s"}
        for name, message, when in (("안내", notice, START), ("세일", ad, NIGHT)):
            runtime.set_time(when)
            body = {"name": name, "segment_id": "everyone", "message": message, "send": {"mode": "immediate"}}
            assert call(runtime, "POST", f"{maple}/campaigns", body)[0] == 201
            runtime.run_until_idle()
        assert ("maple-goods", "7001") in profiles(runtime)
        redact = {
            "shop_id": 954889,
            "shop_domain": "maple-goods.myshopify.com",
            "customer": {"id": 7001, "email": "c7001@example.com", "phone": "+82 10-2000-0005"},
            "orders_to_redact": [9001],
        }
        answer = webhook(runtime, samples.shopify_request("customers/redact", redact, "e-redact"))
        assert answer == {"status": "erased", "events": [], "reason": "3 customer record(s) erased"}
        assert ("maple-goods", "7001") not in profiles(runtime)
        assert webhook(runtime, samples.shopify_request("customers/redact", redact, "e-redact")) == answer
        (record,) = [i for i in scan(runtime, "StoresTable") if i["sk"].startswith("erasure#")
                     and i["requested_by"] == "shopify:customers/redact" and i["removed"]]  # fmt: skip
        assert record["removed"] == {
            "order_index": 1,
            "profile": 1,
            "journey_steps": 1,
            "journey_entries": 1,
            "deferred_sends": 1,
            "send_records": 2,
        }
        stored = everything_stored(runtime)
        assert not [(t, v) for t, v in stored if names_member(v, "7001") or "2000-0005" in v or "Jisoo" in v]
        # The retried customers/create from before the redaction creates nothing.
        webhook(runtime, samples.shopify_request("customers/create", customer, "e-create-retry"))
        assert ("maple-goods", "7001") not in profiles(runtime)


def test_after_a_demo_month_no_table_holds_a_customers_phone_number() -> None:
    customers = 25
    drill = demo_month.Drill(capture=True, clicks=False)
    result = demo_month.run(customers, 5, out=io.StringIO(), why=[], drill=drill)
    numbers = {f"0100000{n:04d}" for n in range(1, 5000 + customers + 1)}
    stored = json.dumps(result.capture["tables"], ensure_ascii=False, default=str)
    digits = re.sub(r"[-\s]", "", stored)
    assert sum(len(items) for items in result.capture["tables"].values()) > 100  # a month did happen
    assert not [n for n in numbers if n in digits or "+82" + n[1:] in digits]
    # ...while the sender opened them: messages went to those numbers.
    assert {m["to"] for m in result.capture["outbox"]} & numbers

