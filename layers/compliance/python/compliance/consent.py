"""Consent per channel, its withdrawal, the existing-customer exemption, and the consent lifecycle notices.

Sources: 정보통신망법 §50 ① (prior opt-in), ① 1 + 시행령 §61 ① (existing customer, same kind of goods,
6 months), ② (refusal / withdrawal stops sending), ③ (separate night-time consent), ⑦ + 시행령 §62-2
(result notice within 14 days), ⑧ + 시행령 §62-3 (re-confirmation every 2 years).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from compliance.reasons import Reason

ConsentChannel = Literal["sms", "kakao", "push", "email"]
CONSENT_CHANNELS: tuple[str, ...] = ("sms", "kakao", "push", "email")
CHANNEL_NAMES: dict[str, str] = {
    "sms": "문자(SMS/LMS)",
    "kakao": "카카오톡",
    "push": "앱 푸시",
    "email": "이메일",
}

EXISTING_CUSTOMER_MONTHS = 6  # 시행령 §61 ①
RESULT_NOTICE_DAYS = 14  # 시행령 §62-2
RECONFIRM_YEARS = 2  # §50 ⑧, 시행령 §62-3 ①
RECONFIRM_LEAD_DAYS = 30  # Nudge sends the notice this many days before the anniversary


@dataclass(frozen=True, slots=True)
class Consent:
    """One recorded answer to "may we send you ads on this channel?" (or, for night consent, at night)."""

    granted_at: datetime | None = None  # the opt-in instant; None = never opted in
    source: str = ""  # where it was given ("signup-form", "checkout", "kakao-sync" …); required
    withdrawn_at: datetime | None = None  # refusal or withdrawal; a later opt-in re-grants
    reconfirmed_at: datetime | None = None  # the last 2-year re-confirmation, restarts the cycle


@dataclass(frozen=True, slots=True)
class ExistingCustomer:
    """What the existing-customer exemption needs: contact from a transaction, its end, the goods bought."""

    transaction_ended_at: datetime
    goods_kinds: frozenset[str]
    contact_from_transaction: bool = True


def consent_state(consent: Consent | None, at: datetime) -> Reason:
    """CONSENT, NO_CONSENT or CONSENT_WITHDRAWN at this instant.

    A withdrawal stops every ad at once, scheduled ones included, whatever instant the ad was meant for; an
    opt-in counts only with its date and source, and only from its date on.
    """
    if consent is None:
        return Reason.NO_CONSENT
    granted, withdrawn = consent.granted_at, consent.withdrawn_at
    if withdrawn is not None and (granted is None or withdrawn >= granted):
        return Reason.CONSENT_WITHDRAWN
    if granted is None or not consent.source or granted > at:
        return Reason.NO_CONSENT
    return Reason.CONSENT


def add_months(day: date, months: int) -> date:
    """The same day-of-month `months` later, clamped to the month's end (Aug 31 + 6 → Feb 28/29)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def exemption_applies(
    customer: ExistingCustomer | None, goods_kind: str | None, at: datetime, zone: ZoneInfo, enabled: bool
) -> bool:
    """The existing-customer exemption (off unless the store enables it): contact collected through a
    transaction, an ad for the same kind of goods, within 6 months after the transaction ended."""
    if not enabled or customer is None or goods_kind is None or not customer.contact_from_transaction:
        return False
    if goods_kind not in customer.goods_kinds:
        return False
    ended = customer.transaction_ended_at.astimezone(zone).date()
    return customer.transaction_ended_at <= at and at.astimezone(zone).date() <= add_months(
        ended, EXISTING_CUSTOMER_MONTHS
    )


# --- Lifecycle: 14-day result notice, 2-year re-confirmation ----------------------------------------------


def result_notice_deadline(requested_at: datetime, zone: ZoneInfo) -> date:
    """The last store-zone date the opt-in / opt-out / withdrawal result may be notified (Nudge: at once)."""
    return requested_at.astimezone(zone).date() + timedelta(days=RESULT_NOTICE_DAYS)


def reconfirmation_deadline(consent: Consent, zone: ZoneInfo) -> date | None:
    """The anniversary by which consent must be re-confirmed: the same calendar date 2 years after the
    consent (or its last re-confirmation); Feb 29 falls back to Feb 28. None without a live consent."""
    start = consent.reconfirmed_at or consent.granted_at
    if start is None or (consent.withdrawn_at is not None and consent.withdrawn_at >= start):
        return None
    return add_months(start.astimezone(zone).date(), 12 * RECONFIRM_YEARS)


def reconfirmation_notice_due(
    consent: Consent, at: datetime, zone: ZoneInfo, lead_days: int = RECONFIRM_LEAD_DAYS
) -> bool:
    """True from `lead_days` before the anniversary on (and after it, if it was missed), while the consent
    is live and not yet re-confirmed for this cycle."""
    deadline = reconfirmation_deadline(consent, zone)
    if deadline is None:
        return False
    return at.astimezone(zone).date() >= deadline - timedelta(days=lead_days)


def _korean_date(day: date) -> str:
    return f"{day.year}년 {day.month}월 {day.day}일"


def reconfirmation_text(
    store_name: str, channel: str, consent_at: datetime, zone: ZoneInfo, keep: str, withdraw: str
) -> str:
    """The 2-year notice (시행령 §62-3 ②): sender name, the fact and date of consent, how to keep or
    withdraw it. `keep` and `withdraw` are the store's own instructions: the decree does not say what
    silence means, so the store decides and says it."""
    day = _korean_date(consent_at.astimezone(zone).date())
    return (
        f"[{store_name}] 광고성 정보 수신동의 여부 확인 안내\n"
        f"고객님께서는 {day}에 {store_name}의 {CHANNEL_NAMES.get(channel, channel)} 광고성 정보 수신에 "
        f"동의하셨습니다.\n"
        f"정보통신망법 제50조 제8항에 따라 2년마다 수신동의 여부를 확인해 드립니다.\n"
        f"- 유지: {keep}\n"
        f"- 철회: {withdraw}"
    )


ResultAction = Literal["opt_in", "opt_out", "withdrawal"]
_ACTION_WORDS: dict[str, tuple[str, str]] = {
    "opt_in": ("수신동의", "수신동의 처리되었습니다"),
    "opt_out": ("수신거부", "수신거부 처리되었습니다"),
    "withdrawal": ("수신동의 철회", "수신동의 철회 처리되었습니다"),
}


def result_text(
    store_name: str, channel: str, action: str, requested_at: datetime, processed_at: datetime, zone: ZoneInfo
) -> str:
    """The result notice (시행령 §62-2): sender name, the fact and date of the request, the result."""
    what, result = _ACTION_WORDS[action]
    return (
        f"[{store_name}] 광고성 정보 {what} 결과 안내\n"
        f"요청일: {_korean_date(requested_at.astimezone(zone).date())}\n"
        f"고객님의 {CHANNEL_NAMES.get(channel, channel)} 광고성 정보 {what} 요청이 "
        f"{_korean_date(processed_at.astimezone(zone).date())}자로 {result}."
    )
