"""Reliability drills on a small demo month (issue: the whole store, end to end).

Three months of the same store and seed: a clean one; one where every webhook is delivered three times,
some out of order; and one where functions crash before their AWS requests, SQS redelivers handled
messages and the gateway fails 30 % of its calls, after which the dead-letter queues are redriven. Then
the month's advertising decisions are audited and every log line is checked for personal data.
"""

import io
import re
from collections import Counter
from dataclasses import fields, is_dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from compliance.labelling import is_labelled_ad_sms
from nudge_local.demo import demo_month
from nudge_local.emulation import chaos
from nudge_local.gateway.emulator import Faults

pytestmark = pytest.mark.e2e

CUSTOMERS = 30
SEED = 11
KST = ZoneInfo("Asia/Seoul")
PUMP_EVERY = timedelta(hours=6)


def _month(drill: demo_month.Drill) -> demo_month.MonthResult:
    drill = replace(drill, capture=True)  # every profile, the ledger and the outbox, to compare
    return demo_month.run(CUSTOMERS, SEED, out=io.StringIO(), why=[], drill=drill, pump_every=PUMP_EVERY)


@pytest.fixture(scope="module")
def clean() -> demo_month.MonthResult:
    return _month(demo_month.Drill(clicks=False, keep_logs=True))


@pytest.fixture(scope="module")
def triple() -> demo_month.MonthResult:
    return _month(demo_month.Drill(deliveries=3, jitter=timedelta(minutes=4), clicks=False))


@pytest.fixture(scope="module")
def faulty() -> demo_month.MonthResult:
    drill = demo_month.Drill(
        crash_rate=0.02,
        redeliver_rate=0.2,
        gateway=Faults(error_rate=0.3, seed=5),
        clicks=False,
        keep_logs=True,
    )
    return _month(drill)


@pytest.fixture(scope="module")
def throttled() -> demo_month.MonthResult:
    """DynamoDB answers 30 % of the functions' request attempts with a throttle (or, one in nineteen, a
    500) and EventBridge Scheduler 50 % with a throttle, a 500 or (creating a schedule) a conflict."""
    return _month(demo_month.Drill(dynamodb_error_rate=0.3, scheduler_error_rate=0.5, clicks=False))


ARRIVAL_SLACK = timedelta(minutes=10)


def _same(got: Any, want: Any) -> bool:
    """Equal, but for times within ARRIVAL_SLACK: Cafe24's login and cart events carry no time and are timed
    on arrival, and a webhook a fault refused arrives again a minute or two later (the platform's retry)."""
    if isinstance(got, datetime) and isinstance(want, datetime):
        return abs(got - want) <= ARRIVAL_SLACK
    if is_dataclass(got) and is_dataclass(want) and type(got) is type(want):
        return all(_same(getattr(got, f.name), getattr(want, f.name)) for f in fields(got))
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k]) for k in got)
    return bool(got == want)


def _profiles(result: demo_month.MonthResult) -> dict[Any, dict[str, Any]]:
    skip = {"version", "updated_at", "created_at"}
    return {
        key: {name: getattr(p, name) for name in p.__slots__ if name not in skip}
        for key, p in result.capture["profiles"].items()
    }


_TOKEN = re.compile(r"/r/[A-Za-z0-9_.~-]+")


def _messages(result: demo_month.MonthResult) -> Counter[tuple[str, str]]:
    """Who got which text (a link's token names the send, whose campaign id differs from run to run)."""
    return Counter((m["to"], _TOKEN.sub("/r/…", str(m["text"]))) for m in result.capture["outbox"])


def test_every_webhook_three_times_some_out_of_order_changes_nothing(clean, triple) -> None:
    assert triple.requests["visit"] == 3 * clean.requests["visit"]
    # Within ARRIVAL_SLACK: a message a jittered webhook set off goes out when it arrives, and a Kakao block
    # its delivery report tells (3020) withdraws the consent at the report's time.
    assert _same(_profiles(triple), _profiles(clean)), (_profiles(triple), _profiles(clean))
    assert _messages(triple) == _messages(clean)
    assert sum(clean.capture["dead_letters"].values()) == 0


def test_crashes_redeliveries_and_gateway_failures_send_nothing_twice_and_lose_nothing(faulty) -> None:
    assert faulty.crashes > 0 and faulty.redeliveries > 0  # the drill did disturb the month
    # Nothing twice: one message per send id reached a phone (SMS fallbacks carry their own id).
    sent = Counter((m["key"], m["fallback"]) for m in faulty.capture["outbox"])
    assert [key for key, n in sent.items() if n > 1] == []
    # Nothing lost: after the redrive no dead-letter queue holds anything, and every ledger record ended.
    assert faulty.capture["dead_letters"] == dict.fromkeys(faulty.capture["dead_letters"], 0)
    states = Counter(record.state.value for record in faulty.capture["ledger"])
    assert set(states) <= {"sent", "delivered", "failed", "suppressed", "deferred"}, states
    for record in faulty.capture["ledger"]:
        if record.state.value == "deferred":  # only a send deferred past the month's end may still wait
            assert record.deferred_until is not None
    # Every profile came out as in the clean month: the webhooks that crashed were delivered again.
    assert faulty.retried > 0


def test_dynamodb_throttling_and_scheduler_errors_lose_nothing_and_send_nothing_twice(
    clean, throttled
) -> None:
    """botocore retries what the services answer (4 attempts for DynamoDB, 9 for Scheduler, backing off on
    the simulated clock): what gets past them fails a function, whose webhook the platform delivers again
    or whose queue message comes back, and after five (three for a campaign run) a dead-letter queue holds
    it, with its alarm, until it is redriven. The local queues deliver a failed message again at once, so a
    send job whose attempt failed after its claim finds its 90 s lease still held at every try and lands in
    the dead-letter queue (in AWS the 6-minute visibility timeout outlasts the lease)."""
    errors = throttled.service_errors
    assert min(errors[f"dynamodb:{code}"] for code, _, _ in chaos.DYNAMODB_ERRORS) > 0
    assert errors["scheduler:ConflictException"] > 0 and sum(errors.values()) > 1000
    assert sum(throttled.function_errors.values()) > 10  # past botocore's retries, at a rate that matters
    # Nothing twice.
    sent = Counter((m["key"], m["fallback"]) for m in throttled.capture["outbox"])
    assert [key for key, n in sent.items() if n > 1] == []
    # Nothing lost: no webhook given up (the platform's retries took them all), every schedule delivered,
    # every dead-lettered message redriven and handled ...
    assert [refused for refused in throttled.refused if refused.startswith("5")] == []
    assert set(throttled.firings) == {"delivered"}
    assert throttled.capture["dead_letters"] == dict.fromkeys(throttled.capture["dead_letters"], 0)

    # ... every send of the clean month was queued and ended the same way, or (decided again after its
    # redrive) deferred or suppressed for a reason it records; every delivery report was taken ...
    # A consent-result notice answering a delivery report is keyed by the refusal's instant, which botocore's
    # backoff may move a few seconds on (as the consents below): such a notice is matched by customer and
    # source, every other send by its id.
    def identity(record: Any) -> tuple[str, ...]:
        if record.source.startswith("notice:") and record.occurrence.startswith("gateway:"):
            return (record.customer_id, record.source, *record.occurrence.split(":", 3)[:3])
        return (record.send_id,)

    before = {identity(record): record for record in clean.capture["ledger"]}
    after = {identity(record): record for record in throttled.capture["ledger"]}
    assert set(before) <= set(after)
    for send_id, record in before.items():
        got = after[send_id]
        assert got.state == record.state or (got.state.value in ("deferred", "suppressed") and got.reasons)
    assert "sent" not in {record.state.value for record in after.values()}
    # ... and every profile came out as in the clean month (a consent withdrawn on a delivery report may be
    # dated a few seconds later: botocore's backoff moved the simulated clock on).
    clean_profiles, profiles = _profiles(clean), _profiles(throttled)
    assert clean_profiles.keys() == profiles.keys()
    for key, profile in clean_profiles.items():
        for name, value in profile.items():
            if name != "consents":
                assert _same(profiles[key][name], value), (key, name, profiles[key][name], value)
                continue
            got = profiles[key][name]
            assert got.keys() == value.keys(), key
            for channel, consent in value.items():
                assert (got[channel].granted, got[channel].source) == (consent.granted, consent.source)
                assert abs(got[channel].at - consent.at) < timedelta(minutes=1)


def _ad_channel(message: dict[str, Any]) -> str | None:
    kind = str(message.get("kind"))
    if kind in ("SMS", "LMS") and str(message.get("text", "")).startswith("(광고)"):
        return "sms"
    if kind.startswith("BRAND") or kind.startswith("BMS"):
        return "kakao"
    return None


@pytest.mark.parametrize("which", ["clean", "faulty"])
def test_a_month_of_ad_decisions_audited(which: str, request: pytest.FixtureRequest) -> None:
    result: demo_month.MonthResult = request.getfixturevalue(which)
    profiles = {p.phone: p for p in result.capture["profiles"].values() if p.phone}
    audited = 0
    for message in result.capture["outbox"]:
        channel = _ad_channel(message)
        if channel is None:
            continue
        audited += 1
        at = demo_month.datetime.fromisoformat(message["at"]).astimezone(KST)
        profile = profiles["+82" + message["to"][1:]]
        night = at.hour >= 21 or at.hour < 8
        if night:  # never at night without the separate night consent
            consent = profile.consents.get("night")
            assert consent is not None and consent.granted and consent.at <= at, message
        if channel == "sms":  # labelled, with the free 080 opt-out line
            assert is_labelled_ad_sms(message["text"]), message["text"]
        withdrawn = profile.consents.get(channel)
        assert withdrawn is None or withdrawn.granted or withdrawn.at > at, "an ad after the opt-out"
    assert audited > 0
    # At most one message of a promotion per customer per day.
    per_day = Counter(
        (r.customer_id, r.promotion_group, r.sent_at.astimezone(KST).date())
        for r in result.capture["ledger"]
        if r.promotion_group and r.sent_at
    )
    assert [key for key, n in per_day.items() if n > 1] == []


def test_no_phone_number_or_name_in_any_log_line(clean, faulty) -> None:
    # A Korean mobile number, not digits inside a request id or a trace id.
    phone = re.compile(r"(?<![0-9A-Za-z])(?:01[016789]-?\d{3,4}-?\d{4}|\+?8210\d{7,8})(?![0-9A-Za-z])")
    names = {p.name for p in clean.capture["profiles"].values() if p.name and len(p.name) >= 2}
    for result in (clean, faulty):
        lines = result.capture["logs"]
        assert len(lines) > 1000
        assert [line for line in lines if phone.search(line)] == []
        assert [line for line in lines if any(name in line for name in names)] == []


def test_the_demo_counts_the_080_callers_whose_sms_ad_consent_the_list_withdrew(clean) -> None:
    from_profiles = sum(
        1
        for (_, customer_id), p in clean.capture["profiles"].items()
        if customer_id in clean.called_080 and (c := p.consents.get("sms")) and ":080:" in c.source
    )
    # (a caller whose consent changed again later that month no longer shows the 080 list as its source)
    assert clean.called_080 and 0 < clean.withdrawn_by_080 == from_profiles <= len(clean.called_080)


def test_no_message_of_the_month_is_refused_by_the_gateway(clean) -> None:
    # Every AlimTalk is sent on a template registered as it reads (a `#{name|고객}` fallback is the value
    # of the template's `#{name}`), every brand message with its images: the gateway refuses none.
    failed = {
        source: report["failed_by_code"]
        for source, report in clean.reports.items()
        if report.get("failed_by_code")
    }
    assert failed == {}
    shipped = [r for s, r in clean.reports.items() if clean.automations.get(s.partition(":")[2], {}).get(
        "template") == "shipping_started"]  # fmt: skip
    assert shipped and shipped[0]["delivered"] > 0
