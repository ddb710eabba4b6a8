"""Message classes and the promotional-content lint.

Source: KISA guide "광고성 정보의 예외" and Kakao's criteria [cs.kakao.com/helps_html/1073199206; NHN
friendtalkupgrade-console-guide]: order, payment, shipping, refund, account and consent notices are
informational (정보성); any promotion mixed in (discount, coupon, event, re-purchase nudge) makes the whole
message advertising (광고성). The lint is deliberately eager: a false alarm costs a rewording, a miss costs a
fine of up to ₩30,000,000 (§76).
"""

import re
from typing import Literal

MessageClass = Literal["informational", "advertising"]

# Each pattern names the promotion it catches. Receipt lines ("할인 금액", "할인액") are not promotions.
_PROMOTIONAL: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("할인", re.compile(r"할인(?!\s*(금액|액|내역))")),
    ("쿠폰", re.compile(r"쿠폰")),
    ("이벤트", re.compile(r"이벤트")),
    ("특가", re.compile(r"특가")),
    ("세일", re.compile(r"세일|\bsale\b", re.IGNORECASE)),
    ("% off", re.compile(r"\d+\s*%\s*(off|할인|down)", re.IGNORECASE)),
    (
        "적립금/포인트 지급",
        re.compile(r"(적립금|포인트|마일리지)\s*(\d[\d,]*\s*(원|P|점)?\s*)?(지급|증정|선물|드려요|드립니다)"),
    ),
    ("무료배송 조건", re.compile(r"무료\s*배송\s*(까지|기준|조건|혜택)|이상\s*(구매|주문)\s*시")),
    ("기획전", re.compile(r"기획전")),
    ("프로모션", re.compile(r"프로모션|promotion", re.IGNORECASE)),
    ("사은품/증정", re.compile(r"사은품|증정")),
    ("타임딜", re.compile(r"타임\s*딜|핫딜|반짝")),
    ("최저가", re.compile(r"최저가")),
    ("혜택", re.compile(r"혜택")),
    ("재구매", re.compile(r"재구매|다시 구매|또 구매")),
    ("신상품", re.compile(r"신상품|신제품 출시|new arrival", re.IGNORECASE)),
    ("1+1", re.compile(r"\d\s*\+\s*\d")),
    ("구매 유도", re.compile(r"놓치지 마세요|지금 (바로 )?(구매|주문)|서두르세요|품절 임박|마감 임박")),
)


def promotional_words(text: str) -> list[str]:
    """The promotions found in a text (empty for a clean informational text)."""
    return [name for name, pattern in _PROMOTIONAL if pattern.search(text)]
