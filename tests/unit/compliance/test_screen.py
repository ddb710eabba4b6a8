"""A campaign run's consent screen (compliance.decision.refusal_at_targeting): a member it leaves out is a
member `decide` would have refused for that very reason, whatever the rest of the send — and it leaves
out nobody the existing-customer exemption could still let through."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance import Consent, ExistingCustomer, Message, Outcome, Reason, Recipient, decide
from compliance.decision import PROFILE_REFUSALS, refusal_at_targeting, screened_channel

from .helpers import GRANTED, STORE, ad_sms, alimtalk, brand, kst, store

AT = kst(12)
WITHDRAWN = Consent(granted_at=datetime(2025, 1, 1, tzinfo=UTC), source="s", withdrawn_at=kst(8))
REFUSED_AT_SIGNUP = Consent(source="signup-form", withdrawn_at=kst(8, day=1))
LATER = Consent(granted_at=AT + timedelta(hours=1), source="checkout")

messages = st.sampled_from(
    [
        ad_sms(),
        ad_sms(goods_kind="dog-food"),
        brand(),
        brand(targeting="I"),
        brand(targeting="M"),
        brand(targeting="N"),
        brand(targeting="M", fallback_sms=True),
        Message(message_class="advertising", channel="friendtalk", content="간식 할인 쿠폰이 도착했어요!"),
        alimtalk(),
    ]
)
consents = st.sampled_from([None, GRANTED, WITHDRAWN, REFUSED_AT_SIGNUP, LATER])
stores = st.sampled_from([STORE, store(existing_customer_exemption=True), store(mn_targeting_approved=False)])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=messages, consent=consents, friend=st.booleans(), settings_=stores, bought=st.booleans())
def test_a_member_left_out_is_one_decide_refuses_for_that_reason(
    message: Message, consent: Consent | None, friend: bool, settings_, bought: bool
) -> None:
    channel = screened_channel(message)
    refusal = refusal_at_targeting(message, consent, friend, settings_, AT)
    if channel is None:
        assert refusal is None
        return
    existing = ExistingCustomer(AT - timedelta(days=30), frozenset({"dog-food"})) if bought else None
    recipient = Recipient(
        key="m1",
        consents={channel: consent} if consent else {},
        channel_friend=friend,
        existing_customer=existing,
    )
    decision = decide(message, recipient, settings_, AT)
    if refusal is not None:
        assert decision.outcome is Outcome.SUPPRESS and refusal in decision.reasons, decision.explain()
    elif decision.outcome is Outcome.SUPPRESS and set(decision.reasons) & PROFILE_REFUSALS:
        # Let through yet refused for consent: only when the exemption could have applied (the screen
        # does not read purchases; the sender does).
        assert settings_.existing_customer_exemption and message.goods_kind, decision.explain()
        assert decision.reasons == (Reason.NO_CONSENT,)


def test_an_ad_sms_screens_sms_consent_and_a_kakao_ad_kakao_consent() -> None:
    assert screened_channel(ad_sms()) == "sms"
    assert screened_channel(brand(targeting="M")) == "kakao"
    assert screened_channel(alimtalk()) is None


def test_what_is_left_out_and_what_is_not() -> None:
    assert refusal_at_targeting(ad_sms(), WITHDRAWN, True, STORE, AT) is Reason.CONSENT_WITHDRAWN
    assert refusal_at_targeting(ad_sms(), None, True, STORE, AT) is Reason.NO_CONSENT
    assert refusal_at_targeting(ad_sms(), GRANTED, False, STORE, AT) is None
    # The exemption might apply to an ad for a kind of goods: a missing consent is the sender's to judge.
    exempting = store(existing_customer_exemption=True)
    assert refusal_at_targeting(ad_sms(goods_kind="dog-food"), None, True, exempting, AT) is None
    # ... but never to someone who said no (§50 ②).
    assert (
        refusal_at_targeting(ad_sms(goods_kind="dog-food"), WITHDRAWN, True, exempting, AT)
        is Reason.CONSENT_WITHDRAWN
    )
    assert refusal_at_targeting(brand(targeting="I"), None, False, STORE, AT) is Reason.NOT_CHANNEL_FRIEND
    assert refusal_at_targeting(brand(targeting="N"), GRANTED, True, STORE, AT) is Reason.IS_CHANNEL_FRIEND
    # A store-wide problem refuses everyone: the sender records it on every send, the screen does not hide it.
    assert (
        refusal_at_targeting(brand(targeting="M"), GRANTED, False, store(mn_targeting_approved=False), AT)
        is None
    )
