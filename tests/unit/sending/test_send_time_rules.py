"""At send time: the message the source names now, the profile now, the compliance decision now;
personalisation without a raw #{...}; tracking links; the gateway's wire formats; fallback to one SMS."""

from datetime import datetime, timedelta

from compliance.labelling import is_labelled_ad_sms
from nudge.profiles.profile import Consent
from nudge.sending.records import State
from tests.unit.sending.world import ALIMTALK, BRAND_AD, KST, SMS_AD, World


def test_an_ad_sms_goes_to_the_ad_sms_endpoint_labelled_personalised_and_with_tracking_links() -> None:
    world = World()
    world.customer("c1")
    result = world.send(world.job(world.campaign("cmp1", SMS_AD), "c1"))
    assert result.state == "sent"
    [sent] = world.emulator.outbox
    assert sent["is_ad"] and is_labelled_ad_sms(sent["text"])
    assert sent["text"].startswith("(광고)도그데이몰\n홍길동님,")
    assert f"https://t.nudge.example/r/{result.send_id}0" in sent["text"]
    assert "dogday.example" not in sent["text"] and "#{" not in sent["text"]
    [destination] = world.ledger.records[result.send_id].links
    assert destination.startswith("https://dogday.example/event/dogday?utm_source=nudge&utm_medium=sms")


def test_a_missing_value_uses_the_declared_fallback_and_never_a_raw_variable() -> None:
    world = World()
    world.customer("c1", name=None)
    world.send(world.job(world.campaign("cmp1", SMS_AD), "c1"))
    assert "고객님," in world.emulator.outbox[0]["text"]
    world.customer("c2", name=None)
    result = world.send(world.job(world.campaign("cmp2", BRAND_AD), "c2"))  # #{name} without a fallback
    assert (result.state, result.reasons) == ("suppressed", ("missing_variable",))
    assert len(world.emulator.outbox) == 1


def test_consent_withdrawn_after_the_job_was_queued_stops_the_ad() -> None:
    world = World()
    profile = world.customer("c1")
    profile.consents["sms"] = Consent(False, world.now - timedelta(minutes=1), "unsubscribe-link")
    result = world.send(world.job(world.campaign("cmp1", SMS_AD), "c1"))
    assert (result.state, result.reasons) == ("suppressed", ("consent_withdrawn",))
    assert world.emulator.outbox == []


def test_a_night_time_ad_is_deferred_to_the_morning_not_dropped() -> None:
    world = World(now=datetime(2026, 3, 18, 22, 30, tzinfo=KST))
    world.customer("c1")
    job = world.job(world.campaign("cmp1", SMS_AD), "c1")
    result = world.send(job)
    assert result.state == "deferred" and "quiet_hours" in result.reasons
    [(deferred_job, at)] = world.deferrals.deferred
    assert deferred_job == job and at.astimezone(KST).date().day == 19 and at.astimezone(KST).hour == 8
    assert world.send(job).state == "not_due"  # a redelivery before then sends nothing
    world.clock.set(at)
    assert world.send(job).state == "sent"
    assert len(world.emulator.outbox) == 1


def test_a_deleted_campaign_or_a_paused_automation_sends_nothing_and_says_why() -> None:
    world = World()
    world.customer("c1")
    gone = world.send(world.job("campaign:cmp-gone", "c1"))
    assert (gone.state, gone.reasons) == ("suppressed", ("source_deleted",))
    world.catalog.items[("dogday-mall", "automation", "auto1")] = {
        "status": "paused",
        "steps": [{"message": SMS_AD}],
    }
    paused = world.send(world.job("automation:auto1", "c1", step=0))
    assert (paused.state, paused.reasons) == ("suppressed", ("source_paused",))
    assert world.emulator.outbox == []


def test_an_active_automation_step_sends_its_message_with_the_jobs_variables() -> None:
    world = World()
    world.customer("c1")
    world.catalog.items[("dogday-mall", "automation", "shipped")] = {
        "status": "active",
        "steps": [{"message": ALIMTALK}],
    }
    result = world.send(
        world.job("automation:shipped", "c1", step=0, variables={"tracking_no": "123456789012"})
    )
    assert result.state == "sent"
    [sent] = world.emulator.outbox
    assert sent["kind"] == "ALIMTALK"
    assert sent["text"] == "홍길동님, 주문하신 상품이 발송되었습니다. 송장번호: 123456789012"
    # The frequency rules are for ads: an informational message does not read the customer's history.
    assert world.ledger.recent_calls == 0
    assert world.ledger.records[result.send_id].owed_by_law is False  # a marketer's automation


def test_an_automation_made_from_a_legal_notice_template_marks_its_sends_owed_by_law() -> None:
    world = World()
    world.customer("c1")
    world.catalog.items[("dogday-mall", "automation", "result")] = {
        "status": "active",
        "template": "consent_result",
        "steps": [
            {"message": {"message_class": "informational", "channel": "sms", "content": "수신거부 처리 결과"}}
        ],
    }
    # The automation function queues the job marked so (automation_runs, test_journeys); the claim keeps it.
    result = world.send(world.job("automation:result", "c1", step=0, owed_by_law=True))
    assert result.state == "sent"
    assert world.ledger.records[result.send_id].owed_by_law is True  # reports never credit it an order
    # A job queued as owed is recorded so, even if its automation no longer says it (edited meanwhile).
    del world.catalog.items[("dogday-mall", "automation", "result")]["template"]
    world.customer("c2")
    again = world.send(world.job("automation:result", "c2", step=0, owed_by_law=True))
    assert again.state == "sent" and world.ledger.records[again.send_id].owed_by_law is True


def test_an_alimtalk_to_someone_without_kakaotalk_falls_back_to_one_sms() -> None:
    world = World()
    world.customer("c1")
    world.emulator.non_kakao.add("01012345678")
    world.catalog.items[("dogday-mall", "automation", "shipped")] = {
        "status": "active",
        "steps": [{"message": ALIMTALK}],
    }
    world.send(world.job("automation:shipped", "c1", step=0, variables={"tracking_no": "1"}))
    [sent] = world.emulator.outbox
    assert sent["fallback"] and sent["kind"] in ("SMS", "LMS")


def test_a_brand_message_that_cannot_reach_kakao_falls_back_to_one_complete_ad_sms() -> None:
    world = World()
    world.customer("c1")
    world.emulator.non_kakao.add("01012345678")
    result = world.send(world.job(world.campaign("cmp1", BRAND_AD), "c1"))
    assert result.state == "sent" and world.ledger.records[result.send_id].fallback_planned
    [sent] = world.emulator.outbox
    assert sent["fallback"] and is_labelled_ad_sms(sent["text"])
    assert sent["text"].startswith("(광고)도그데이몰")


def test_a_brand_message_without_sms_consent_has_no_fallback() -> None:
    world = World()
    world.customer("c1", consents=("kakao",))
    world.emulator.non_kakao.add("01012345678")
    result = world.send(world.job(world.campaign("cmp1", BRAND_AD), "c1"))
    assert result.state == "sent" and not world.ledger.records[result.send_id].fallback_planned
    assert world.emulator.outbox == []


def test_brand_message_targeting_m_without_approval_is_refused_with_1028() -> None:
    world = World()
    world.customer("c1", channel_friend=False)
    world.stores.stores["dogday-mall"] = world.stores.stores["dogday-mall"].model_copy(
        update={"mn_targeting_approved": True}  # Nudge was told it is approved; Kakao says otherwise
    )
    result = world.send(world.job(world.campaign("cmp1", {**BRAND_AD, "targeting": "M"}), "c1"))
    assert (result.state, result.code) == ("failed", "1028")


def test_a_kakao_ad_at_night_is_blocked_by_kakao_with_3022_when_it_slips_through() -> None:
    world = World(now=datetime(2026, 3, 18, 20, 55, tzinfo=KST))
    world.customer("c1")
    result = world.send(world.job(world.campaign("cmp1", BRAND_AD), "c1"))
    assert result.state == "deferred"  # Nudge's own rule defers it: 20:50-08:00 for brand messages
    assert world.emulator.requests == []


def test_solapi_sends_with_its_hmac_authorization_and_correlation_field() -> None:
    world = World()
    world.customer("c1", store_id="maple-goods")
    result = world.send(
        world.job(world.campaign("cmp1", SMS_AD, store_id="maple-goods"), "c1", store_id="maple-goods")
    )
    assert result.state == "sent"
    [sent] = world.emulator.outbox
    assert sent["provider"] == "solapi" and sent["custom"] == {"nudge_send": result.send_id}
    assert sent["text"].startswith("(광고)메이플굿즈")


def test_a_wrong_solapi_secret_is_refused_by_the_gateway() -> None:
    world = World()
    world.customer("c1", store_id="maple-goods")
    world.secrets.secrets[("maple-goods", "solapi-api-secret")] = "wrong"
    result = world.send(
        world.job(world.campaign("cmp1", SMS_AD, store_id="maple-goods"), "c1", store_id="maple-goods")
    )
    assert (result.state, result.code) == ("failed", "InvalidAPIKey")
    assert world.ledger.records[result.send_id].state is State.FAILED


def test_one_ad_per_promotion_group_per_day_counts_what_the_ledger_sent() -> None:
    world = World()
    world.customer("c1")
    message = {**SMS_AD, "promotion_group": "dogday"}
    world.send(world.job(world.campaign("cmp1", message), "c1"))
    second = world.send(world.job(world.campaign("cmp2", message), "c1"))
    assert (second.state, second.reasons) == ("suppressed", ("frequency_cap",))
    assert len(world.emulator.outbox) == 1
    assert world.ledger.recent_calls == 2
