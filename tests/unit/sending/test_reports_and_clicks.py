"""After the send: delivery reports (NHN signature, Solapi's array), opt-outs withdrawing consent, clicks."""

import json
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from compliance.labelling import is_labelled_ad_sms
from nudge.adapters.gateway_accounts import REPORT_FORMATS
from nudge.errors import InvalidPayload, Unauthenticated
from nudge.ingest.service import IngestDependencies
from nudge.reports.delivery import ReportDependencies, receive_report
from nudge.sending.links import follow
from nudge.sending.records import State
from nudge.sending.service import send_fallback, send_notice
from nudge_local.gateway.emulator import Report
from tests.fakes import RecordingPublisher
from tests.unit.sending.world import BRAND_AD, SMS_AD, World

SIGNATURE = {"x-toast-webhook-signature": "local-dogday-webhook-signature"}


def _deps(world: World) -> tuple[ReportDependencies, RecordingPublisher]:
    publisher = RecordingPublisher()
    ingest = IngestDependencies(world.stores, world.secrets, world.profiles, publisher)
    return ReportDependencies(world.ledger, ingest, REPORT_FORMATS), publisher


def _reports(world: World, provider: str) -> list[Report]:
    return [r for r in world.emulator.take_reports() if r[0] == provider]


def test_nhn_reports_mark_the_send_delivered_once_the_signature_matches() -> None:
    world = World()
    world.customer("c1")
    result = world.send(world.job(world.campaign("cmp1", SMS_AD), "c1"))
    deps, _ = _deps(world)
    [(_, headers, body, _)] = _reports(world, "nhn")
    with pytest.raises(Unauthenticated):
        receive_report("nhn", {**headers, **{"x-toast-webhook-signature": "forged"}}, body, deps, world.now)
    assert world.ledger.records[result.send_id].state is State.SENT  # nothing written
    outcome = receive_report("nhn", headers, body, deps, world.now)
    assert outcome.as_dict() == {"recorded": 1, "unknown": 0, "opt_outs": 0}
    assert world.ledger.records[result.send_id].state is State.DELIVERED
    assert receive_report("nhn", headers, body, deps, world.now).recorded == 1  # a retried report is harmless


def test_a_fallback_delivery_is_reported_as_delivered_and_fell_back() -> None:
    world = World()
    world.customer("c1")
    world.emulator.non_kakao.add("01012345678")
    result = world.send(world.job(world.campaign("cmp1", BRAND_AD), "c1"))
    deps, _ = _deps(world)
    [(_, headers, body, _)] = _reports(world, "nhn")
    receive_report("nhn", headers, body, deps, world.now)
    record = world.ledger.records[result.send_id]
    assert (record.state, record.fell_back, record.code) == (State.DELIVERED, True, "3019")


def test_a_customer_who_blocked_the_channel_loses_kakao_ad_consent_at_once() -> None:
    world = World()
    world.customer("c1", consents=("kakao",))
    world.emulator.blocked.add("01012345678")
    world.send(world.job(world.campaign("cmp1", BRAND_AD), "c1"))
    deps, publisher = _deps(world)
    [(_, headers, body, _)] = _reports(world, "nhn")
    assert receive_report("nhn", headers, body, deps, world.now).opt_outs == 1
    consent = world.profiles.get("dogday-mall", "c1").consents["kakao"]
    assert (consent.granted, consent.at, consent.source) == (False, world.now, "gateway:nhn:3020")
    assert [e.type.value for e in publisher.published] == ["consent.changed"]  # → the result notice
    later = world.send(world.job(world.campaign("cmp2", BRAND_AD), "c1"))
    assert (later.state, later.reasons) == ("suppressed", ("consent_withdrawn",))


def test_solapi_080_opt_out_results_withdraw_sms_consent() -> None:
    world = World()
    world.customer("c1", store_id="maple-goods")
    world.emulator.optout_080["01012345678"] = world.now
    world.send(
        world.job(world.campaign("cmp1", SMS_AD, store_id="maple-goods"), "c1", store_id="maple-goods")
    )
    deps, _ = _deps(world)
    [(_, headers, body, query)] = _reports(world, "solapi")
    assert isinstance(json.loads(body), list)
    outcome = receive_report("solapi", headers, body, deps, world.now, query=query)
    assert outcome.opt_outs == 1
    assert world.profiles.get("maple-goods", "c1").consents["sms"].granted is False


def test_a_solapi_report_without_the_stores_signature_in_its_url_writes_nothing() -> None:
    world = World()
    world.customer("c1", store_id="maple-goods")
    world.emulator.optout_080["01012345678"] = world.now
    result = world.send(
        world.job(world.campaign("cmp1", SMS_AD, store_id="maple-goods"), "c1", store_id="maple-goods")
    )
    deps, publisher = _deps(world)
    [(_, headers, body, query)] = _reports(world, "solapi")
    assert query == {"signature": "local-maple-report-signature"}  # the URL the store registered
    for forged in ({}, {"signature": "guessed"}, {"signature": "local-dogday-webhook-signature"}):
        with pytest.raises(Unauthenticated, match="'signature' parameter"):
            receive_report("solapi", headers, body, deps, world.now, query=forged)
    # Nothing was written: the send is still only sent, and the 080 result withdrew no consent.
    assert world.ledger.records[result.send_id].state is State.SENT
    assert world.profiles.get("maple-goods", "c1").consents["sms"].granted is True
    assert publisher.published == []
    assert receive_report("solapi", headers, body, deps, world.now, query=query).opt_outs == 1


def test_a_report_naming_no_known_send_needs_no_signature_and_writes_nothing() -> None:
    world = World()
    deps, _ = _deps(world)
    stranger = [{"eventDataId": "e1", "retryCount": 0, "data": {"statusCode": "4000",
                 "customFields": {"nudge_send": "not-a-send-of-nudge"}}}]  # fmt: skip
    outcome = receive_report("solapi", {}, json.dumps(stranger).encode(), deps, world.now)
    assert outcome.as_dict() == {"recorded": 0, "unknown": 1, "opt_outs": 0}


def test_a_body_that_is_not_a_report_is_refused_naming_the_body() -> None:
    world = World()
    deps, _ = _deps(world)
    with pytest.raises(InvalidPayload) as refused:
        receive_report("solapi", {}, b'{"not": "an array"}', deps, world.now)
    assert refused.value.fields[0].field == "body"


def test_a_click_is_recorded_and_lands_with_utm_parameters_through_the_login_form() -> None:
    world = World()
    world.customer("c1")
    result = world.send(
        world.job(world.campaign("cmp1", SMS_AD, login_required=True, campaign_code="DOG26"), "c1")
    )
    ledger = world.ledger
    destination = follow(f"{result.send_id}0", ledger, world.now)
    assert destination is not None and destination.startswith(
        "https://dogday.example/member/login.html?returnUrl="
    )
    landed = parse_qs(urlsplit(parse_qs(urlsplit(destination).query)["returnUrl"][0]).query)
    assert landed["utm_campaign"] == ["cmp1"] and landed["nudge_campaign"] == ["DOG26"]
    assert world.ledger.records[result.send_id].clicks == 1
    assert follow("not-a-token", ledger, world.now) is None


def test_a_solapi_brand_message_that_cannot_reach_kakao_gets_nudges_own_ad_sms_once() -> None:
    world = World()
    world.customer("c1", store_id="maple-goods")
    world.emulator.non_kakao.add("01012345678")
    job = world.job(world.campaign("cmp1", BRAND_AD, store_id="maple-goods"), "c1", store_id="maple-goods")
    result = world.send(job)
    record = world.ledger.records[result.send_id]
    assert result.state == "sent" and record.fallback_by_nudge and world.emulator.outbox == []
    deps, _ = _deps(world)
    deps = replace(deps, fallback=lambda original: send_fallback(original, world.deps()))
    [(_, headers, body, query)] = _reports(world, "solapi")
    receive_report("solapi", headers, body, deps, world.now, query=query)
    receive_report("solapi", headers, body, deps, world.now, query=query)  # the report retried: still one SMS
    [sent] = world.emulator.outbox
    assert sent["kind"] in ("SMS", "LMS") and is_labelled_ad_sms(sent["text"])
    assert sent["text"].startswith("(광고)메이플굿즈")
    original = world.ledger.records[result.send_id]
    assert (original.state, original.code, original.fell_back) == (State.FAILED, "3104", True)
    assert world.send(job).state == "duplicate"


def test_a_failure_report_after_delivery_changes_nothing_and_sends_no_fallback() -> None:
    world = World()
    world.customer("c1", store_id="maple-goods")
    result = world.send(
        world.job(world.campaign("cmp1", BRAND_AD, store_id="maple-goods"), "c1", store_id="maple-goods")
    )
    deps, _ = _deps(world)
    fallbacks: list[str] = []
    deps = replace(deps, fallback=lambda original: fallbacks.append(original.send_id))
    [(_, headers, body, query)] = _reports(world, "solapi")
    receive_report("solapi", headers, body, deps, world.now, query=query)  # delivered
    late = json.loads(body)
    late[0]["data"]["statusCode"] = "3104"
    receive_report("solapi", headers, json.dumps(late).encode(), deps, world.now, query=query)
    assert world.ledger.records[result.send_id].state is State.DELIVERED and fallbacks == []
    assert len(world.emulator.outbox) == 1


def test_an_opt_out_at_the_gateway_sends_the_consent_result_notice_once() -> None:
    world = World()
    world.customer("c1")
    world.emulator.blocked.add("01012345678")
    world.send(world.job(world.campaign("cmp1", {**BRAND_AD, "fallback_sms": False}), "c1"))
    deps, _ = _deps(world)
    deps = replace(
        deps,
        notice=lambda store_id, customer_id, key, message: send_notice(
            store_id, customer_id, key, message, world.deps()
        ),
    )
    [(_, headers, body, _)] = _reports(world, "nhn")
    receive_report("nhn", headers, body, deps, world.now)
    receive_report("nhn", headers, body, deps, world.now)  # retried: one notice
    [notice] = world.emulator.outbox
    assert notice["kind"] in ("SMS", "LMS") and not notice.get("is_ad")
    assert notice["text"].startswith("[도그데이몰] 광고성 정보 수신거부 결과 안내")
    assert "2026년 3월 18일" in notice["text"]


def test_a_crash_between_the_withdrawal_and_its_notice_is_finished_by_the_reports_redelivery() -> None:
    world = World()
    world.customer("c1", consents=("kakao",))
    world.emulator.blocked.add("01012345678")
    world.send(world.job(world.campaign("cmp1", {**BRAND_AD, "fallback_sms": False}), "c1"))
    deps, _ = _deps(world)

    def crash(*_: object) -> None:
        raise RuntimeError("the function stopped here")

    [(_, headers, body, _)] = _reports(world, "nhn")
    with pytest.raises(RuntimeError):
        receive_report("nhn", headers, body, replace(deps, notice=crash), world.now)
    assert world.profiles.get("dogday-mall", "c1").consents["kakao"].granted is False  # withdrawn, no notice
    world.advance(timedelta(minutes=5))  # NHN delivers the report again
    notice = replace(
        deps,
        notice=lambda store_id, customer_id, key, message: send_notice(
            store_id, customer_id, key, message, world.deps()
        ),
    )
    for _ in range(2):
        receive_report("nhn", headers, body, notice, world.now)
    [sent] = world.emulator.outbox
    assert "수신거부" in sent["text"] and "2026년 3월 18일" in sent["text"]
