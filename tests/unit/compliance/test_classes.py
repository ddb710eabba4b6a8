"""Message classes: any promotion inside an informational message makes it advertising.

Source: KISA guide "광고성 정보의 예외"; Kakao criteria [cs.kakao.com/helps_html/1073199206];
compliance-rules.md "Message classes".
"""

import pytest

from compliance import (
    Coupon,
    Decision,
    Outcome,
    Reason,
    Recipient,
    decide,
    promotional_words,
    validate_message,
)

from .helpers import SHIPPING_VARS, STORE, alimtalk, kst, recipient

PROMOTIONAL = [
    ("discount", "주문하신 상품이 발송되었습니다. 다음 구매 시 10% 할인!"),
    ("coupon", "배송이 완료되었습니다. 리뷰 작성 시 쿠폰을 드려요"),
    ("event", "결제가 완료되었습니다. 지금 진행 중인 이벤트도 확인하세요"),
    ("special_price", "환불이 완료되었습니다. 오늘만 특가 상품을 만나보세요"),
    ("sale", "주문이 접수되었습니다. 여름 세일 중!"),
    ("percent_off", "Your order shipped. Get 15% off your next order"),
    ("points_promo", "회원가입을 환영합니다. 적립금 3,000원 지급!"),
    ("free_shipping_nudge", "장바구니 상품 확인: 3만원 이상 구매 시 무료배송"),
    ("repurchase_nudge", "사료가 떨어질 때가 되었어요. 재구매 하시겠어요?"),
    ("one_plus_one", "배송 안내: 함께 보면 좋은 1+1 상품"),
]
CLEAN = [
    ("order", "#{고객명}님, 주문(#{주문번호})이 접수되었습니다."),
    ("payment_receipt", "결제금액 30,000원 (할인 금액 3,000원 포함) 결제가 완료되었습니다."),
    ("shipping", "주문하신 상품이 발송되었습니다. 송장번호: 123456789012"),
    ("refund", "환불 요청하신 27,000원이 카드사로 환불 처리되었습니다."),
    ("consent_notice", "[멍멍몰] 광고성 정보 수신동의 결과 안내: 수신거부 처리되었습니다."),
]


@pytest.mark.parametrize(("case", "text"), PROMOTIONAL, ids=[c for c, _ in PROMOTIONAL])
def test_promotional_content_in_informational_is_refused(case: str, text: str) -> None:
    """Any promotion makes the whole message advertising: validation refuses it as informational, and
    `decide` suppresses it if it ever arrives unvalidated."""
    assert promotional_words(text), case
    message = alimtalk(content=text)
    problems = validate_message(message)
    assert any(
        p.field == "content" and p.code is Reason.PROMOTIONAL_CONTENT_IN_INFORMATIONAL for p in problems
    )
    decision: Decision = decide(message, recipient(), STORE, kst(12))
    assert decision.outcome is Outcome.SUPPRESS
    assert Reason.PROMOTIONAL_CONTENT_IN_INFORMATIONAL in decision.reasons


@pytest.mark.parametrize(("case", "text"), CLEAN, ids=[c for c, _ in CLEAN])
def test_informational_content_passes_the_lint(case: str, text: str) -> None:
    assert promotional_words(text) == [], case


def test_informational_message_needs_no_consent_and_has_no_night_window() -> None:
    """정보성 messages: no consent, no night window (compliance-rules.md "Message classes")."""
    nobody = Recipient(key="customer-2", variables=SHIPPING_VARS)  # no consent, not a friend
    decision = decide(alimtalk(), nobody, STORE, kst(23, 30))
    assert decision.outcome is Outcome.SEND
    assert decision.reasons == (Reason.INFORMATIONAL,)
    assert decision.content is not None and decision.content.kind == "ALIMTALK"
    assert decision.content.text == "홍길동님, 주문하신 상품이 발송되었습니다. 송장번호: 123456789012"
    assert not decision.content.is_ad


def test_coupon_on_informational_message_is_refused() -> None:
    message = alimtalk(coupon=Coupon(title="10% 할인 쿠폰", description="오늘까지"))
    assert any(p.field == "coupon" for p in validate_message(message))


def test_alimtalk_cannot_carry_advertising() -> None:
    """AlimTalk: informational templates only [NHN alimtalk-overview]."""
    problems = validate_message(
        {"message_class": "advertising", "channel": "alimtalk", "content": "세일", "template_code": "X"}
    )
    assert any(p.code is Reason.ALIMTALK_NOT_INFORMATIONAL and p.field == "message_class" for p in problems)
