"""The whole path on the local runtime: a campaign created over the admin API runs, the sender sends
through the gateway emulator (NHN protocol on a localhost socket), and each customer gets one message."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from compliance.labelling import is_labelled_ad_sms
from nudge_local import samples
from nudge_local.apigw import LOCAL_ADMIN_TOKEN
from nudge_local.runtime import LocalRuntime
from tests.e2e.conftest import KST, scan

START = datetime(2026, 3, 18, 10, 0, tzinfo=KST)
AUTH = {"authorization": f"Bearer {LOCAL_ADMIN_TOKEN}", "content-type": "application/json"}
BASE = "/admin/stores/dogday-mall"
CUSTOMERS = {"m1": ("010-2000-0001", True), "m2": ("010-2000-0002", True), "m3": ("010-2000-0003", False)}
AD = {
    "message_class": "advertising",
    "channel": "sms",
    "content": "#{name|고객}님, 도그데이 기획전이 오늘 마감돼요 https://dogday.example/event/dogday",
}


@pytest.fixture
def runtime() -> Any:
    with LocalRuntime(start=START) as rt:
        yield rt


def call(runtime: LocalRuntime, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    status, _, raw = runtime.http(method, path, AUTH, json.dumps(body).encode() if body is not None else b"")
    return status, (json.loads(raw) if raw else None)


def _members(runtime: LocalRuntime) -> None:
    for member, (phone, sms) in CUSTOMERS.items():
        request = samples.cafe24_member_joined(
            member, "김하나", phone, START - timedelta(days=30), sms, False
        )
        assert runtime.http(request.method, request.path, request.headers, request.body).status == 200


def _campaign(runtime: LocalRuntime, message: dict[str, Any]) -> str:
    segment = {"segment_id": "everyone", "name": "n", "definition": {"include": [{"field": "member.all"}]}}
    assert call(runtime, "POST", f"{BASE}/segments", segment)[0] == 201
    status, campaign = call(
        runtime,
        "POST",
        f"{BASE}/campaigns",
        {"name": "마감 알림", "segment_id": "everyone", "message": message, "send": {"mode": "immediate"}},
    )
    assert status == 201, campaign
    return campaign["campaign_id"]


def test_a_campaign_reaches_each_consenting_customer_exactly_once_as_a_labelled_ad_sms(
    runtime: LocalRuntime,
) -> None:
    _members(runtime)
    _campaign(runtime, AD)
    runtime.run_until_idle()
    status, _, raw = runtime.http("GET", "/_local/outbox")
    outbox = json.loads(raw)["messages"]
    assert status == 200
    assert sorted(m["to"] for m in outbox) == ["01020000001", "01020000002"]  # m3 never opted in
    assert all(m["is_ad"] and is_labelled_ad_sms(m["text"]) for m in outbox)
    assert all(m["text"].startswith("(광고)도그데이몰\n김하나님,") for m in outbox)
    ledger = [r for r in scan(runtime, "SendsTable") if r["pk"].startswith("s#")]
    assert sorted(r["st"] for r in ledger) == ["sent", "sent", "suppressed"]
    assert runtime.queue_depth("SendQueue") == 0 and runtime.queue_depth("SendDeadLetterQueue") == 0
    # Personal data stays out of the logs.
    assert not any(
        "2000-000" in line or "20000001" in line or "김하나" in line for line in runtime.logs.lines
    )


def test_a_duplicated_queue_delivery_sends_nothing_more(runtime: LocalRuntime) -> None:
    _members(runtime)
    campaign_id = _campaign(runtime, AD)
    runtime.run_until_idle()
    sqs = runtime.client("sqs")
    for member in CUSTOMERS:
        job = {
            "store_id": "dogday-mall",
            "source": f"campaign:{campaign_id}",
            "occurrence": _occurrence(runtime, campaign_id),
            "customer_id": member,
            "queued_at": START.isoformat(),
        }
        sqs.send_message(QueueUrl=runtime.queue_url("SendQueue"), MessageBody=json.dumps(job))
    runtime.run_until_idle()
    assert len(runtime.gateway.outbox) == 2
    assert len(runtime.gateway.requests) == 2


def _occurrence(runtime: LocalRuntime, campaign_id: str) -> str:
    runs = call(runtime, "GET", f"{BASE}/campaigns/{campaign_id}")[1]["runs"]
    return runs[0]["occurrence"]


def test_a_gateway_failing_a_third_of_the_time_still_delivers_each_message_once(
    runtime: LocalRuntime,
) -> None:
    _members(runtime)
    status, _, _ = runtime.http(
        "POST", "/_local/gateway", {"content-type": "application/json"},
        json.dumps({"faults": {"error_rate": 0.3, "seed": 7}}),
    )  # fmt: skip
    assert status == 200
    _campaign(runtime, AD)
    for _ in range(10):  # failed jobs come back once their lease has run out
        runtime.run_until_idle()
        runtime.advance(timedelta(minutes=2))
        if len(runtime.gateway.outbox) == 2:
            break
    assert sorted(m["to"] for m in runtime.gateway.outbox) == ["01020000001", "01020000002"]
