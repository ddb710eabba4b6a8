"""Who may receive a Kakao ad (M/N/I, FriendTalk friends only) and the age gate.

Sources: seed 002 (IFDO brand-message notice); NHN friendtalkupgrade-overview / api-guide (M/N eligibility,
gateway code 1028); NHN friendtalk-overview; seed 000 (age gate: youth-harmful content only to
age-verified adults); compliance-rules.md "Targeting for brand messages", "Formats" (age gate).
"""

from datetime import UTC, datetime

import pytest

from compliance import Consent, Outcome, Reason, decide, validate_message

from .helpers import GRANTED, STORE, ad_sms, alimtalk, brand, kst, recipient, store

NOON = kst(12)
NOT_APPROVED = store(mn_targeting_approved=False)
WITHDRAWN = Consent(granted_at=datetime(2025, 1, 1, tzinfo=UTC), source="s", withdrawn_at=kst(8))

# (rule id, targeting, channel friend?, kakao consent, store, expected outcome, expected reasons)
TARGETING = [
    ("I_channel_friend_without_consent", "I", True, None, STORE, Outcome.SEND, (Reason.CHANNEL_FRIEND,)),
    ("I_not_channel_friend", "I", False, GRANTED, STORE, Outcome.SUPPRESS, (Reason.NOT_CHANNEL_FRIEND,)),
    ("I_default_when_unset", None, False, GRANTED, STORE, Outcome.SUPPRESS, (Reason.NOT_CHANNEL_FRIEND,)),
    ("M_consent_friend", "M", True, GRANTED, STORE, Outcome.SEND, (Reason.CONSENT,)),
    ("M_consent_not_friend", "M", False, GRANTED, STORE, Outcome.SEND, (Reason.CONSENT,)),
    ("M_no_consent", "M", True, None, STORE, Outcome.SUPPRESS, (Reason.NO_CONSENT,)),
    ("M_consent_withdrawn", "M", False, WITHDRAWN, STORE, Outcome.SUPPRESS, (Reason.CONSENT_WITHDRAWN,)),
    (
        "M_channel_not_approved",
        "M",
        False,
        GRANTED,
        NOT_APPROVED,
        Outcome.SUPPRESS,
        (Reason.TARGETING_NOT_APPROVED,),
    ),
    (
        "M_without_080_number",
        "M",
        False,
        GRANTED,
        store(optout_080_number=None),
        Outcome.SUPPRESS,
        (Reason.MISSING_OPTOUT_NUMBER,),
    ),
    ("N_consent_not_friend", "N", False, GRANTED, STORE, Outcome.SEND, (Reason.CONSENT,)),
    ("N_is_channel_friend", "N", True, GRANTED, STORE, Outcome.SUPPRESS, (Reason.IS_CHANNEL_FRIEND,)),
    ("N_no_consent", "N", False, None, STORE, Outcome.SUPPRESS, (Reason.NO_CONSENT,)),
    (
        "N_channel_not_approved",
        "N",
        False,
        GRANTED,
        NOT_APPROVED,
        Outcome.SUPPRESS,
        (Reason.TARGETING_NOT_APPROVED,),
    ),
]


@pytest.mark.parametrize(
    ("rule", "targeting", "friend", "kakao", "settings", "outcome", "reasons"),
    TARGETING,
    ids=[t[0] for t in TARGETING],
)
def test_brand_message_targeting(
    rule: str,
    targeting: str | None,
    friend: bool,
    kakao: Consent | None,
    settings: object,
    outcome: Outcome,
    reasons: tuple[Reason, ...],
) -> None:
    """I: channel friends, no marketing consent needed. M: marketing consent, friend or not, channel
    approved for M/N (else gateway 1028). N: M minus channel friends."""
    consents = {"kakao": kakao} if kakao else {}
    decision = decide(
        brand(targeting=targeting), recipient(consents=consents, channel_friend=friend), settings, NOON
    )
    assert decision.outcome is outcome, rule
    assert decision.reasons == reasons
    if outcome is Outcome.SEND:
        assert decision.content is not None and decision.content.targeting == (targeting or "I")


def test_targeting_not_approved_is_caught_before_scheduling() -> None:
    problems = validate_message(brand(targeting="M"), NOT_APPROVED)
    assert [(p.field, p.code) for p in problems] == [("targeting", Reason.TARGETING_NOT_APPROVED)]


@pytest.mark.parametrize(
    ("friend", "outcome"), [(True, Outcome.SEND), (False, Outcome.SUPPRESS)], ids=["friend", "not_friend"]
)
def test_friendtalk_channel_friends_only(friend: bool, outcome: Outcome) -> None:
    """Legacy FriendTalk reaches channel friends only (seed 000; NHN friendtalk-overview)."""
    message = brand().model_copy(update={"channel": "friendtalk"})
    decision = decide(message, recipient(channel_friend=friend), STORE, NOON)
    assert decision.outcome is outcome
    if not friend:
        assert decision.reasons == (Reason.NOT_CHANNEL_FRIEND,)


AGE = [
    ("adult_only_ad_to_verified_adult", ad_sms(adult_only=True), True, Outcome.SEND),
    ("adult_only_ad_to_unverified", ad_sms(adult_only=True), False, Outcome.SUPPRESS),
    ("adult_only_brand_message_to_unverified", brand(adult_only=True), False, Outcome.SUPPRESS),
    ("adult_only_informational_to_unverified", alimtalk(adult_only=True), False, Outcome.SUPPRESS),
    ("general_content_to_unverified", ad_sms(), False, Outcome.SEND),
]


@pytest.mark.parametrize(("rule", "message", "verified", "outcome"), AGE, ids=[a[0] for a in AGE])
def test_age_gate(rule: str, message: object, verified: bool, outcome: Outcome) -> None:
    """Youth-harmful content goes only to age-verified adults (seed 000; code `age_gate`)."""
    who = recipient(age_verified=verified, variables={"고객명": "a", "송장번호": "1"})
    decision = decide(message, who, STORE, NOON)
    assert decision.outcome is outcome, rule
    if outcome is Outcome.SUPPRESS:
        assert Reason.AGE_GATE in decision.reasons


def test_every_blocking_reason_is_recorded() -> None:
    """Explainable: an unverified recipient without consent is suppressed for both reasons."""
    decision = decide(ad_sms(adult_only=True), recipient(consents={}), STORE, NOON)
    assert decision.reasons == (Reason.AGE_GATE, Reason.NO_CONSENT)
