"""events/: every sample is what the generator writes (no drift), every function of the template has one, and
each is run the way a user runs it — `nudge local invoke FUNCTION -e events/NAME.json` — and answers what that
user would check: the status code and body, an empty batchItemFailures, the function's own log line.

The samples tell one story (nudge_local.demo.event_files): dogfan01 joins, campaign CAMPAIGN_ID starts, its
send job is sent, NHN reports it delivered, dogfan01 opens its link. On a fresh runtime (the two local stores
and nothing else) the ones that name a campaign or a send find none, and say so without failing; with what
they name put in place first (`seeded`), they do their work.
"""

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from nudge_local import cli
from nudge_local.demo.event_files import (
    AT,
    CAMPAIGN_ID,
    EVENTS_DIR,
    SAMPLES,
    SEND_ID,
    build_samples,
)
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.template import parse_template

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_EVENTS = build_samples()
AUTH = {"authorization": "Bearer local-admin-token", "content-type": "application/json"}
LANDING = "https://dogday.example/event/dogday"
# The schedule's event says nothing of time: the morning read is replayed the next morning at 06:00.
NEXT_MORNING = ("--start", (AT + timedelta(hours=20)).isoformat())
Seed = Callable[[LocalRuntime], None]


def invoke(capsys: pytest.CaptureFixture[str], name: str, *options: str) -> tuple[Any, list[dict[str, Any]]]:
    """`nudge local invoke` of one sample file: its printed response, and the function's JSON log lines."""
    sample = SAMPLE_EVENTS[name]
    path = str(EVENTS_DIR / f"{name}.json")
    status = cli.main(["local", "invoke", sample.function, "-e", path, *options])
    out, err = capsys.readouterr()
    assert status == 0, err
    logs = [json.loads(line) for line in err.splitlines() if line.startswith('{"level"')]
    return json.loads(out), logs


def logged(logs: list[dict[str, Any]], message: str) -> dict[str, Any]:
    found = [line for line in logs if line.get("message") == message]
    assert found, f"no log line {message!r} in {[line.get('message') for line in logs]}"
    return found[-1]


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Put things in place in the runtime `nudge local invoke` opens, before it invokes the function."""

    def install(*steps: Seed) -> None:
        opened = LocalRuntime.open

        def open_then_seed(runtime: LocalRuntime) -> LocalRuntime:
            opened(runtime)
            for step in steps:
                step(runtime)
            return runtime

        monkeypatch.setattr(LocalRuntime, "open", open_then_seed)
        # The admin API names new campaigns at random; the samples name this one.
        monkeypatch.setattr("nudge.campaigns.service.new_campaign_id", lambda: CAMPAIGN_ID)

    return install


def _admin(runtime: LocalRuntime, method: str, path: str, body: Any) -> dict[str, Any]:
    result = runtime.http(method, path, AUTH, json.dumps(body, ensure_ascii=False).encode())
    assert result.status in (200, 201), result.body
    answer: dict[str, Any] = json.loads(result.body)
    return answer


def member_joins(runtime: LocalRuntime) -> None:
    """dogfan01 joins with SMS ad consent (the cafe24_member_joined sample, through the HTTP API)."""
    request = SAMPLES["cafe24_member_joined"]()
    assert runtime.http(request.method, request.path, request.headers, request.body).status == 200


def campaign_exists(runtime: LocalRuntime) -> None:
    """The marketer's campaign CAMPAIGN_ID: an SMS ad to every member, reserved for next week (so nothing
    runs by itself meanwhile)."""
    segment = {
        "segment_id": "all-members",
        "name": "모든 회원",
        "definition": {"match": "all", "include": [{"field": "member.all"}], "exclude": []},
    }
    _admin(runtime, "POST", "/admin/stores/dogday-mall/segments", segment)
    campaign = {
        "name": "도그데이 오픈 알림",
        "segment_id": "all-members",
        "message": {
            "message_class": "advertising",
            "channel": "sms",
            "content": f"[도그데이몰] 도그데이 기획전 오픈! 강아지 침대·간식 최대 40% 할인 {LANDING}",
        },
        "send": {"mode": "reserved", "at": (AT + timedelta(days=7)).isoformat()},
        "tracking": {"landing_url": LANDING, "utm_campaign": "dogday-2026", "login_required": False},
    }
    created = _admin(runtime, "POST", "/admin/stores/dogday-mall/campaigns", campaign)
    assert created["campaign_id"] == CAMPAIGN_ID


def job_sent(runtime: LocalRuntime) -> None:
    """The sender_send_job sample, handled: the SMS is with the gateway, the ledger has SEND_ID."""
    answer = runtime.invoke("SenderFunction", SAMPLE_EVENTS["sender_send_job"].event)
    assert answer == {"batchItemFailures": []}
    assert runtime.gateway is not None and len(runtime.gateway.outbox) == 1


# ---------------------------------------------------------------- the files


def test_every_sample_file_is_up_to_date_with_the_generator() -> None:
    on_disk = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in EVENTS_DIR.glob("*.json")}
    assert on_disk == {name: sample.event for name, sample in SAMPLE_EVENTS.items()}, (
        "run: .venv/bin/python -m nudge_local.demo.event_files"
    )


def test_every_function_of_the_template_has_a_sample() -> None:
    functions = set(parse_template(ROOT / "template.yaml").functions)
    assert {sample.function for sample in SAMPLE_EVENTS.values()} == functions


# ---------------------------------------------------------------- each sample on a fresh runtime

WEBHOOKS = sorted(n for n, s in SAMPLE_EVENTS.items() if s.function in ("IngestFunction", "CollectFunction"))
QUEUED = sorted(n for n, s in SAMPLE_EVENTS.items() if "Records" in s.event)


@pytest.mark.parametrize("name", WEBHOOKS)
def test_webhook_and_tracker_samples_are_accepted(capsys: pytest.CaptureFixture[str], name: str) -> None:
    response, _ = invoke(capsys, name)
    assert response["statusCode"] in (200, 204), response
    if response["statusCode"] == 200:
        assert json.loads(response["body"])["status"] in ("applied", "ignored")


@pytest.mark.parametrize("name", QUEUED)
def test_queue_samples_are_handled_without_a_failed_message(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    # What each finds on a fresh runtime: no campaign CAMPAIGN_ID (the run is skipped, not retried), no
    # profile for the send job (suppressed), no automation for the event, nothing due in the slot.
    response, logs = invoke(capsys, name)
    assert response == {"batchItemFailures": []}
    expected = {
        "campaign_run_requested": "campaign run skipped: campaign gone",
        "sender_send_job": "send suppressed",
        "automation_slot_due": "slot fired",
    }
    if name in expected:
        logged(logs, expected[name])


def test_admin_sample_reads_the_store(capsys: pytest.CaptureFixture[str]) -> None:
    response, _ = invoke(capsys, "admin_get_store")
    assert response["statusCode"] == 200
    store = json.loads(response["body"])
    assert (store["store_id"], store["name"]) == ("dogday-mall", "도그데이몰")


def test_a_report_or_a_click_for_a_send_nudge_does_not_know_is_answered_plainly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report, _ = invoke(capsys, "tracking_nhn_delivery_report")
    # Acknowledged, so NHN stops retrying, and ignored.
    assert report["statusCode"] == 200
    assert json.loads(report["body"]) == {"recorded": 0, "unknown": 1, "opt_outs": 0}
    click, _ = invoke(capsys, "tracking_click")
    assert click["statusCode"] == 404 and "유효하지 않습니다" in click["body"]


def test_the_morning_opt_out_read_covers_the_nhn_store(capsys: pytest.CaptureFixture[str]) -> None:
    response, _ = invoke(capsys, "optouts_every_morning", *NEXT_MORNING)
    # dogday-mall is on NHN
    assert response == {"stores": 1, "listed": 0, "withdrawn": 0, "unknown": 0, "failed": 0}


def test_the_hourly_template_sync_reads_both_stores_templates(capsys: pytest.CaptureFixture[str]) -> None:
    response, logs = invoke(capsys, "alimtalk_templates_every_hour")
    # Both local stores have a gateway (NHN, Solapi); their approved templates are new to Nudge.
    assert response["stores"] == 2 and response["failed"] == 0 and response["paused"] == 0, response
    assert response["changed"] > 0
    logged(logs, "alimtalk templates changed")


# ---------------------------------------------------------------- each sample with what it names in place


def test_the_campaign_run_sample_targets_the_campaigns_members(
    capsys: pytest.CaptureFixture[str], seeded: Callable[..., None]
) -> None:
    seeded(member_joins, campaign_exists)
    response, logs = invoke(capsys, "campaign_run_requested")
    assert response == {"batchItemFailures": []}
    run = logged(logs, "campaign run")
    assert (run["campaign_id"], run["targeted"]) == (CAMPAIGN_ID, 1)


def test_the_send_job_sample_sends_the_campaigns_sms(
    capsys: pytest.CaptureFixture[str], seeded: Callable[..., None]
) -> None:
    seeded(member_joins, campaign_exists)
    response, logs = invoke(capsys, "sender_send_job")
    assert response == {"batchItemFailures": []}
    assert logged(logs, "send sent")["send_id"] == SEND_ID


def test_the_delivery_report_sample_records_the_delivery(
    capsys: pytest.CaptureFixture[str], seeded: Callable[..., None]
) -> None:
    seeded(member_joins, campaign_exists, job_sent)
    response, _ = invoke(capsys, "tracking_nhn_delivery_report")
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"recorded": 1, "unknown": 0, "opt_outs": 0}


def test_the_click_sample_lands_on_the_campaigns_page(
    capsys: pytest.CaptureFixture[str], seeded: Callable[..., None]
) -> None:
    seeded(member_joins, campaign_exists, job_sent)
    response, _ = invoke(capsys, "tracking_click")
    assert response["statusCode"] == 302
    landing = urlsplit(response["headers"]["Location"])
    assert f"{landing.scheme}://{landing.netloc}{landing.path}" == LANDING
    assert parse_qs(landing.query)["utm_campaign"] == ["dogday-2026"]


def test_the_events_queue_sample_starts_the_welcome_automation(
    capsys: pytest.CaptureFixture[str], seeded: Callable[..., None]
) -> None:
    welcome: list[str] = []

    def welcome_installed(runtime: LocalRuntime) -> None:
        path = "/admin/stores/dogday-mall/automation-templates/welcome"
        welcome.append(_admin(runtime, "POST", path, {"params": {"link": "https://dogday.example/"}})["automation_id"])

    seeded(member_joins, welcome_installed)
    response, logs = invoke(capsys, "automation_member_joined")
    assert response == {"batchItemFailures": []}
    journeys = logged(logs, "journeys")
    assert (journeys["type"], journeys["started"], journeys["queued"]) == ("member.joined", welcome, 1)


def test_the_morning_sample_withdraws_the_consent_of_whoever_called_the_080_number(
    capsys: pytest.CaptureFixture[str], seeded: Callable[..., None]
) -> None:
    def called_080(runtime: LocalRuntime) -> None:
        assert runtime.gateway is not None
        runtime.gateway.optout_080["01000001001"] = AT + timedelta(hours=3)  # dogfan01's, after joining

    seeded(member_joins, called_080)
    response, _ = invoke(capsys, "optouts_every_morning", *NEXT_MORNING)
    assert response == {"stores": 1, "listed": 1, "withdrawn": 1, "unknown": 0, "failed": 0}


# ---------------------------------------------------------------- as a separate process, like a user


def test_nudge_local_invoke_runs_a_sample_like_sam_local_invoke() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nudge_local.cli",
            "local",
            "invoke",
            "IngestFunction",
            "-q",
            "-e",
            str(EVENTS_DIR / "cafe24_order_placed.json"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "applied", "events": ["order.placed", "order.paid"]}
