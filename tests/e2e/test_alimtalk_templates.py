"""AlimTalk templates as the store's gateway account has them, over HTTP: a template under review is refused
at save naming the field, accepted as soon as the gateway approves it, and when the gateway later rejects
it the hourly sync pauses the automation, the reason shown where the marketer looks."""

from datetime import timedelta
from typing import Any

from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import call

BASE = "/admin/stores/dogday-mall"
SHIP = {
    "name": "발송 안내",
    "trigger": {"event": "order.shipped"},
    "steps": [
        {
            "delay": {"minutes": 10},
            "message": {
                "message_class": "informational",
                "channel": "alimtalk",
                "template_code": "SHIP_01",
                "content": "#{name}님, 주문하신 상품이 출발했어요.",
            },
        }
    ],
}


def review_at_gateway(runtime: LocalRuntime, status: str, text: str | None = None) -> None:
    """Kakao's review moves on at the emulated NHN (POST /_local/gateway/templates)."""
    body: dict[str, Any] = {"provider": "nhn", "code": "SHIP_01", "status": status}
    if text is not None:
        body["text"] = text
    assert call(runtime, "POST", "/_local/gateway/templates", body)[0] == 200


def test_a_template_under_review_is_refused_then_saved_once_approved_then_paused_when_rejected(
    runtime: LocalRuntime,
) -> None:
    review_at_gateway(runtime, "TSC02", "#{name}님, 주문하신 상품이 출발했어요.")
    status, body = call(runtime, "POST", f"{BASE}/automations", SHIP)
    assert status == 400, body
    assert body["fields"] == [
        {
            "field": "steps[0].message.template_code",
            "message": "template SHIP_01 is under review (TSC02, 검수 중) at NHN",
        }
    ]
    status, listing = call(runtime, "GET", f"{BASE}/alimtalk-templates")
    assert status == 200 and listing["provider"] == "nhn" and listing["synced_at"]
    ship = next(t for t in listing["templates"] if t["code"] == "SHIP_01")
    assert (ship["status"], ship["gateway_status"], ship["variables"]) == ("inspecting", "TSC02", ["name"])

    review_at_gateway(runtime, "TSC03")
    status, saved = call(runtime, "POST", f"{BASE}/automations", SHIP)  # no wait for the hourly sync
    assert status == 201, saved
    automation = f"{BASE}/automations/{saved['automation_id']}"

    review_at_gateway(runtime, "TSC04")
    runtime.advance(timedelta(hours=1, minutes=1))  # the hourly sync runs
    status, paused = call(runtime, "GET", automation)
    assert status == 200 and paused["status"] == "paused"
    reason = "steps[0].message.template_code: template SHIP_01 is rejected (TSC04, 반려) at NHN"
    assert paused["paused_reason"] == reason
    status, report = call(runtime, "GET", f"{BASE}/reports/automation/{saved['automation_id']}")
    assert status == 200 and report["paused_reason"] == reason

    # Resuming is the marketer's: refused while the template is rejected, saved once approved again.
    status, body = call(runtime, "PUT", automation, SHIP)
    assert status == 400 and body["fields"][0]["field"] == "steps[0].message.template_code"
    review_at_gateway(runtime, "TSC03")
    status, resumed = call(runtime, "PUT", automation, SHIP)
    assert status == 200 and resumed["status"] == "active" and "paused_reason" not in resumed


def test_sync_now_answers_the_list_and_what_it_paused(runtime: LocalRuntime) -> None:
    review_at_gateway(runtime, "TSC03", "#{name}님, 주문하신 상품이 출발했어요.")
    status, saved = call(runtime, "POST", f"{BASE}/automations", SHIP)
    assert status == 201, saved
    review_at_gateway(runtime, "TSC01")
    status, synced = call(runtime, "POST", f"{BASE}/alimtalk-templates/sync")
    assert status == 200, synced
    assert {"code": "SHIP_01", "name": "SHIP_01", "before": "approved", "after": "requested"} in synced[
        "changes"
    ]
    assert [(p["kind"], p["id"]) for p in synced["paused"]] == [("automation", saved["automation_id"])]
    assert "REVIEW_REQUEST_01" in {t["code"] for t in synced["templates"]}
