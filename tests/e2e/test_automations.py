"""Automations on the local runtime: webhooks over HTTP start a journey, the minute slot fires on the
simulated clock, the step is checked again and becomes exactly one send job on the send queue."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from nudge_local.demo import samples
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import KST, call, hold_send_jobs, without_reconciliation

BASE = "/admin/stores/dogday-mall"
ORDERED = datetime(2026, 3, 18, 10, 0, tzinfo=KST)
DELIVERED = datetime(2026, 3, 20, 23, 30, tzinfo=KST)  # a Friday night
REVIEW_AT = datetime(2026, 3, 23, 16, 0, tzinfo=KST)  # Monday 16:00 (seed 004)
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
                "buttons": [
                    {
                        "name": "후기 쓰기",
                        "type": "WL",
                        "link_mo": "https://dogday.example/myshop/review.html",
                    }
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
        hold_send_jobs(rt)  # these tests read the send jobs the automations queue
        yield rt


def webhook(runtime: LocalRuntime, request: samples.SampleRequest) -> None:
    status, _, body = runtime.http(request.method, request.path, request.headers, request.body)
    assert status == 200, body


def send_jobs(runtime: LocalRuntime) -> list[dict[str, Any]]:
    client = runtime.client("sqs")
    jobs: list[dict[str, Any]] = []
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


def install(runtime: LocalRuntime, template: str, params: dict[str, Any], store: str = BASE) -> str:
    status, automation = call(runtime, "POST", f"{store}/automation-templates/{template}", {"params": params})
    assert status == 201, automation
    assert automation["template"] == template and automation["status"] == "active"
    return automation["automation_id"]


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


def test_the_ready_made_review_request_is_installed_and_fires_on_monday_at_16(runtime: LocalRuntime) -> None:
    automation_id = install(runtime, "review_request", {"link": "https://dogday.example/myshop/review.html"})
    joined = samples.cafe24_member_joined("dogfan01", "김민지", "010-0000-1001", ORDERED, True, False)
    webhook(runtime, joined)
    webhook(runtime, samples.cafe24_order_placed("O-7", "dogfan01", ORDERED, 42000, ["P1"]))
    runtime.set_time(DELIVERED)
    webhook(runtime, samples.cafe24_shipping("O-7", "dogfan01", "T"))
    runtime.set_time(REVIEW_AT - timedelta(seconds=1))
    assert send_jobs(runtime) == []
    runtime.set_time(REVIEW_AT + timedelta(minutes=1))
    assert [(j["source"], j["business_key"]) for j in send_jobs(runtime)] == [
        (f"automation:{automation_id}", "order:O-7")
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"steps": [{"delay": {"days": 3, "at": "16:00", "hours": 2}, "message": {}}]}, "steps[0].delay"),
        ({"trigger": {"event": "order.teleported"}}, "trigger.event"),
        (
            {"steps": [{"delay": {"days": 3}, "message": {**REVIEW_REQUEST["steps"][0]["message"],
                                                           "template_code": "NOT_REGISTERED_01"}}]},
            "steps[0].message.template_code",
        ),
    ],
)  # fmt: skip
def test_an_invalid_automation_is_refused_naming_the_field_and_nothing_is_saved(
    runtime: LocalRuntime, change: dict[str, Any], field: str
) -> None:
    status, body = call(runtime, "POST", f"{BASE}/automations", {**REVIEW_REQUEST, **change})
    assert status == 400, body
    assert any(f["field"].startswith(field) for f in body["fields"]), body
    assert call(runtime, "GET", f"{BASE}/automations") == (200, [])


def _friend(runtime: LocalRuntime, customer: str) -> None:
    now = runtime.clock.now()
    who = {"id": customer, "name": "이서준", "phone": "010-0000-2002", "channel_friend": True}
    envelope = {
        "event_id": f"join-{customer}",
        "type": "member.joined",
        "occurred_at": now.isoformat(),
        "customer": who,
    }
    webhook(runtime, samples.nudge_request(envelope, now))  # fmt: skip


def test_cart_reminders_go_out_twice_and_stop_for_the_customer_who_buys(runtime: LocalRuntime) -> None:
    automation_id = install(runtime, "cart_reminder", {"hours": 3, "second_hours": 24})
    added = datetime(2026, 3, 18, 13, 0, tzinfo=KST)
    runtime.set_time(added)
    for customer in ("buyer", "browser"):
        _friend(runtime, customer)
        webhook(runtime, samples.cafe24_added_to_cart(customer, 101))
    runtime.set_time(added + timedelta(hours=3, minutes=1))
    first = send_jobs(runtime)
    assert sorted((j["customer_id"], j["step"]) for j in first) == [("browser", 0), ("buyer", 0)]
    webhook(runtime, samples.cafe24_order_placed("O-2", "buyer", runtime.clock.now(), 19000, ["101"]))
    runtime.set_time(added + timedelta(days=2))
    second = send_jobs(runtime)
    assert [(j["customer_id"], j["step"], j["source"]) for j in second] == [
        ("browser", 1, f"automation:{automation_id}")
    ]


def test_a_shopify_checkout_left_unfinished_gets_one_reminder_and_a_completed_one_none(
    runtime: LocalRuntime,
) -> None:
    maple = "/admin/stores/maple-goods"
    install(runtime, "checkout_abandoned", {"hours": 1, "channel": "sms"}, store=maple)
    started = datetime(2026, 3, 18, 11, 0, tzinfo=KST)
    runtime.set_time(started)
    for number, token in ((7001, "tok-left"), (7002, "tok-paid")):
        customer = samples.shopify_customer(number, "Min", "Kim", f"+8210000{number}", started)
        checkout = samples.shopify_checkout(token, customer, started, [(51, 1, "15000.00")])
        webhook(runtime, samples.shopify_request("checkouts/create", checkout, f"ck-{token}"))
    payer = samples.shopify_customer(7002, "Min", "Kim", "+821000007002", started)
    order = samples.shopify_order(9002, payer, started + timedelta(minutes=20), [(51, 1, "15000.00")],
                                  checkout_token="tok-paid")  # fmt: skip
    runtime.set_time(started + timedelta(minutes=20))
    webhook(runtime, samples.shopify_request("orders/create", order, "o-9002"))
    runtime.set_time(started + timedelta(hours=1, minutes=1))
    [job] = send_jobs(runtime)
    assert job["business_key"] == "checkout:tok-left"
    assert job["variables"]["checkout_url"].endswith("/checkouts/tok-left/recover")


def test_an_unpaid_cafe24_order_gets_a_payment_reminder_until_it_is_paid(runtime: LocalRuntime) -> None:
    install(runtime, "unpaid_order", {"hours": 6})
    joined = samples.cafe24_member_joined("dogfan01", "김민지", "010-0000-1001", ORDERED, True, False)
    webhook(runtime, joined)
    webhook(runtime, samples.cafe24_order_placed("O-3", "dogfan01", ORDERED, 30000, ["P1"], paid=False))
    webhook(runtime, samples.cafe24_order_placed("O-4", "dogfan01", ORDERED, 30000, ["P2"], paid=True))
    runtime.set_time(ORDERED + timedelta(hours=6, minutes=1))
    assert [j["business_key"] for j in send_jobs(runtime)] == ["order:O-3"]


def test_welcome_goes_out_at_once_and_a_first_visit_nudge_stops_when_the_visitor_signs_up(
    runtime: LocalRuntime,
) -> None:
    welcome = install(runtime, "welcome", {"link": "https://dogday.example/"})
    nudge = install(runtime, "signup_nudge", {"hours": 1})
    for visitor in ("v-stays", "v-joins"):
        _friend_visit(runtime, visitor)
    runtime.set_time(ORDERED + timedelta(minutes=30))
    at = runtime.clock.now()
    webhook(runtime, samples.cafe24_member_joined("v-joins", "박지우", "010-0000-3003", at, True, False))
    runtime.run_until_idle()
    sent = [(j["source"], j["customer_id"]) for j in send_jobs(runtime)]
    assert sent == [(f"automation:{welcome}", "v-joins")]
    runtime.set_time(ORDERED + timedelta(hours=2))
    sent = [(j["source"], j["customer_id"]) for j in send_jobs(runtime)]
    assert sent == [(f"automation:{nudge}", "v-stays")]


def _friend_visit(runtime: LocalRuntime, customer: str) -> None:
    now = runtime.clock.now()
    for event_id, type_ in ((f"friend-{customer}", "member.updated"), (f"visit-{customer}", "visit.started")):
        envelope = {
            "event_id": event_id,
            "type": type_,
            "occurred_at": now.isoformat(),
            "customer": {"id": customer, "channel_friend": True},
        }
        webhook(runtime, samples.nudge_request(envelope, now))  # fmt: skip


def test_free_shipping_nudge_for_a_cart_just_under_the_threshold(runtime: LocalRuntime) -> None:
    install(runtime, "free_shipping", {"threshold": 50000, "gap": 10000})
    now = runtime.clock.now()
    for customer, price in (("near", "45000"), ("far", "20000"), ("over", "52000")):
        _friend(runtime, customer)
        lines = [{"product_id": "P1", "quantity": 1, "price": price}]
        envelope = {
            "event_id": f"cart-{customer}",
            "type": "cart.updated",
            "occurred_at": now.isoformat(),
            "customer": {"id": customer},
            "data": {"lines": lines, "replace": True},
        }
        webhook(runtime, samples.nudge_request(envelope, now))  # fmt: skip
    runtime.set_time(now + timedelta(minutes=31))
    [job] = send_jobs(runtime)
    assert (job["customer_id"], job["variables"]["cart_amount"]) == ("near", "45,000")


def test_consent_result_notice_at_once_and_the_two_year_reconfirmation_700_days_later(
    runtime: LocalRuntime,
) -> None:
    without_reconciliation(runtime)
    result = install(runtime, "consent_result", {})
    reconfirm = install(runtime, "consent_reconfirmation", {})
    joined = samples.cafe24_member_joined("dogfan01", "김민지", "010-0000-1001", ORDERED, True, False)
    webhook(runtime, joined)  # Cafe24 sms "T", news_mail "F": SMS consent given, e-mail consent refused
    runtime.run_until_idle()
    notices = send_jobs(runtime)
    assert {j["source"] for j in notices} == {f"automation:{result}"}
    assert sorted((j["variables"]["consent_channel"], j["variables"]["consent_result"]) for j in notices) == [
        ("문자(SMS/LMS)", "수신동의"),
        ("이메일", "수신거부"),
    ]
    assert {j["variables"]["consent_date"] for j in notices} == {"2026년 3월 18일"}
    [schedule] = slot_schedules(runtime)
    assert schedule["ScheduleExpression"] == "at(2028-02-16T10:00:00)"  # 700 days on, 10:00 store time
    runtime.set_time(datetime(2028, 2, 16, 10, 1, tzinfo=KST))
    assert [j["source"] for j in send_jobs(runtime)] == [f"automation:{reconfirm}"]


def test_one_sign_up_that_refuses_sms_and_email_gets_one_notice_naming_both(runtime: LocalRuntime) -> None:
    result = install(runtime, "consent_result", {})
    joined = samples.cafe24_member_joined("quiet01", "박서준", "010-0000-1002", ORDERED, False, False)
    for _ in range(2):  # Cafe24 delivers it twice: still one answer
        webhook(runtime, joined)
    runtime.run_until_idle()
    # A redelivered webhook may queue its job again; the sender's ledger sends one send key once.
    [notice] = {(j["occurrence"], j["step"]): j for j in send_jobs(runtime)}.values()
    assert notice["source"] == f"automation:{result}"
    assert (notice["variables"]["consent_channel"], notice["variables"]["consent_result"]) == (
        "문자(SMS/LMS)·이메일",
        "수신거부",
    )


def test_repurchase_reminder_at_the_learned_cycle_of_the_product(runtime: LocalRuntime) -> None:
    start = ORDERED
    automation_id = install(runtime, "repurchase_reminder", {"channel": "sms"})
    # Five customers each buy product P-7 twice, 20 days apart: P-7's cycle is learned as 20 days.
    for n in range(5):
        customer = f"regular{n}"
        at = runtime.clock.now()
        phone = f"010-0000-40{n:02d}"
        webhook(runtime, samples.cafe24_member_joined(customer, "최유나", phone, at, True, False))
        webhook(runtime, samples.cafe24_order_placed(f"R{n}-1", customer, at, 12000, ["P-7"]))
    runtime.set_time(start + timedelta(days=20))
    for n in range(5):
        again = samples.cafe24_order_placed(f"R{n}-2", f"regular{n}", runtime.clock.now(), 12000, ["P-7"])
        webhook(runtime, again)
    status, cycles = call(runtime, "POST", f"{BASE}/repurchase-cycles/learn")
    assert status == 200, cycles
    assert cycles["products"]["P-7"] == {"days": 20, "intervals": 5, "source": "product"}
    bought = datetime(2026, 4, 8, 15, 0, tzinfo=KST)
    runtime.set_time(bought)
    webhook(runtime, samples.cafe24_member_joined("newbie", "정하늘", "010-0000-5000", bought, True, False))
    webhook(runtime, samples.cafe24_order_placed("N-1", "newbie", bought, 12000, ["P-7"]))
    runtime.set_time(datetime(2026, 4, 28, 9, 59, tzinfo=KST))
    assert [j for j in send_jobs(runtime) if j["customer_id"] == "newbie"] == []
    runtime.set_time(datetime(2026, 4, 28, 10, 1, tzinfo=KST))  # 20 days later at 10:00
    jobs = [j for j in send_jobs(runtime) if j["customer_id"] == "newbie"]
    assert [(j["source"], j["business_key"]) for j in jobs] == [(f"automation:{automation_id}", "order:N-1")]


def test_a_delay_written_as_text_is_stored_as_its_parts(runtime: LocalRuntime) -> None:
    step = {**REVIEW_REQUEST["steps"][0], "delay": "3 days later at 16:00"}
    status, automation = call(runtime, "POST", f"{BASE}/automations", {**REVIEW_REQUEST, "steps": [step]})
    assert status == 201, automation
    assert automation["steps"][0]["delay"] == {"days": 3, "at": "16:00:00"}
    step = {**step, "delay": "3 days soonish"}
    status, body = call(runtime, "POST", f"{BASE}/automations", {**REVIEW_REQUEST, "steps": [step]})
    assert status == 400 and body["fields"][0]["field"].startswith("steps[0].delay"), body


def test_pausing_an_automation_stops_its_due_steps_and_deleting_it_needs_no_schedule_deleted(
    runtime: LocalRuntime,
) -> None:
    automation_id = _delivered_order(runtime)
    path = f"{BASE}/automations/{automation_id}"
    status, paused = call(runtime, "PUT", path, {**REVIEW_REQUEST, "status": "paused"})
    assert status == 200 and paused["status"] == "paused", paused
    assert call(runtime, "GET", path)[1]["created_at"] == paused["created_at"]
    runtime.set_time(REVIEW_AT + timedelta(minutes=1))
    assert send_jobs(runtime) == []
    assert call(runtime, "DELETE", path)[0] == 204
    assert call(runtime, "GET", path)[0] == 404


def test_the_openapi_document_describes_automations_and_their_templates(runtime: LocalRuntime) -> None:
    status, document = call(runtime, "GET", "/admin/openapi.json")
    assert status == 200
    assert "/admin/stores/{store_id}/automations" in document["paths"]
    assert "/admin/stores/{store_id}/automation-templates/{template}" in document["paths"]
    status, templates = call(runtime, "GET", f"{BASE}/automation-templates")
    assert status == 200 and "review_request" in templates
    assert templates["review_request"]["steps"][0]["delay"] == {"days": 3, "at": "16:00"}
    status, body = call(runtime, "POST", f"{BASE}/automation-templates/nope", {})
    assert status == 404, body


def test_a_reminder_due_at_night_is_deferred_to_the_next_morning_not_dropped(runtime: LocalRuntime) -> None:
    install(runtime, "cart_reminder", {"hours": 1, "second_hours": 72})
    added = datetime(2026, 3, 18, 20, 30, tzinfo=KST)  # due 21:30: inside Kakao's 20:50-08:00 block
    runtime.set_time(added)
    _friend(runtime, "night-owl")
    webhook(runtime, samples.cafe24_added_to_cart("night-owl", 101))
    runtime.set_time(datetime(2026, 3, 19, 7, 59, tzinfo=KST))
    assert send_jobs(runtime) == []
    runtime.set_time(datetime(2026, 3, 19, 8, 6, tzinfo=KST))  # 08:00 plus the customer's spread (< 5 min)
    assert [(j["customer_id"], j["step"]) for j in send_jobs(runtime)] == [("night-owl", 0)]


def test_coupon_expiry_notice_three_days_before_the_coupon_expires(runtime: LocalRuntime) -> None:
    automation_id = install(runtime, "coupon_expiry", {"channel": "sms"})
    joined = samples.cafe24_member_joined("dogfan01", "김민지", "010-0000-1001", ORDERED, True, False)
    webhook(runtime, joined)
    expires = datetime(2026, 3, 31, 23, 59, 59, tzinfo=KST)
    for coupon, until in (("C-SPRING", expires), ("C-GONE", ORDERED - timedelta(days=1))):
        data = {"coupon_id": coupon, "name": "봄맞이 쿠폰", "expires_at": until.isoformat()}
        nudge_event(runtime, f"issued-{coupon}", "coupon.issued", "dogfan01", data)
    runtime.run_until_idle()
    assert send_jobs(runtime) == []  # the expired coupon gets nothing; the other waits for 3/28
    runtime.set_time(datetime(2026, 3, 28, 9, 59, tzinfo=KST))
    assert send_jobs(runtime) == []
    runtime.set_time(datetime(2026, 3, 28, 10, 1, tzinfo=KST))
    [job] = send_jobs(runtime)
    assert (job["source"], job["business_key"]) == (f"automation:{automation_id}", "coupon:C-SPRING")
    assert job["variables"]["coupon_expires"] == "2026년 3월 31일"
