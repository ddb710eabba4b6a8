"""A marketer asks why a customer was or was not sent a message, and gets the decision chain: targeted,
the compliance decision with its reasons, the exactly-once claim, the gateway's answer; and the campaigns
that ran without them. A gateway-side opt-out withdraws consent once and sends one result notice."""

from typing import Any

import pytest

from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.test_sending import AD, BASE, START, _campaign, _members, call

pytestmark = pytest.mark.e2e


@pytest.fixture
def runtime() -> Any:
    with LocalRuntime(start=START) as rt:
        yield rt


def _steps(answer: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    (message,) = [m for m in answer["messages"] if m["name"] == name]
    return {link["step"]: link for link in message["chain"]}


def test_why_shows_the_chain_for_a_sent_a_suppressed_and_a_left_out_message(runtime: LocalRuntime) -> None:
    _members(runtime)
    _campaign(runtime, AD)
    runtime.run_until_idle()

    status, sent = call(runtime, "GET", f"{BASE}/customers/m1/why")
    assert status == 200
    assert sent["phone"] == "010-****-0001" and "김하나" not in str(sent)
    chain = _steps(sent, "마감 알림")
    assert chain["compliance"]["decision"] == "send"
    assert chain["gateway"]["result"] == "delivered"
    assert "claimed once" in chain["exactly once"]["detail"]

    # m3 refused SMS ads at sign-up: the run left them out before any send.
    status, refused = call(runtime, "GET", f"{BASE}/customers/m3/why")
    assert refused["messages"] == []
    [left_out] = refused["campaigns_not_sent"]
    assert left_out["name"] == "마감 알림" and left_out["reason"] == "consent_withdrawn"
    assert left_out["why"].startswith(
        "the customer refused or withdrew advertising consent for this channel when"
    )

    # m1 gets a second ad of the same promotion the same day: the sender suppresses it (one a day).
    second = {
        **AD,
        "promotion_group": "dogday",
        "content": "마지막 기회! https://dogday.example/event/dogday",
    }
    first = {**AD, "promotion_group": "dogday"}
    for name, message in (("첫 알림", first), ("둘째 알림", second)):
        body = {"name": name, "segment_id": "everyone", "message": message, "send": {"mode": "immediate"}}
        assert call(runtime, "POST", f"{BASE}/campaigns", body)[0] == 201
        runtime.run_until_idle()
    _, capped = call(runtime, "GET", f"{BASE}/customers/m1/why")
    chain = _steps(capped, "둘째 알림")
    assert chain["compliance"]["decision"] == "suppressed"
    assert [r["code"] for r in chain["compliance"]["reasons"]] == ["frequency_cap"]
    assert "gateway" not in chain


def test_a_campaign_that_ran_without_the_customer_is_explained(runtime: LocalRuntime) -> None:
    _members(runtime)
    segment = {
        "segment_id": "carts",
        "name": "장바구니",
        "definition": {"include": [{"field": "cart.item_count", "op": ">=", "value": 1}]},
    }
    assert call(runtime, "POST", f"{BASE}/segments", segment)[0] == 201
    body = {"name": "장바구니 알림", "segment_id": "carts", "message": AD, "send": {"mode": "immediate"}}
    assert call(runtime, "POST", f"{BASE}/campaigns", body)[0] == 201
    runtime.run_until_idle()
    _, answer = call(runtime, "GET", f"{BASE}/customers/m1/why")
    assert answer["campaigns_not_sent"] == [
        {
            "source": answer["campaigns_not_sent"][0]["source"],
            "name": "장바구니 알림",
            "why": "not in the campaign's segment when it ran",
            "in_segment_now": False,
        }
    ]


def test_an_unknown_customer_is_answered_not_invented(runtime: LocalRuntime) -> None:
    status, answer = call(runtime, "GET", f"{BASE}/customers/nobody/why")
    assert status == 200 and answer["known"] is False and answer["messages"] == []


def test_a_customer_who_blocked_the_channel_gets_one_result_notice(runtime: LocalRuntime) -> None:
    member = {
        "customer_id": "k1",
        "name": "박하늘",
        "phone": "010-2000-0009",
        "signed_up_at": "2025-01-01T10:00:00+09:00",
        "consents": {"kakao": {"granted": True, "at": "2025-01-01T10:00:00+09:00"}},
        "channel_friend": True,
    }
    assert call(runtime, "POST", f"{BASE}/members/import", {"members": [member]})[0] == 200
    # The store also runs the ready-made consent-result automation: it must not send a second notice.
    assert call(runtime, "POST", f"{BASE}/automation-templates/consent_result", {})[0] == 201
    assert runtime.gateway is not None
    runtime.gateway.blocked |= {"01020000009"}
    alimtalk = {
        "message_class": "informational",
        "channel": "alimtalk",
        "content": "#{name}님, 받으신 상품은 마음에 드셨나요? 후기를 남겨 주세요.",
        "template_code": "REVIEW_REQUEST_01",
        "template_approved": True,
    }
    # Twice: the second failure finds the consent already withdrawn and sends no second notice.
    for n in range(2):
        segment = {"segment_id": f"all{n}", "name": "n", "definition": {"include": [{"field": "member.all"}]}}
        assert call(runtime, "POST", f"{BASE}/segments", segment)[0] == 201
        body = {
            "name": f"후기 {n}",
            "segment_id": f"all{n}",
            "message": alimtalk,
            "send": {"mode": "immediate"},
        }
        assert call(runtime, "POST", f"{BASE}/campaigns", body)[0] == 201
        runtime.run_until_idle()
    notices = [m for m in runtime.gateway.outbox if m["to"] == "01020000009"]
    assert len(notices) == 1, notices
    assert "수신거부" in notices[0]["text"]
    _, answer = call(runtime, "GET", f"{BASE}/customers/k1/why")
    assert answer["consents"]["kakao"]["granted"] is False
    assert answer["consents"]["kakao"]["source"] == "gateway:nhn:3020"
    failed = [m for m in answer["messages"] if m["state"] == "failed"]
    assert len(failed) == 2 and all(_steps(answer, m["name"])["gateway"]["code"] == "3020" for m in failed)
