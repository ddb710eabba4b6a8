"""Properties over random recipients, messages, stores and instants (hypothesis).

- no advertising decision is "send now" inside its night window without the consent that allows it
  (정보통신망법 §50 ③; Kakao 3022);
- every ad SMS/LMS that is sent starts with "(광고)" + the store name and ends with a free 080 line
  (§50 ④⑥, 별표6; NHN ad-SMS validation);
- no SMS over 90 bytes, no LMS over 2,000 bytes, counted in EUC-KR (NHN-SMS api-guide);
- a deferral is always to an allowed instant, never earlier than the request, never past the validity;
- nothing is sent to a recipient the consent / targeting rules exclude.
"""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance import (
    AdBudget,
    Consent,
    Decision,
    Message,
    Outcome,
    Reason,
    RecentSend,
    Recipient,
    StoreSettings,
    consent_state,
    decide,
    is_labelled_ad_sms,
    night_window,
    sms_bytes,
)
from compliance.quiet_hours import in_window

BASE = datetime(2026, 6, 20, 0, 0, tzinfo=UTC)
ZONES = ("Asia/Seoul", "America/New_York", "Europe/Berlin", "Australia/Sydney", "UTC")
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

instants = st.one_of(
    st.integers(0, 14 * 86_400).map(lambda s: BASE + timedelta(seconds=s)),
    # near the window edges, any zone: whole hours ± a few seconds
    st.tuples(st.integers(0, 14 * 24), st.sampled_from((-601, -600, -1, 0, 1, 599, 600, 3000, 3001))).map(
        lambda hs: BASE + timedelta(hours=hs[0], seconds=hs[1])
    ),
)
maybe_instant = st.one_of(st.none(), instants)
# validity ends: the simplest example is the latest (the shrinker moves towards it), any instant possible
validity_ends = st.integers(0, 16 * 86_400).map(lambda s: BASE + timedelta(days=16) - timedelta(seconds=s))


GOOD_CONSENT = Consent(granted_at=BASE - timedelta(days=400), source="signup")


@st.composite
def consents(draw: st.DrawFn) -> Consent | None:
    """Mostly a valid opt-in (so that sends happen and their content is checked), else anything."""
    kind = draw(st.sampled_from(("good", "good", "good", "none", "random")))
    if kind == "good":
        return GOOD_CONSENT
    if kind == "none":
        return None
    return Consent(
        granted_at=draw(maybe_instant),
        source=draw(st.sampled_from(("", "signup"))),
        withdrawn_at=draw(maybe_instant),
    )


@st.composite
def recipients(draw: st.DrawFn) -> Recipient:
    chosen = {channel: draw(consents()) for channel in ("sms", "kakao", "push", "email")}
    sends = draw(
        st.lists(
            st.builds(RecentSend, instants, st.sampled_from((None, "dogday", "summer")), st.booleans()),
            max_size=4,
        )
    )
    return Recipient(
        key=draw(st.text(alphabet="abcdef0123456789-", min_size=1, max_size=12)),
        consents={k: v for k, v in chosen.items() if v is not None},
        night_consent=draw(consents()),
        channel_friend=draw(st.booleans()),
        age_verified=draw(st.booleans()),  # with adult_only rarely set
        recent_sends=tuple(sends),
        variables={"name": draw(st.text(alphabet="가나다똠abc 123", max_size=8))},
    )


hangul_ascii = st.text(
    alphabet="가나다라마바사아자차카타파하똠뷁 abcxyz0123456789!?.,%\n", min_size=1, max_size=700
)


ALL_CHANNELS = ("sms", "sms", "brand_message", "friendtalk", "push", "email")
rarely = st.sampled_from((False, False, False, True))


@st.composite
def messages(draw: st.DrawFn, channels: tuple[str, ...] = ALL_CHANNELS) -> Message:
    channel = draw(st.sampled_from(channels))
    content = draw(hangul_ascii)
    if draw(st.booleans()):
        content = "#{name}님 " + content
    return Message(
        message_class="advertising",
        channel=channel,
        content=content,
        format=draw(st.sampled_from(("AUTO", "SMS", "LMS"))) if channel == "sms" else None,
        title=draw(st.one_of(st.none(), st.text(alphabet="가나다ab", max_size=24)))
        if channel == "sms"
        else None,
        targeting=draw(st.sampled_from((None, "I", "M", "N"))) if channel == "brand_message" else None,
        promotion_group=draw(st.sampled_from((None, "dogday", "summer"))),
        adult_only=draw(rarely),
        valid_until=draw(st.one_of(st.none(), validity_ends)),
        on_quiet_hours=draw(st.sampled_from(("defer", "defer", "drop"))),
    )


@st.composite
def stores(draw: st.DrawFn) -> StoreSettings:
    return StoreSettings(
        name=draw(st.sampled_from(("멍멍몰", "OO몰", "Dog Day Shop", "가" * 20))),
        # hypothesis favours the first element: the complete store comes first, the missing number last
        contact_phone=draw(st.sampled_from(("02-1234-5678", "1588-0000", "02-1234-5678", None))),
        optout_080_number=draw(st.sampled_from(("080-123-4567", "0801234567", "080-1234-5678", None))),
        mn_targeting_approved=draw(st.booleans()),
        timezone=draw(st.sampled_from(ZONES)),
        ad_budget=draw(st.sampled_from((AdBudget(), AdBudget(per_day=1), AdBudget(per_day=2, per_week=3)))),
        existing_customer_exemption=draw(st.booleans()),
    )


def _night_allowed(decision: Decision, message: Message, recipient: Recipient, at: datetime) -> bool:
    window = night_window(message.channel, True)
    return (
        window is not None
        and window.consent_exception
        and consent_state(recipient.night_consent, at) is Reason.CONSENT
        and Reason.NIGHT_CONSENT in decision.reasons
    )


@PROPERTY_SETTINGS
@given(messages(), recipients(), stores(), instants)
def test_no_ad_is_sent_inside_its_night_window_without_night_consent(
    message: Message, recipient: Recipient, store: StoreSettings, at: datetime
) -> None:
    decision = decide(message, recipient, store, at)
    window = night_window(message.channel, True)
    if decision.outcome is Outcome.SEND and window is not None and in_window(at, store.zone, window):
        assert _night_allowed(decision, message, recipient, at)
        assert message.channel in ("sms", "push")  # Kakao's window has no exception


@PROPERTY_SETTINGS
@given(messages(), recipients(), stores(), instants)
def test_sent_ads_have_a_basis_the_law_accepts(
    message: Message, recipient: Recipient, store: StoreSettings, at: datetime
) -> None:
    decision = decide(message, recipient, store, at)
    if decision.outcome is Outcome.SUPPRESS:
        assert decision.reasons and decision.content is None
        return
    assert not message.adult_only or recipient.age_verified
    kakao = recipient.consents.get("kakao")
    if message.channel == "friendtalk" or (
        message.channel == "brand_message" and message.targeting in (None, "I")
    ):
        assert recipient.channel_friend and consent_state(kakao, at) is not Reason.CONSENT_WITHDRAWN
    elif message.channel == "brand_message":
        assert store.mn_targeting_approved and consent_state(kakao, at) is Reason.CONSENT
        assert message.targeting == "M" or not recipient.channel_friend
    else:
        own = consent_state(recipient.consents.get(message.channel), at)
        assert own is Reason.CONSENT or (
            own is Reason.NO_CONSENT and decision.reasons[0] is Reason.EXEMPT_EXISTING_CUSTOMER
        )


@PROPERTY_SETTINGS
@given(messages(channels=("sms",)), recipients(), stores(), instants)
def test_every_sent_ad_sms_is_labelled_and_within_its_byte_limit(
    message: Message, recipient: Recipient, store: StoreSettings, at: datetime
) -> None:
    decision = decide(message, recipient, store, at)
    content = decision.content
    if content is None or message.channel != "sms":
        return
    assert store.optout_080_number is not None and store.contact_phone
    text = content.text
    assert text.startswith(f"(광고){store.name}")
    assert text.endswith(f"무료수신거부 {store.optout_080_number}")
    assert is_labelled_ad_sms(text)
    size = sms_bytes(text)
    assert size is not None and size == content.byte_length
    if content.kind == "SMS":
        assert size <= 90 and content.title is None
    else:
        assert content.kind in ("LMS", "MMS") and size <= 2_000
        assert content.title is None or (sms_bytes(content.title) or 0) <= 40


@PROPERTY_SETTINGS
@given(messages(), recipients(), stores(), instants)
def test_a_deferral_is_to_an_allowed_instant_never_earlier(
    message: Message, recipient: Recipient, store: StoreSettings, at: datetime
) -> None:
    decision = decide(message, recipient, store, at)
    assert decision.requested_at == at
    if decision.outcome is not Outcome.DEFER:
        assert decision.outcome is Outcome.SUPPRESS or decision.send_at == at
        return
    send_at = decision.send_at
    assert send_at is not None and send_at.tzinfo is not None and send_at > at
    window = night_window(message.channel, True)
    if window is not None:
        assert not in_window(send_at, store.zone, window)
    deadline = message.valid_until
    assert deadline is None or send_at <= deadline
    assert send_at - at < timedelta(days=9)
    # the same question asked again gives the same answer (a retry lands on the same instant)
    assert decide(message, recipient, store, at) == decision
