"""A cart reminder whose customer buys before it is due: the step stops, and the marketer sees it — in the
customer's "why" (the automation, the step, when, and why in English and Korean) and in the automation's
report (counted by reason, apart from the rules' refusals). A late job of the stopped step sends nothing."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from nudge.sending.jobs import SendJob
from nudge_local.demo import samples
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import AUTH, KST, call
from tests.e2e.test_automations import BASE, install, webhook

pytestmark = pytest.mark.e2e
ADDED = datetime(2026, 3, 18, 13, 0, tzinfo=KST)
NAME = "장바구니 리마인드: 3시간 후, 24시간 후"


@pytest.fixture
def runtime() -> Any:
    with LocalRuntime(start=ADDED - timedelta(hours=1)) as rt:
        yield rt


def _member(runtime: LocalRuntime, customer: str, phone: str) -> None:
    now = runtime.clock.now()
    who = {"id": customer, "name": "이서준", "phone": phone, "channel_friend": True}
    envelope = {"event_id": f"join-{customer}", "type": "member.joined", "occurred_at": now.isoformat(),
                "customer": who}  # fmt: skip
    webhook(runtime, samples.nudge_request(envelope, now))


def _outbox(runtime: LocalRuntime) -> list[dict[str, Any]]:
    status, _, raw = runtime.http("GET", "/_local/outbox")
    assert status == 200
    return list(json.loads(raw)["messages"])


def test_a_cart_reminder_stopped_by_a_purchase_is_in_why_and_counted_in_the_report(
    runtime: LocalRuntime,
) -> None:
    automation_id = install(runtime, "cart_reminder", {"hours": 3, "second_hours": 24})
    _member(runtime, "buyer", "010-0000-3001")
    _member(runtime, "browser", "010-0000-3002")
    runtime.set_time(ADDED)
    for customer in ("buyer", "browser"):
        webhook(runtime, samples.cafe24_added_to_cart(customer, 101))
    bought = ADDED + timedelta(hours=1)
    runtime.set_time(bought)
    webhook(runtime, samples.cafe24_order_placed("O-7", "buyer", bought, 19000, ["101"]))
    runtime.set_time(ADDED + timedelta(days=2))
    runtime.run_until_idle()
    assert sorted(m["to"] for m in _outbox(runtime)) == ["01000003002", "01000003002"]  # the browser's two

    status, why = call(runtime, "GET", f"{BASE}/customers/buyer/why")
    assert status == 200
    stopped = [m for m in why["messages"] if m["source"] == f"automation:{automation_id}"]
    assert [(m["name"], m["step"], m["state"]) for m in stopped] == [
        (NAME, 1, "stopped"),
        (NAME, 2, "stopped"),
    ], why
    first = {link["step"]: link for link in stopped[0]["chain"]}
    assert datetime.fromisoformat(first["stopped"]["at"]) == ADDED + timedelta(hours=3)  # when it fell due
    assert first["stopped"]["reasons"] == [
        {"code": "exited:purchased",
         "meaning": "the customer met one of the automation's exit conditions: they bought something",
         "meaning_ko": "자동화 종료 조건 충족: 구매함"}
    ]  # fmt: skip
    assert "gateway" not in first

    status, report = call(runtime, "GET", f"{BASE}/reports/automation/{automation_id}")
    assert status == 200
    assert {k: report[k] for k in ("targeted", "sent", "stopped", "suppressed")} == {
        "targeted": 4, "sent": 2, "stopped": 2, "suppressed": 0
    }  # fmt: skip
    assert report["stopped_by_reason"] == {"exited:purchased": 2}
    assert report["suppressed_by_reason"] == {}
    status, _, page = runtime.http("GET", f"{BASE}/reports/automation/{automation_id}/page", AUTH, b"")
    assert status == 200 and "자동화 종료 조건 충족: 구매함" in page.decode()

    # A late copy of the buyer's first reminder job (a redelivery) finds its step done: nothing is sent.
    job = SendJob(store_id="dogday-mall", source=f"automation:{automation_id}",
                  occurrence=stopped[0]["occurrence"], customer_id="buyer", business_key="cart:first", step=0,
                  queued_at=runtime.clock.now())  # fmt: skip
    queue = runtime.queue_url("SendQueue")
    runtime.client("sqs").send_message(QueueUrl=queue, MessageBody=job.model_dump_json())
    runtime.run_until_idle()
    assert len(_outbox(runtime)) == 2
    _, again = call(runtime, "GET", f"{BASE}/reports/automation/{automation_id}")
    assert (again["targeted"], again["stopped"]) == (4, 2)
