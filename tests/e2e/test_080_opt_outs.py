"""A customer calls the store's 080 number to refuse ads: NHN refuses the store's next ad SMS to them at
once (-6001), and the next morning Nudge's read of the 080 list withdraws their SMS ad consent (dated when
they called), sends the consent-result notice once, and every later ad is suppressed before any gateway
call — through the local runtime: the daily schedule the stack owns, the function, NHN's list API."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nudge_local.demo import samples
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import KST, call, scan
from tests.e2e.test_sending import AD, BASE

START = datetime(2026, 3, 18, 10, 5, tzinfo=KST)
NEXT_MORNING = datetime(2026, 3, 19, 9, 0, tzinfo=KST)  # after the 06:00 read, inside the daytime ad hours
CALLER, OTHER = "010-2000-0001", "010-2000-0002"


@pytest.fixture
def runtime() -> Any:
    with LocalRuntime(start=START) as rt:
        yield rt


def _campaign(runtime: LocalRuntime, name: str) -> str:
    status, campaign = call(
        runtime,
        "POST",
        f"{BASE}/campaigns",
        {"name": name, "segment_id": "everyone", "message": AD, "send": {"mode": "immediate"}},
    )
    assert status == 201, campaign
    runtime.run_until_idle()
    return campaign["campaign_id"]


def _ledger(runtime: LocalRuntime, campaign_id: str) -> dict[str, tuple[str, str | None]]:
    return {
        r["cust"].partition("|")[2]: (r["st"], r.get("code"))
        for r in scan(runtime, "SendsTable")
        if r.get("src") == f"dogday-mall|campaign:{campaign_id}"
    }


def _outbox(runtime: LocalRuntime) -> list[dict[str, Any]]:
    return json.loads(runtime.http("GET", "/_local/outbox")[2])["messages"]


def test_a_080_refusal_withdraws_sms_ad_consent_the_next_morning_with_one_notice(
    runtime: LocalRuntime,
) -> None:
    for member, phone in (("m1", CALLER), ("m2", OTHER)):
        joined = samples.cafe24_member_joined(
            member, "김하나", phone, START - timedelta(days=30), True, False
        )
        assert runtime.http(joined.method, joined.path, joined.headers, joined.body).status == 200
    segment = {"segment_id": "everyone", "name": "n", "definition": {"include": [{"field": "member.all"}]}}
    assert call(runtime, "POST", f"{BASE}/segments", segment)[0] == 201
    runtime.run_until_idle()
    called_at = runtime.clock.now()
    assert (
        runtime.http("POST", "/_local/gateway", {}, json.dumps({"optout_080": [CALLER]}).encode()).status
        == 200
    )

    # Before the sync: NHN itself refuses the ad to the listed number; the other customer gets it.
    first = _campaign(runtime, "마감 알림")
    assert _ledger(runtime, first) == {"m1": ("failed", "-6001"), "m2": ("delivered", None)}
    assert [m["to"] for m in _outbox(runtime) if m["is_ad"]] == ["01020000002"]

    # The morning read of NHN's list: m1's SMS ad consent is withdrawn as of the call, once.
    runtime.set_time(NEXT_MORNING)
    runtime.run_until_idle()
    profiles = {r["sk"]: r for r in scan(runtime, "ProfilesTable")}
    granted, at, source = profiles["m1"]["cs"]["sms"]
    assert (int(granted), int(at), source) == (0, int(called_at.timestamp()), "gateway:nhn:080:080-123-4567")
    assert int(profiles["m2"]["cs"]["sms"][0]) == 1
    notices = [m for m in _outbox(runtime) if not m["is_ad"]]
    assert [m["to"] for m in notices] == ["01020000001"]
    assert "수신거부" in notices[0]["text"] and "2026년 3월 18일" in notices[0]["text"]

    # A later campaign leaves m1 out before any send (no send job, no gateway call), and says so: in its
    # report, as targeted and suppressed for the withdrawal, and in m1's "why".
    second = _campaign(runtime, "마지막 날 알림")
    assert _ledger(runtime, second) == {"m2": ("delivered", None)}
    _, report = call(runtime, "GET", f"{BASE}/reports/campaign/{second}")
    assert (report["targeted"], report["sent"], report["suppressed_by_reason"]) == (
        2,
        1,
        {"consent_withdrawn": 1},
    )
    _, answer = call(runtime, "GET", f"{BASE}/customers/m1/why")
    [left_out] = [c for c in answer["campaigns_not_sent"] if c["source"] == f"campaign:{second}"]
    assert left_out["reason"] == "consent_withdrawn" and "leave such customers out" in left_out["why"]
    assert sorted(m["to"] for m in _outbox(runtime)) == ["01020000001", "01020000002", "01020000002"]
    assert not any("2000-0001" in line or "20000001" in line for line in runtime.logs.lines)


def test_a_store_running_the_consent_result_automation_still_gets_one_notice(runtime: LocalRuntime) -> None:
    status, automation = call(runtime, "POST", f"{BASE}/automation-templates/consent_result", {"params": {}})
    assert status == 201, automation
    joined = samples.cafe24_member_joined("m1", "김하나", CALLER, START - timedelta(days=30), True, False)
    assert runtime.http(joined.method, joined.path, joined.headers, joined.body).status == 200
    runtime.run_until_idle()
    before = len(_outbox(runtime))  # the notices of the sign-up's own answers
    assert (
        runtime.http("POST", "/_local/gateway", {}, json.dumps({"optout_080": [CALLER]}).encode()).status
        == 200
    )
    runtime.set_time(NEXT_MORNING)
    runtime.run_until_idle()
    [notice] = _outbox(runtime)[before:]
    assert "문자(SMS/LMS) 광고성 정보 수신거부" in notice["text"]
    ledger = [r for r in scan(runtime, "SendsTable") if r["pk"].startswith("s#")]
    [owed] = [r for r in ledger if r["src"] == "dogday-mall|notice:consent-result"]
    assert (
        owed["occ"] == f"gateway:nhn:080:080-123-4567:{START.astimezone(UTC).isoformat()}"
    )  # what it answers
    # "Why" names it and says why it was sent.
    _, answer = call(runtime, "GET", f"{BASE}/customers/m1/why")
    [explained] = [m for m in answer["messages"] if m["source"] == "notice:consent-result"]
    assert explained["name"].startswith("consent-result notice") and explained["state"] == "delivered"
    assert "opt-out reached Nudge through the gateway" in explained["chain"][0]["detail"]
    assert answer["consents"]["sms"] == {
        "granted": False,
        "at": START.astimezone(UTC).isoformat(),  # when they called (no time passed before the call)
        "source": "gateway:nhn:080:080-123-4567",
    }
