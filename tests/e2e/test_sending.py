"""The whole path on the local runtime: a campaign created over the admin API runs, the sender sends
through the gateway emulator (NHN protocol on a localhost socket), and each customer gets one message."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from compliance.labelling import is_labelled_ad_sms
from nudge_local.demo import samples
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import AUTH, KST, call, profiles, scan

START = datetime(2026, 3, 18, 10, 0, tzinfo=KST)
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
    # The emulator's delivery reports came back through POST /gateway/reports/nhn. m3 refused SMS ads at
    # sign-up: the run left them out, so no send was claimed for them.
    assert sorted(r["st"] for r in ledger) == ["delivered", "delivered"]
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
    assert runtime.gateway is not None
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
    assert runtime.gateway is not None
    for _ in range(10):  # failed jobs come back once their lease has run out
        runtime.run_until_idle()
        runtime.advance(timedelta(minutes=2))
        if len(runtime.gateway.outbox) == 2:
            break
    assert sorted(m["to"] for m in runtime.gateway.outbox) == ["01020000001", "01020000002"]


def test_a_click_on_a_tracking_link_is_recorded_and_redirected_with_utm_parameters(
    runtime: LocalRuntime,
) -> None:
    _members(runtime)
    campaign_id = _campaign(runtime, AD)
    runtime.run_until_idle()
    assert runtime.gateway is not None
    text = runtime.gateway.outbox[0]["text"]
    token = text.split("/r/")[1].split()[0]
    status, headers, _ = runtime.http("GET", f"/r/{token}")
    assert status == 302
    assert headers["location"].startswith(
        "https://dogday.example/event/dogday?utm_source=nudge&utm_medium=sms"
    )
    assert f"utm_campaign={campaign_id}" in headers["location"]
    assert runtime.http("GET", "/r/ffffffffffffffffffffffff0").status == 404
    clicked = [r for r in scan(runtime, "SendsTable") if r.get("clicks")]
    assert len(clicked) == 1


def test_a_forged_nhn_report_is_refused_and_changes_nothing(runtime: LocalRuntime) -> None:
    _members(runtime)
    _campaign(runtime, AD)
    runtime.run_until_idle()
    assert runtime.gateway is not None
    send_id = runtime.gateway.outbox[0]["key"]
    hook = {"recipientGroupingKey": send_id, "resultCode": "3020", "requestId": "x"}
    status, _, _ = runtime.http(
        "POST", "/gateway/reports/nhn",
        {"content-type": "application/json", "x-toast-webhook-signature": "forged"},
        json.dumps({"event": "MESSAGE_RESULT_UPDATE", "hooks": [hook]}),
    )  # fmt: skip
    assert status == 401
    assert {r["st"] for r in scan(runtime, "SendsTable") if r["pk"] == f"s#{send_id}"} == {"delivered"}


def test_the_campaign_report_shows_sends_clicks_and_the_order_that_followed(runtime: LocalRuntime) -> None:
    _members(runtime)
    campaign_id = _campaign(runtime, AD)
    runtime.run_until_idle()
    assert runtime.gateway is not None
    first = runtime.gateway.outbox[0]
    token = first["text"].split("/r/")[1].split()[0]
    assert runtime.http("GET", f"/r/{token}").status == 302
    buyer = next(m for m, (phone, _) in CUSTOMERS.items() if phone.replace("-", "") == first["to"])
    order = samples.cafe24_order_placed("O-77", buyer, START + timedelta(hours=2), 45000, ["P1"])
    assert runtime.http(order.method, order.path, order.headers, order.body).status == 200
    status, data = call(runtime, "GET", f"{BASE}/reports/campaign/{campaign_id}")
    assert status == 200, data
    assert {k: data[k] for k in ("targeted", "sent", "delivered", "suppressed", "clicked", "converted")} == {
        "targeted": 3,
        "sent": 2,
        "delivered": 2,
        "suppressed": 1,
        "clicked": 1,
        "converted": 1,
    }
    assert data["suppressed_by_reason"] == {"consent_withdrawn": 1} and data["revenue"] == "45000"  # sms=F
    status, headers, page = runtime.http("GET", f"{BASE}/reports/campaign/{campaign_id}/page", AUTH)
    assert status == 200 and headers["content-type"].startswith("text/html") and b"<svg" in page
    assert call(runtime, "GET", f"{BASE}/reports/segment/{campaign_id}")[0] == 400


def test_a_night_time_ad_waits_for_the_morning_and_is_then_sent_once(runtime: LocalRuntime) -> None:
    _members(runtime)
    runtime.advance_to(datetime(2026, 3, 18, 22, 0, tzinfo=KST))
    _campaign(runtime, AD)
    runtime.run_until_idle()
    assert runtime.gateway is not None
    assert runtime.gateway.outbox == []
    deferred = [r for r in scan(runtime, "SendsTable") if r.get("st") == "deferred"]
    assert len(deferred) == 2 and all("quiet_hours" in r["why"] for r in deferred)
    runtime.advance_to(datetime(2026, 3, 19, 9, 0, tzinfo=KST))
    sent_at = sorted(m["at"] for m in runtime.gateway.outbox)
    assert len(sent_at) == 2
    assert all("2026-03-18T23:" in at for at in sent_at)  # 08:00-08:59 KST on the 19th


def test_a_brand_message_to_someone_without_kakaotalk_arrives_once_as_a_complete_ad_sms(
    runtime: LocalRuntime,
) -> None:
    _members(runtime)
    friend = samples.nudge_request(
        {
            "event_id": "friend-m1",
            "type": "member.updated",
            "occurred_at": START.isoformat(),
            "customer": {"id": "m1", "channel_friend": True},
        },
        START,
    )
    assert runtime.http(friend.method, friend.path, friend.headers, friend.body).status == 200
    runtime.http(
        "POST",
        "/_local/gateway",
        {"content-type": "application/json"},
        json.dumps({"non_kakao": ["010-2000-0001"]}),
    )
    brand = {
        "message_class": "advertising",
        "channel": "brand_message",
        "content": "#{name|고객}님, 도그데이 기획전이 오늘 마감돼요!",
        "buttons": [{"name": "기획전 보기", "type": "WL", "link_mo": "https://dogday.example/event/dogday"}],
        "targeting": "I",
        "fallback_sms": True,
    }
    campaign_id = _campaign(runtime, brand)
    runtime.run_until_idle()
    assert runtime.gateway is not None
    [sent] = runtime.gateway.outbox  # m2 and m3 are not channel friends
    assert sent["to"] == "01020000001" and sent["fallback"] and sent["kind"] in ("SMS", "LMS")
    assert is_labelled_ad_sms(sent["text"]) and sent["text"].startswith("(광고)도그데이몰")
    report = call(runtime, "GET", f"{BASE}/reports/campaign/{campaign_id}")[1]
    assert (report["sent"], report["delivered"], report["fell_back"]) == (1, 1, 1)
    assert report["suppressed_by_reason"] == {"not_channel_friend": 2}


def test_a_solapi_stores_reports_count_only_with_its_signature_in_the_report_url(
    runtime: LocalRuntime,
) -> None:
    maple = "/admin/stores/maple-goods"
    customer = samples.shopify_customer(7001, "Min", "Kim", "+821020007001", START - timedelta(hours=3))
    signup = samples.shopify_request("customers/create", customer, "c-7001")
    assert runtime.http(signup.method, signup.path, signup.headers, signup.body).status == 200
    segment = {"segment_id": "everyone", "name": "n", "definition": {"include": [{"field": "member.all"}]}}
    assert call(runtime, "POST", f"{maple}/segments", segment)[0] == 201
    campaign = {"name": "봄 세일", "segment_id": "everyone", "message": AD, "send": {"mode": "immediate"}}
    assert call(runtime, "POST", f"{maple}/campaigns", campaign)[0] == 201
    runtime.run_until_idle()
    # The emulator posted Solapi's report to the URL the store registered, ?signature=… included.
    assert runtime.gateway is not None
    [sent] = runtime.gateway.outbox
    [record] = [r for r in scan(runtime, "SendsTable") if r["pk"].startswith("s#")]
    assert record["st"] == "delivered"
    report = [{"eventDataId": "e-1", "retryCount": 0,
               "data": {"messageId": "M4V1", "type": "SMS", "statusCode": "1061", "statusMessage": "",
                        "customFields": {"nudge_send": sent["key"]}}}]  # fmt: skip
    for url in ("/gateway/reports/solapi", "/gateway/reports/solapi?signature=guessed"):
        answer = runtime.http("POST", url, {"content-type": "application/json"}, json.dumps(report))
        assert answer.status == 401
        assert "signature" in json.loads(answer.body)["message"]
    # A forged 080 opt-out neither withdrew consent nor sent a consent-result notice.
    assert profiles(runtime)[("maple-goods", "7001")].consents["sms"].granted is True
    assert runtime.gateway.outbox == [sent]
    # What an alarm watches: each refusal is counted, and the signature itself is never logged.
    refused = [line for line in runtime.logs.lines if '"ReportsRefused"' in line]
    assert len(refused) == 2
    assert not any("local-maple-report-signature" in line for line in runtime.logs.lines)
