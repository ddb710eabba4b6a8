"""Automations on the local runtime: webhooks over HTTP start a journey, the minute slot fires on the
simulated clock, the step is checked again and becomes exactly one send job on the send queue."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from nudge_local import samples
from nudge_local.apigw import LOCAL_ADMIN_TOKEN
from nudge_local.runtime import LocalRuntime
from tests.e2e.conftest import KST

AUTH = {"authorization": f"Bearer {LOCAL_ADMIN_TOKEN}", "content-type": "application/json"}
BASE = "/admin/stores/dogday-mall"
ORDERED = datetime(2026, 3, 18, 10, 0, tzinfo=KST)
DELIVERED = datetime(2026, 3, 20, 23, 30, tzinfo=KST)  # a Friday night
REVIEW_AT = datetime(2026, 3, 23, 16, 0, tzinfo=KST)  # Monday 16:00 (seed 004)
REVIEW_REQUEST = {
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
                "buttons": [
                    {"name": "후기 쓰기", "type": "WL", "link_mo": "https://dogday.example/myshop/review.html"}
                ],
            },
        }
    ],
    "exit": {"when": ["order_canceled"]},
    "reentry": {"policy": "once_per_business_key"},
}


@pytest.fixture
def runtime() -> Any:
    with LocalRuntime(start=ORDERED) as rt:
        yield rt


def call(runtime: LocalRuntime, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    status, _, raw = runtime.http(method, path, AUTH, json.dumps(body).encode() if body is not None else b"")
    return status, (json.loads(raw) if raw else None)


def webhook(runtime: LocalRuntime, request: samples.SampleRequest) -> None:
    status, _, body = runtime.http(request.method, request.path, request.headers, request.body)
    assert status == 200, body


def send_jobs(runtime: LocalRuntime) -> list[dict[str, Any]]:
    client = runtime.client("sqs")
    jobs = []
    while messages := client.receive_message(
        QueueUrl=runtime.queue_url("SendQueue"), MaxNumberOfMessages=10, VisibilityTimeout=600
    ).get("Messages", []):
        jobs.extend(json.loads(m["Body"]) for m in messages)
    return jobs


def slot_schedules(runtime: LocalRuntime) -> list[dict[str, Any]]:
    scheduler = runtime.client("scheduler")
    names = [s["Name"] for s in scheduler.list_schedules()["Schedules"] if s["Name"].startswith("slot-")]
    return [scheduler.get_schedule(Name=n, GroupName=runtime.schedule_group_name()) for n in names]


def nudge_event(runtime: LocalRuntime, event_id: str, type_: str, customer: str, data: dict) -> None:
    now = runtime.clock.now()
    envelope = {
        "event_id": event_id,
        "type": type_,
        "occurred_at": now.isoformat(),
        "customer": {"id": customer},
        "data": data,
    }
    webhook(runtime, samples.nudge_request(envelope, now))


def _delivered_order(runtime: LocalRuntime) -> str:
    status, automation = call(runtime, "POST", f"{BASE}/automations", REVIEW_REQUEST)
    assert status == 201, automation
    joined = samples.cafe24_member_joined("dogfan01", "김민지", "010-0000-1001", ORDERED, True, False)
    webhook(runtime, joined)
    webhook(runtime, samples.cafe24_order_placed("O-1", "dogfan01", ORDERED, 42000, ["P1"]))
    runtime.set_time(DELIVERED)
    webhook(runtime, samples.cafe24_shipping("O-1", "dogfan01", "T"))
    runtime.run_until_idle()
    return automation["automation_id"]


def test_review_request_fires_three_days_after_delivery_at_16(runtime: LocalRuntime) -> None:
    automation_id = _delivered_order(runtime)
    [schedule] = slot_schedules(runtime)
    assert schedule["ScheduleExpression"] == "at(2026-03-23T16:00:00)"
    assert schedule["ScheduleExpressionTimezone"] == "Asia/Seoul"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["DeadLetterConfig"]["Arn"] == runtime.queue_arn("ScheduleDeadLetterQueue")
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] > 0

    runtime.set_time(REVIEW_AT - timedelta(minutes=1))
    assert send_jobs(runtime) == []
    runtime.set_time(REVIEW_AT + timedelta(minutes=1))
    [job] = send_jobs(runtime)
    assert job["source"] == f"automation:{automation_id}"
    assert (job["customer_id"], job["business_key"], job["step"]) == ("dogfan01", "order:O-1", 0)
    assert job["variables"]["order_id"] == "O-1"
    assert slot_schedules(runtime) == []  # deleted after it fired


def test_firing_the_same_slot_twice_sends_nothing_twice(runtime: LocalRuntime) -> None:
    _delivered_order(runtime)
    [schedule] = slot_schedules(runtime)
    runtime.set_time(REVIEW_AT + timedelta(minutes=1))
    assert len(send_jobs(runtime)) == 1
    # Scheduler delivers at least once: the same slot arrives again.
    runtime.client("sqs").send_message(
        QueueUrl=runtime.queue_url("AutomationSlotsQueue"), MessageBody=schedule["Target"]["Input"]
    )
    runtime.run_until_idle()
    assert send_jobs(runtime) == []


def test_a_refund_before_the_slot_cancels_the_review_request(runtime: LocalRuntime) -> None:
    _delivered_order(runtime)
    runtime.set_time(DELIVERED + timedelta(days=1))
    nudge_event(runtime, "refund-O-1", "order.refunded", "dogfan01", {"order_id": "O-1"})
    runtime.set_time(REVIEW_AT + timedelta(minutes=1))
    assert send_jobs(runtime) == []
