"""Ad labelling: "(광고)" + sender name first, sender contact present, "무료수신거부 080-…" last.

Sources: 정보통신망법 §50 ④⑥, 시행령 §61 ③ / 별표6; NHN-SMS api-guide "광고 문자"; NHN friendtalk-api-guide
(fallback SMS for a Kakao ad); compliance-rules.md "Ad content".
"""

import pytest

from compliance import (
    Button,
    MessageInvalid,
    Outcome,
    Reason,
    build_fallback_sms,
    decide,
    is_labelled_ad_sms,
    validate_message,
)
from compliance.labelling import GATEWAY_ADDS_AD_LABEL

from .helpers import SHIPPING_VARS, STORE, ad_sms, alimtalk, brand, kst, recipient, store

NOON = kst(12)


def test_ad_sms_label_and_optout_line() -> None:
    """The sent text starts with exactly "(광고)" + store name and ends with the store's free 080 line."""
    decision = decide(ad_sms("오늘만 간식 20% 할인"), recipient(), STORE, NOON)
    assert decision.outcome is Outcome.SEND and decision.content is not None
    text = decision.content.text
    assert text == "(광고)멍멍몰\n오늘만 간식 20% 할인\n무료수신거부 080-123-4567"
    assert is_labelled_ad_sms(text)
    assert decision.content.is_ad and decision.content.optout_number == "080-123-4567"
    assert decision.content.sender_number == "02-1234-5678"  # 별표6: the sender's contact


LABEL_CHECKS = [
    ("valid", "(광고)멍멍몰\n본문\n무료수신거부 080-123-4567", True),
    ("valid_short_form", "(광고)멍멍몰 본문 무료거부 0801234567", True),
    ("square_brackets", "[광고]멍멍몰\n본문\n무료수신거부 080-123-4567", False),
    ("spaced", "(광 고)멍멍몰\n본문\n무료수신거부 080-123-4567", False),
    ("dotted", "(광.고)멍멍몰\n본문\n무료수신거부 080-123-4567", False),
    ("not_first", "멍멍몰(광고)\n본문\n무료수신거부 080-123-4567", False),
    ("no_optout", "(광고)멍멍몰\n본문", False),
    ("paid_number_optout", "(광고)멍멍몰\n본문\n수신거부 02-123-4567", False),
]


@pytest.mark.parametrize(("case", "text", "valid"), LABEL_CHECKS, ids=[c[0] for c in LABEL_CHECKS])
def test_ad_sms_label_variants(case: str, text: str, valid: bool) -> None:
    """`[광고]`, `(광 고)`, `(광.고)` are invalid; the opt-out must be a free 080 line at the end."""
    assert is_labelled_ad_sms(text) is valid, case


@pytest.mark.parametrize(
    "written", ["[광고] 간식 할인", "(광 고)간식 할인", "(광고)간식 할인", "간식 할인 수신거부 080-1"]
)
def test_handwritten_label_is_refused(written: str) -> None:
    """Nudge writes the label and the opt-out line; an author's own (often invalid) version is refused."""
    problems = validate_message(ad_sms(written))
    assert [p.code for p in problems] == [Reason.INVALID_AD_LABEL]
    assert problems[0].field == "content"


def test_missing_optout_number() -> None:
    """§50 ⑥: opt-out is free, so an 080 number is required before any ad SMS (validation and decision)."""
    no_080 = store(optout_080_number=None)
    assert any(p.code is Reason.MISSING_OPTOUT_NUMBER for p in validate_message(ad_sms(), no_080))
    decision = decide(ad_sms(), recipient(), no_080, NOON)
    assert decision.outcome is Outcome.SUPPRESS and Reason.MISSING_OPTOUT_NUMBER in decision.reasons


def test_missing_sender_contact() -> None:
    """별표6: the sender's name and contact."""
    no_contact = store(contact_phone=None)
    assert any(p.code is Reason.MISSING_SENDER_CONTACT for p in validate_message(ad_sms(), no_contact))
    assert decide(ad_sms(), recipient(), no_contact, NOON).reasons == (Reason.MISSING_SENDER_CONTACT,)


def test_informational_sms_is_not_labelled() -> None:
    message = ad_sms("주문하신 상품이 발송되었습니다.").model_copy(update={"message_class": "informational"})
    decision = decide(message, recipient(consents={}), store(optout_080_number=None), NOON)
    assert decision.content is not None and decision.content.text == "주문하신 상품이 발송되었습니다."
    assert not decision.content.is_ad


def test_kakao_ad_label() -> None:
    """Kakao ads carry the gateway ad flag; brand-message content begins with "(광고)" because whether Kakao
    adds it is unconfirmed (korea-messaging.md §3.1, one switch: labelling.GATEWAY_ADDS_AD_LABEL)."""
    decision = decide(brand("품절 임박!"), recipient(), STORE, NOON)
    assert decision.content is not None and decision.content.is_ad
    assert decision.content.kind == "BRAND_MESSAGE"
    if GATEWAY_ADDS_AD_LABEL["brand_message"]:
        assert decision.content.text == "품절 임박!"
    else:
        assert decision.content.text == "(광고) 품절 임박!"
    friendtalk = brand("품절 임박!").model_copy(update={"channel": "friendtalk"})
    ft = decide(friendtalk, recipient(), STORE, NOON)
    assert ft.content is not None and ft.content.is_ad and ft.content.kind == "FRIENDTALK"
    assert ft.content.text == "품절 임박!"  # FriendTalk isAd=true: Kakao shows "(광고)" itself ✅


def test_fallback_sms_for_kakao_ad_is_a_complete_ad_sms() -> None:
    """A fallback SMS for a Kakao ad is itself a complete ad SMS: label, name, 080 number."""
    message = brand(
        "장바구니 상품이 곧 품절돼요",
        buttons=(Button(name="장바구니 보기", link_mo="https://m.example.com/cart"),),
        fallback_sms=True,
    )
    sms = build_fallback_sms(message, STORE)
    assert (
        sms.text == "(광고)멍멍몰\n장바구니 상품이 곧 품절돼요\n"
        "장바구니 보기 https://m.example.com/cart\n무료수신거부 080-123-4567"
    )
    assert is_labelled_ad_sms(sms.text)
    assert sms.byte_length is not None and sms.kind == ("SMS" if sms.byte_length <= 90 else "LMS")
    decision = decide(message, recipient(), STORE, NOON)
    assert decision.fallback == sms and decision.fallback_blocked == ()


def test_fallback_sms_needs_sms_consent() -> None:
    """A Kakao M/I recipient without SMS consent gets no fallback ad SMS — and the decision says why."""
    message = brand(fallback_sms=True)
    decision = decide(message, recipient(consents={"kakao": recipient().consents["kakao"]}), STORE, NOON)
    assert decision.outcome is Outcome.SEND
    assert decision.fallback is None and decision.fallback_blocked == (Reason.NO_CONSENT,)


def test_fallback_sms_without_080_number_is_refused() -> None:
    with pytest.raises(MessageInvalid, match="missing_optout_number"):
        build_fallback_sms(brand(fallback_sms=True), store(optout_080_number=None))


def test_fallback_sms_for_informational_alimtalk_is_plain() -> None:
    """An AlimTalk's fallback is informational: no label, no consent needed, variables filled in."""
    who = recipient(consents={}, variables=SHIPPING_VARS)
    decision = decide(alimtalk(fallback_sms=True), who, STORE, kst(23))
    assert decision.outcome is Outcome.SEND and decision.fallback is not None
    assert decision.fallback.text == "홍길동님, 주문하신 상품이 발송되었습니다. 송장번호: 123456789012"
    assert not decision.fallback.is_ad and decision.fallback.kind == "SMS"
