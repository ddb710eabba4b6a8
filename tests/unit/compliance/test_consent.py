"""Consent per channel, its withdrawal, the existing-customer exemption, and the lifecycle notices.

Sources: 정보통신망법 §50 ①② (opt-in, withdrawal), ① 1 + 시행령 §61 ① (existing customer), ⑦ + 시행령
§62-2 (14-day result notice), ⑧ + 시행령 §62-3 (2-year re-confirmation); compliance-rules.md "Consent".
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from compliance import (
    Consent,
    ExistingCustomer,
    Outcome,
    Reason,
    decide,
    reconfirmation_deadline,
    reconfirmation_notice,
    reconfirmation_notice_due,
    result_notice,
    result_notice_deadline,
    validate_message,
)

from .helpers import GRANTED, SEOUL, STORE, ad_sms, brand, kst, recipient, store

NOW = kst(12)
WITHDRAWN = Consent(granted_at=datetime(2025, 1, 2, tzinfo=UTC), source="signup", withdrawn_at=kst(9))
REGRANTED = Consent(granted_at=kst(10), source="mypage", withdrawn_at=kst(9))
NO_SOURCE = Consent(granted_at=datetime(2025, 1, 2, tzinfo=UTC), source="")
FUTURE = Consent(granted_at=kst(13), source="signup")

# (rule id, consents on the channel, expected outcome, expected reason)
CONSENT_CASES = [
    ("opt_in_recorded_allows_the_ad", GRANTED, Outcome.SEND, Reason.CONSENT),
    ("no_record_is_no_consent", None, Outcome.SUPPRESS, Reason.NO_CONSENT),
    ("opt_in_without_source_is_no_consent", NO_SOURCE, Outcome.SUPPRESS, Reason.NO_CONSENT),
    ("opt_in_after_the_send_is_no_consent", FUTURE, Outcome.SUPPRESS, Reason.NO_CONSENT),
    ("withdrawal_stops_the_ad", WITHDRAWN, Outcome.SUPPRESS, Reason.CONSENT_WITHDRAWN),
    ("opt_in_after_withdrawal_counts_again", REGRANTED, Outcome.SEND, Reason.CONSENT),
]


@pytest.mark.parametrize(
    ("rule", "consent", "outcome", "reason"), CONSENT_CASES, ids=[c[0] for c in CONSENT_CASES]
)
@pytest.mark.parametrize("channel", ["sms", "push", "email"])
def test_consent_per_channel(
    rule: str, consent: Consent | None, outcome: Outcome, reason: Reason, channel: str
) -> None:
    """§50 ①: an ad needs the recipient's prior opt-in for that channel, with its date and source."""
    consents = {c: GRANTED for c in ("sms", "push", "email", "kakao") if c != channel}
    if consent is not None:
        consents[channel] = consent
    message = ad_sms() if channel == "sms" else ad_sms().model_copy(update={"channel": channel})
    decision = decide(message, recipient(consents=consents), STORE, NOW)
    assert decision.outcome is outcome, rule
    assert reason in decision.reasons


def test_consent_for_another_channel_does_not_count() -> None:
    """Consent is per medium: Kakao consent does not allow an ad SMS."""
    decision = decide(ad_sms(), recipient(consents={"kakao": GRANTED}), STORE, NOW)
    assert decision.outcome is Outcome.SUPPRESS and decision.reasons == (Reason.NO_CONSENT,)


def test_consent_withdrawn_stops_already_scheduled_ads() -> None:
    """§50 ②: a withdrawal stops every ad at once, including one deferred earlier (re-decided when due)."""
    night = kst(22)
    first = decide(ad_sms(), recipient(), STORE, night)
    assert first.outcome is Outcome.DEFER and first.send_at is not None
    withdrawn = Consent(granted_at=GRANTED.granted_at, source="signup", withdrawn_at=kst(23))
    again = decide(ad_sms(), recipient(consents={"sms": withdrawn}), STORE, first.send_at)
    assert again.outcome is Outcome.SUPPRESS and again.reasons == (Reason.CONSENT_WITHDRAWN,)


def test_consent_withdrawn_stops_kakao_ads_to_channel_friends() -> None:
    """A consent withdrawn in the store stops brand messages too, even for targeting I."""
    withdrawn = recipient(consents={"kakao": WITHDRAWN}, channel_friend=True)
    decision = decide(brand(targeting="I"), withdrawn, STORE, NOW)
    assert decision.outcome is Outcome.SUPPRESS and decision.reasons == (Reason.CONSENT_WITHDRAWN,)


BUYER = ExistingCustomer(transaction_ended_at=kst(12, month=3, day=1), goods_kinds=frozenset({"pet-food"}))
EXEMPTION_CASES = [
    # (rule id, store setting on, goods kind, recipient's customer record, at, expected outcome)
    ("off_by_default", False, "pet-food", BUYER, NOW, Outcome.SUPPRESS),
    ("same_goods_within_6_months", True, "pet-food", BUYER, NOW, Outcome.SEND),
    ("last_day_of_6_months", True, "pet-food", BUYER, kst(12, month=9, day=1), Outcome.SEND),
    ("after_6_months", True, "pet-food", BUYER, kst(12, month=9, day=2), Outcome.SUPPRESS),
    ("other_goods", True, "pet-toys", BUYER, NOW, Outcome.SUPPRESS),
    (
        "contact_not_from_a_transaction",
        True,
        "pet-food",
        ExistingCustomer(
            transaction_ended_at=BUYER.transaction_ended_at,
            goods_kinds=BUYER.goods_kinds,
            contact_from_transaction=False,
        ),
        NOW,
        Outcome.SUPPRESS,
    ),
    ("no_purchase", True, "pet-food", None, NOW, Outcome.SUPPRESS),
]


@pytest.mark.parametrize(
    ("rule", "enabled", "goods", "customer", "at", "outcome"),
    EXEMPTION_CASES,
    ids=[c[0] for c in EXEMPTION_CASES],
)
def test_exempt_existing_customer(
    rule: str, enabled: bool, goods: str, customer: ExistingCustomer | None, at: datetime, outcome: Outcome
) -> None:
    """§50 ① 1, 시행령 §61 ①: contact collected through a purchase, same kind of goods, within 6 months after
    the transaction. A store setting, off by default; recorded as the send's reason."""
    who = recipient(consents={}, existing_customer=customer)
    decision = decide(ad_sms(goods_kind=goods), who, store(existing_customer_exemption=enabled), at)
    assert decision.outcome is outcome, rule
    if outcome is Outcome.SEND:
        assert decision.reasons == (Reason.EXEMPT_EXISTING_CUSTOMER,)
    else:
        assert decision.reasons == (Reason.NO_CONSENT,)


def test_exemption_never_overrides_a_withdrawal() -> None:
    """§50 ②: a customer who refused gets no ad, exemption or not."""
    who = recipient(consents={"sms": WITHDRAWN}, existing_customer=BUYER)
    decision = decide(ad_sms(goods_kind="pet-food"), who, store(existing_customer_exemption=True), NOW)
    assert decision.reasons == (Reason.CONSENT_WITHDRAWN,)


def test_exemption_does_not_replace_night_consent() -> None:
    """The exemption covers §50 ① only: at night the separate consent of §50 ③ is still needed."""
    who = recipient(consents={}, existing_customer=BUYER)
    decision = decide(ad_sms(goods_kind="pet-food"), who, store(existing_customer_exemption=True), kst(22))
    assert decision.outcome is Outcome.DEFER
    assert decision.reasons == (Reason.EXEMPT_EXISTING_CUSTOMER, Reason.QUIET_HOURS)


# --- Lifecycle ---------------------------------------------------------------------------------------------

RECONFIRM_CASES = [
    (
        "two_years_from_consent",
        Consent(granted_at=kst(15, day=10, month=3).replace(year=2024), source="s"),
        date(2026, 3, 10),
    ),
    (
        "restarts_at_reconfirmation",
        Consent(
            granted_at=datetime(2022, 5, 1, tzinfo=UTC),
            source="s",
            reconfirmed_at=datetime(2024, 5, 1, 3, tzinfo=UTC),
        ),
        date(2026, 5, 1),
    ),
    (
        "leap_day_falls_back",
        Consent(granted_at=datetime(2024, 2, 29, 3, tzinfo=UTC), source="s"),
        date(2026, 2, 28),
    ),
    (
        "store_zone_date",
        Consent(granted_at=datetime(2024, 6, 30, 16, tzinfo=UTC), source="s"),
        date(2026, 7, 1),
    ),
]


@pytest.mark.parametrize(
    ("rule", "consent", "deadline"), RECONFIRM_CASES, ids=[c[0] for c in RECONFIRM_CASES]
)
def test_reconfirmation_every_two_years(rule: str, consent: Consent, deadline: date) -> None:
    """§50 ⑧, 시행령 §62-3 ①: re-confirm every 2 years from the consent date (same calendar date)."""
    assert reconfirmation_deadline(consent, SEOUL) == deadline, rule
    day_before_window = datetime.combine(deadline - timedelta(days=31), datetime.min.time(), SEOUL)
    assert not reconfirmation_notice_due(consent, day_before_window, SEOUL)
    assert reconfirmation_notice_due(consent, day_before_window + timedelta(days=1), SEOUL)


def test_reconfirmation_not_due_for_a_withdrawn_consent() -> None:
    assert reconfirmation_deadline(WITHDRAWN, SEOUL) is None
    assert not reconfirmation_notice_due(WITHDRAWN, NOW, SEOUL)


def test_reconfirmation_notice_says_what_the_decree_requires() -> None:
    """시행령 §62-3 ②: sender name, the fact and date of consent, how to keep or withdraw it — as an
    informational message that passes validation and is sent at any hour."""
    consent = Consent(granted_at=datetime(2024, 7, 1, 1, tzinfo=UTC), source="signup")
    notice = reconfirmation_notice(STORE, "sms", consent)
    text = notice.content
    assert "멍멍몰" in text and "2024년 7월 1일" in text and "동의" in text
    assert "유지" in text and "철회" in text and "080-123-4567" in text
    assert notice.message_class == "informational"
    assert validate_message(notice, STORE) == []
    decision = decide(notice, recipient(consents={}), STORE, kst(23, 30))
    assert decision.outcome is Outcome.SEND and decision.reasons == (Reason.INFORMATIONAL,)


@pytest.mark.parametrize(
    ("action", "words"),
    [("opt_in", "수신동의 처리"), ("opt_out", "수신거부 처리"), ("withdrawal", "수신동의 철회 처리")],
    ids=["opt_in", "opt_out", "withdrawal"],
)
def test_result_notice_within_14_days(action: str, words: str) -> None:
    """§50 ⑦, 시행령 §62-2: the result within 14 days (Nudge: at once), with sender name, the date of the
    request and the result."""
    requested = kst(23, 10, day=20)
    notice = result_notice(STORE, "kakao", action, requested, kst(9, day=21))
    assert "멍멍몰" in notice.content and "2026년 6월 20일" in notice.content and words in notice.content
    assert validate_message(notice, STORE) == []
    assert result_notice_deadline(requested, SEOUL) == date(2026, 7, 4)
    decision = decide(notice, recipient(consents={}), STORE, kst(23, 30))
    assert decision.outcome is Outcome.SEND
