"""`decide`: the one entry point. One message, one recipient, one store, one instant → send, defer or
suppress, always with the reasons that led there.

The order of the rules, each recorded in the decision's reasons:
  1. the definition itself (validated once per message; a broken one is suppressed with its problems);
  2. validity: a message past its `valid_until` is `expired`;
  3. the age gate (any class);
  4. advertising only: consent per channel or the existing-customer exemption (SMS, push, e-mail), M/N/I
     targeting or channel friendship (Kakao), the 080 number and sender contact (ad SMS);
  5. the content: variables, "(광고)" label and 080 line, SMS/LMS by EUC-KR bytes, format limits;
  6. advertising only: the night window → defer to 08:00 + spread (or drop / `expired`);
  7. advertising only: one ad per promotion group per day (`frequency_cap`), then the store's ad budget
     (`over_budget` → defer to the next day's 08:00 + spread, or suppress when the validity ends first).
A deferral is re-decided when it comes due: consent withdrawn in between stops it then.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from compliance import frequency
from compliance.consent import Consent, consent_state, exemption_applies
from compliance.content import Content, fallback_sms, render
from compliance.message import KAKAO_AD_CHANNELS, Message, prepared
from compliance.quiet_hours import DAY_START, in_window, local_instant, next_allowed_instant, spread
from compliance.reasons import Reason
from compliance.recipient import Recipient
from compliance.settings import StoreSettings
from compliance.targeting import kakao_eligibility


class Outcome(StrEnum):
    SEND = "send"
    DEFER = "defer"
    SUPPRESS = "suppress"


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reasons: tuple[Reason, ...]  # why: the send's basis, then what moved or stopped it
    requested_at: datetime  # the instant `decide` was asked about
    send_at: datetime | None = None  # send: = requested_at; defer: the allowed instant; suppress: None
    content: Content | None = None  # send / defer: the final, labelled content
    fallback: Content | None = None  # Kakao: the SMS/LMS/MMS to send if Kakao delivery fails, when lawful
    fallback_blocked: tuple[Reason, ...] = ()  # why no fallback is offered (e.g. no SMS consent)

    @property
    def is_ad(self) -> bool:
        return self.content is not None and self.content.is_ad

    def explain(self) -> str:
        when = f" at {self.send_at.isoformat()}" if self.outcome is Outcome.DEFER and self.send_at else ""
        return f"{self.outcome.value}{when}: {', '.join(self.reasons)}"


_INFORMATIONAL: tuple[Reason, ...] = (Reason.INFORMATIONAL,)
_CONSENT: tuple[Reason, ...] = (Reason.CONSENT,)
_EXEMPT: tuple[Reason, ...] = (Reason.EXEMPT_EXISTING_CUSTOMER,)


def _suppress(at: datetime, reasons: tuple[Reason, ...]) -> Decision:
    return Decision(Outcome.SUPPRESS, reasons, at)


def decide(
    message: Message,
    recipient: Recipient,
    store: StoreSettings,
    at: datetime,
    *,
    valid_until: datetime | None = None,
) -> Decision:
    """Decide one send. `at` and every instant are timezone-aware; rules run in the store's time zone.

    `valid_until` overrides the message's own validity (e.g. a campaign's end for this run).
    """
    if at.tzinfo is None:
        raise ValueError("`at` must be timezone-aware")
    prep = prepared(message)
    if prep.problems:
        return _suppress(at, (Reason.INVALID_MESSAGE, *prep.problem_reasons))
    deadline = valid_until if valid_until is not None else message.valid_until
    if deadline is not None and at > deadline:
        return _suppress(at, (Reason.EXPIRED,))
    zone = store.zone
    is_ad = prep.is_ad
    blocks: tuple[Reason, ...] = ()
    if message.adult_only and not recipient.age_verified:
        blocks = (Reason.AGE_GATE,)

    channel = message.channel
    if not is_ad:
        basis = _INFORMATIONAL
    elif channel in KAKAO_AD_CHANNELS:
        more, basis = kakao_eligibility(channel, message.targeting, recipient, store, at)
        blocks += more
    else:
        basis, more = _consent_basis(message, recipient, store, at, prep.consent_channel)
        blocks += more
        if channel == "sms":
            if store.optout_080_number is None:
                blocks += (Reason.MISSING_OPTOUT_NUMBER,)
            if not store.contact_phone:
                blocks += (Reason.MISSING_SENDER_CONTACT,)
    if blocks:
        return _suppress(at, blocks)

    content = render(message, store, recipient.variables, prep)
    if type(content) is Reason:
        return _suppress(at, (content,))
    assert isinstance(content, Content)
    if not is_ad:
        return _finish(message, recipient, store, at, at, basis, content)

    reasons = basis
    send_at = at
    window = prep.window
    if window is not None and in_window(at, zone, window):
        if window.consent_exception and consent_state(recipient.night_consent, at) is Reason.CONSENT:
            reasons += (Reason.NIGHT_CONSENT,)
        elif message.on_quiet_hours == "drop":
            return _suppress(at, (Reason.QUIET_HOURS,))
        else:
            reasons += (Reason.QUIET_HOURS,)
            send_at = next_allowed_instant(at, zone, window, recipient.key)

    sends = recipient.recent_sends
    if sends:
        day = send_at.astimezone(zone).date()
        budget = store.ad_budget
        capped, full = frequency.check(sends, message.promotion_group, budget, day, zone)
        if capped:
            return _suppress(at, (*reasons[len(basis) :], Reason.FREQUENCY_CAP))
        if full:
            free = frequency.next_budget_day(sends, budget, day, zone)
            reasons += (Reason.OVER_BUDGET,)
            send_at = local_instant(free, DAY_START, zone) + spread(recipient.key)
    if deadline is not None and send_at > deadline:
        return _suppress(at, (*reasons[len(basis) :], Reason.EXPIRED))
    return _finish(message, recipient, store, at, send_at, reasons, content)


# What a member's consent and channel friendship alone decide: `decide` refuses these whatever else is true of
# the send (its content, the hour, the member's other messages), so a campaign run may leave the member out.
PROFILE_REFUSALS: frozenset[Reason] = frozenset(
    {Reason.NO_CONSENT, Reason.CONSENT_WITHDRAWN, Reason.NOT_CHANNEL_FRIEND, Reason.IS_CHANNEL_FRIEND}
)


def screened_channel(message: Message) -> str | None:
    """The consent channel a run reads to screen members for this message (None: nothing to screen)."""
    if not message.is_ad:
        return None
    return "kakao" if message.channel in KAKAO_AD_CHANNELS else prepared(message).consent_channel


def refusal_at_targeting(
    message: Message,
    consent: Consent | None,
    channel_friend: bool,
    store: StoreSettings,
    at: datetime,
) -> Reason | None:
    """The reason `decide` would refuse this ad to a member with this consent (on `screened_channel`) and
    channel friendship at `at`, if one of PROFILE_REFUSALS; None when the send must be decided by `decide`.

    The same rules as `decide`, asked with only those two facts. A missing consent is a refusal only when
    the existing-customer exemption cannot apply to this message (it needs the store's setting and the
    message's kind of goods); a withdrawal always is (§50 ②).
    """
    channel = screened_channel(message)
    if channel is None:
        return None
    recipient = Recipient(
        key="", consents={channel: consent} if consent is not None else {}, channel_friend=channel_friend
    )
    if message.channel in KAKAO_AD_CHANNELS:
        blocks, _ = kakao_eligibility(message.channel, message.targeting, recipient, store, at)
    else:
        blocks = _consent_basis(message, recipient, store, at, channel)[1]
        exemption_possible = store.existing_customer_exemption and message.goods_kind is not None
        if blocks == (Reason.NO_CONSENT,) and exemption_possible:
            return None  # the sender, which reads the customer's purchases, decides
    return next((reason for reason in blocks if reason in PROFILE_REFUSALS), None)


def _consent_basis(
    message: Message, recipient: Recipient, store: StoreSettings, at: datetime, channel: str | None
) -> tuple[tuple[Reason, ...], tuple[Reason, ...]]:
    """(send reasons, blocking reasons) for an SMS / push / e-mail ad."""
    state = consent_state(recipient.consents.get(channel) if channel else None, at)
    if state is Reason.CONSENT:
        return _CONSENT, ()
    if state is Reason.NO_CONSENT and exemption_applies(
        recipient.existing_customer, message.goods_kind, at, store.zone, store.existing_customer_exemption
    ):
        return _EXEMPT, ()
    return (), (state,)  # a withdrawal beats the exemption (§50 ②)


def _finish(
    message: Message,
    recipient: Recipient,
    store: StoreSettings,
    at: datetime,
    send_at: datetime,
    reasons: tuple[Reason, ...],
    content: Content,
) -> Decision:
    outcome = Outcome.SEND if send_at == at else Outcome.DEFER
    if not message.fallback_sms:
        return Decision(outcome, reasons, at, send_at, content)
    fallback: Content | None = None
    blocked: tuple[Reason, ...] = ()
    if message.is_ad:  # the fallback is an ad SMS: it needs the SMS consent (or the exemption) on its own
        blocked = _consent_basis(message, recipient, store, send_at, "sms")[1]
    if not blocked:
        made = fallback_sms(message, store, recipient.variables)
        if isinstance(made, Content):
            fallback = made
        else:
            blocked = (made,)
    return Decision(outcome, reasons, at, send_at, content, fallback, blocked)
