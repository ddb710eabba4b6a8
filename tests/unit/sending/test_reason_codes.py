"""Every reason code Nudge stores or reports has its meaning in English and in Korean, and no code's string
ever changes (they are stored in the send ledger, the journeys table and campaign runs)."""

import re

import pytest

from compliance.reasons import Reason
from nudge.reports.why import explain
from nudge.sending.reasons import MEANINGS, Meaning, NudgeReason, detailed, meaning
from tests.unit.sending.world import SMS_AD, World

# The stored strings, as they are: add a code here when one is added, never change or remove one.
COMPLIANCE_CODES = [
    "informational",
    "consent",
    "exempt_existing_customer",
    "channel_friend",
    "night_consent",
    "no_consent",
    "consent_withdrawn",
    "not_channel_friend",
    "is_channel_friend",
    "targeting_not_approved",
    "age_gate",
    "missing_optout_number",
    "missing_sender_contact",
    "quiet_hours",
    "expired",
    "frequency_cap",
    "over_budget",
    "invalid_message",
    "promotional_content_in_informational",
    "invalid_ad_label",
    "unsupported_character",
    "too_long",
    "too_many",
    "too_few",
    "template_not_approved",
    "alimtalk_not_informational",
    "variable_in_button_name",
    "missing_variable",
    "channel_add_button_first",
    "invalid_coupon",
    "invalid_button",
    "missing_field",
    "invalid_link",
    "unfillable_variable",
    "unknown_image",
    "invalid_image",
]
NUDGE_CODES = [
    "store_deleted",
    "source_deleted",
    "source_paused",
    "step_missing",
    "source_invalid",
    "no_profile",
    "no_phone",
    "fallback_not_offered",
    "no_gateway",
    "image_gone",
    "automation_deleted",
    "automation_paused",
    "step_removed",
    "exited",
    "suppressed",
    "unspecified",
    "unknown",
]
HANGUL = re.compile("[가-힣]")


def test_no_codes_string_ever_changes() -> None:
    assert [r.value for r in Reason] == COMPLIANCE_CODES
    assert [r.value for r in NudgeReason] == NUDGE_CODES
    assert not set(COMPLIANCE_CODES) & set(NUDGE_CODES)  # one code, one meaning


@pytest.mark.parametrize("code", [*Reason, *NudgeReason], ids=str)
def test_every_code_has_its_meaning_in_english_and_in_korean(code: str) -> None:
    text = MEANINGS[code]
    assert text.en and not HANGUL.search(text.en.replace("(광고)", ""))
    assert HANGUL.search(text.ko)
    assert meaning(code) == text


def test_the_table_tells_only_codes_that_exist() -> None:
    assert set(MEANINGS) == {*Reason, *NudgeReason}


def test_a_code_with_its_detail_is_told_by_its_kind() -> None:
    assert detailed(NudgeReason.EXITED, "purchased") == "exited:purchased"
    exited = MEANINGS[NudgeReason.EXITED]
    assert meaning("exited:purchased") == Meaning(
        f"{exited.en}: they bought something", f"{exited.ko}: 구매함"
    )
    # A detail no table words is told as it is.
    assert meaning("suppressed:quiet_hours").ko == f"{MEANINGS[NudgeReason.SUPPRESSED].ko} (quiet_hours)"


def test_every_exit_condition_is_told_in_words() -> None:
    from typing import get_args

    from nudge.automations.definitions import CUSTOMER_GONE, ExitWhen
    from nudge.sending.reasons import EXIT_DETAILS

    assert set(EXIT_DETAILS) == {*get_args(ExitWhen), CUSTOMER_GONE}
    assert meaning("3022") == Meaning("3022", "3022")  # a gateway's code: its own words


def test_why_tells_each_reason_in_english_and_in_korean() -> None:
    world = World()
    world.customer("c1", phone=None)
    result = world.send(world.job(world.campaign("cmp1", SMS_AD), "c1"))
    assert (result.state, result.reasons) == ("suppressed", ("no_phone",))
    answer = explain(None, "c1", world.ledger.records.values(), {}, lambda segment_id: False)
    [compliance] = [s for s in answer["messages"][0]["chain"] if s["step"] == "compliance"]
    assert compliance["reasons"] == [
        {"code": "no_phone", "meaning": "no phone number on the profile", "meaning_ko": "휴대폰 번호 없음"}
    ]
