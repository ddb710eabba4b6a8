"""Every reason code Nudge records or reports, and what each means in English and in Korean: one table.

The compliance layer's codes (`compliance.reasons.Reason`) say why the rules send, defer or refuse a message;
`NudgeReason` adds Nudge's own: why the sender recorded no send, why an automation's step stopped, and the
buckets a report counts a send under when its record names none. Both kinds are stored (the send ledger, the
journeys table, a campaign run's `left_out`) and shown in reports, so a code's string never changes.
"""

from enum import StrEnum
from typing import NamedTuple

from compliance.reasons import Reason


class NudgeReason(StrEnum):
    # Why the sender recorded no send (the ledger's reasons, beside the compliance layer's).
    STORE_DELETED = "store_deleted"
    SOURCE_DELETED = "source_deleted"
    SOURCE_PAUSED = "source_paused"
    STEP_MISSING = "step_missing"
    SOURCE_INVALID = "source_invalid"
    NO_PROFILE = "no_profile"
    NO_PHONE = "no_phone"
    FALLBACK_NOT_OFFERED = "fallback_not_offered"
    # Recorded as the failure's code, where a gateway's own code goes otherwise.
    NO_GATEWAY = "no_gateway"
    IMAGE_GONE = "image_gone"  # an image the message shows is no longer among the store's images

    # Why an automation's due step stopped (the journey's record and the slot's answer).
    AUTOMATION_DELETED = "automation_deleted"
    AUTOMATION_PAUSED = "automation_paused"
    STEP_REMOVED = "step_removed"
    EXITED = "exited"  # with the condition: `exited:purchased` (`detailed`)
    SUPPRESSED = "suppressed"  # with the compliance reasons: `suppressed:no_consent`

    # What a report counts a send under when its record names no reason or code.
    UNSPECIFIED = "unspecified"
    UNKNOWN = "unknown"


def detailed(reason: NudgeReason, detail: str) -> str:
    """A code with its detail, as stored: `exited:order_canceled`, `suppressed:no_consent,frequency_cap`."""
    return f"{reason.value}:{detail}"


_JOURNEY_ENDS = frozenset(
    {
        NudgeReason.AUTOMATION_DELETED,
        NudgeReason.AUTOMATION_PAUSED,
        NudgeReason.STEP_REMOVED,
        NudgeReason.EXITED,
    }
)


def ends_journey(code: str) -> bool:
    """An automation's step stopped because its journey ended (an exit condition met, the automation paused
    or deleted, the step removed), not because the rules refused the message: a report counts it stopped."""
    return code.partition(":")[0] in _JOURNEY_ENDS


class Meaning(NamedTuple):
    en: str
    ko: str  # for the marketer: short and plain


MEANINGS: dict[str, Meaning] = {
    # The compliance layer's: why a message may be sent.
    Reason.INFORMATIONAL: Meaning(
        "an informational message: no advertising consent needed", "정보성 메시지 (동의 불필요)"
    ),
    Reason.CONSENT: Meaning("advertising consent for this channel", "광고 수신 동의 있음"),
    Reason.EXEMPT_EXISTING_CUSTOMER: Meaning(
        "an existing customer the store may advertise to without consent (a recent purchase)",
        "기존 거래 고객 예외",
    ),
    Reason.CHANNEL_FRIEND: Meaning("a friend of the store's Kakao channel", "카카오 채널 친구"),
    Reason.NIGHT_CONSENT: Meaning("separate consent to advertising at night", "야간 광고 수신 동의 있음"),
    # Why an ad is blocked for this recipient.
    Reason.NO_CONSENT: Meaning("no advertising consent for this channel", "광고 수신 동의 없음"),
    Reason.CONSENT_WITHDRAWN: Meaning(
        "the customer refused or withdrew advertising consent for this channel", "광고 수신 거부 또는 철회"
    ),
    Reason.NOT_CHANNEL_FRIEND: Meaning("not a friend of the store's Kakao channel", "카카오 채널 친구 아님"),
    Reason.IS_CHANNEL_FRIEND: Meaning(
        "a channel friend, and the message targets non-friends only", "채널 친구 제외 (비친구 대상 메시지)"
    ),
    Reason.TARGETING_NOT_APPROVED: Meaning(
        "M/N targeting without the channel's approval", "M/N 타겟팅 미승인"
    ),
    Reason.AGE_GATE: Meaning(
        "an adults-only message to a customer without age verification", "성인 인증 안 됨 (성인 전용 메시지)"
    ),
    Reason.MISSING_OPTOUT_NUMBER: Meaning(
        "no free 080 opt-out number for an advertising SMS", "080 무료 수신거부 번호 없음"
    ),
    Reason.MISSING_SENDER_CONTACT: Meaning(
        "the sender's name or contact is missing from the advertisement", "광고 전송자 이름 또는 연락처 없음"
    ),
    # Why a send is moved or dropped in time.
    Reason.QUIET_HOURS: Meaning(
        "inside the night window without night consent: deferred to the next allowed moment",
        "야간 광고 제한: 허용 시각으로 연기",
    ),
    Reason.EXPIRED: Meaning(
        "the message's validity ended before an allowed moment", "발송 가능 시각 전에 유효기간 만료"
    ),
    Reason.FREQUENCY_CAP: Meaning(
        "already received a message of this promotion today", "오늘 같은 프로모션 메시지를 이미 받음"
    ),
    Reason.OVER_BUDGET: Meaning(
        "the store's advertising budget for this customer was used up", "고객별 광고 발송 한도 초과"
    ),
    # Why a message definition (or its rendering for one recipient) is refused.
    Reason.INVALID_MESSAGE: Meaning("the message is not valid", "메시지 오류"),
    Reason.PROMOTIONAL_CONTENT_IN_INFORMATIONAL: Meaning(
        "advertising content in an informational message", "정보성 메시지에 광고 내용 포함"
    ),
    Reason.INVALID_AD_LABEL: Meaning(
        "the (광고) label or the opt-out line written by hand (Nudge adds them)",
        "(광고) 표기나 수신거부 문구를 직접 입력함",
    ),
    Reason.UNSUPPORTED_CHARACTER: Meaning(
        "a character the message cannot carry (most emoji)", "보낼 수 없는 문자 (이모지 등)"
    ),
    Reason.TOO_LONG: Meaning("over a length limit (never cut short)", "길이 제한 초과"),
    Reason.TOO_MANY: Meaning("over a count limit (buttons, variables, items, cards)", "개수 제한 초과"),
    Reason.TOO_FEW: Meaning("under a minimum count (items, cards)", "최소 개수 미달"),
    Reason.TEMPLATE_NOT_APPROVED: Meaning("the AlimTalk template is not approved", "알림톡 템플릿 미승인"),
    Reason.ALIMTALK_NOT_INFORMATIONAL: Meaning(
        "AlimTalk carries informational messages only", "알림톡은 정보성 메시지만 가능"
    ),
    Reason.VARIABLE_IN_BUTTON_NAME: Meaning("a variable in a button's name", "버튼 이름에 변수 사용"),
    Reason.MISSING_VARIABLE: Meaning(
        "a personalisation value was missing and the message declared no fallback",
        "개인화 값 없음 (기본값 없음)",
    ),
    Reason.CHANNEL_ADD_BUTTON_FIRST: Meaning(
        'the "add channel" button must come first', "채널 추가 버튼을 맨 앞에 두어야 함"
    ),
    Reason.INVALID_COUPON: Meaning("the coupon is not valid", "쿠폰 정보 오류"),
    Reason.INVALID_BUTTON: Meaning("a button is not valid", "버튼 오류"),
    Reason.MISSING_FIELD: Meaning("a required field is missing", "필수 항목 누락"),
    Reason.INVALID_LINK: Meaning(
        "a link is not a web address (https://) or is an app link of a forbidden kind",
        "허용되지 않는 링크 (https:// 웹 주소가 아님)",
    ),
    Reason.UNFILLABLE_VARIABLE: Meaning(
        "a variable nothing can fill where it stands, and no fallback declared",
        "채울 수 없는 변수 (기본값 없음)",
    ),
    Reason.UNKNOWN_IMAGE: Meaning("the image was never uploaded to this store", "업로드되지 않은 이미지"),
    Reason.INVALID_IMAGE: Meaning(
        "an image breaks Kakao's or the carriers' rule for where it is used (format, size, ratio)",
        "이미지 규격 오류 (형식, 크기, 비율)",
    ),
    # Nudge's own: why the sender recorded no send.
    NudgeReason.STORE_DELETED: Meaning("the store was removed", "스토어 삭제됨"),
    NudgeReason.SOURCE_DELETED: Meaning(
        "the campaign or automation was deleted before the send", "발송 전 캠페인 또는 자동화 삭제됨"
    ),
    NudgeReason.SOURCE_PAUSED: Meaning(
        "the automation was paused before the send", "발송 전 자동화 일시중지됨"
    ),
    NudgeReason.STEP_MISSING: Meaning("the automation no longer has this step", "자동화에 해당 단계 없음"),
    NudgeReason.SOURCE_INVALID: Meaning(
        "the campaign's or automation's message is no longer valid",
        "캠페인 또는 자동화 메시지가 유효하지 않음",
    ),
    NudgeReason.NO_PROFILE: Meaning("no profile for this customer", "고객 정보 없음"),
    NudgeReason.NO_PHONE: Meaning("no phone number on the profile", "휴대폰 번호 없음"),
    NudgeReason.FALLBACK_NOT_OFFERED: Meaning(
        "no SMS fallback could be sent for this message", "대체 문자 발송 불가"
    ),
    NudgeReason.NO_GATEWAY: Meaning("the store has no message gateway set up", "발송 게이트웨이 미연결"),
    NudgeReason.IMAGE_GONE: Meaning(
        "an image the message shows was deleted from the store's images", "메시지 이미지가 삭제됨"
    ),
    # Why an automation's step stopped.
    NudgeReason.AUTOMATION_DELETED: Meaning(
        "the automation was deleted before the step was due", "단계 실행 전 자동화 삭제됨"
    ),
    NudgeReason.AUTOMATION_PAUSED: Meaning(
        "the automation was paused before the step was due", "단계 실행 전 자동화 일시중지됨"
    ),
    NudgeReason.STEP_REMOVED: Meaning(
        "the automation no longer has this step", "자동화에서 해당 단계 삭제됨"
    ),
    NudgeReason.EXITED: Meaning(
        "the customer met one of the automation's exit conditions", "자동화 종료 조건 충족"
    ),
    NudgeReason.SUPPRESSED: Meaning("the compliance rules refused the step", "발송 규정에 따라 중단됨"),
    # A report's buckets.
    NudgeReason.UNSPECIFIED: Meaning("no reason recorded", "사유 기록 없음"),
    NudgeReason.UNKNOWN: Meaning("failed without a gateway code", "실패 (게이트웨이 코드 없음)"),
}


# What each automation exit condition (nudge.automations.definitions.ExitWhen, and the profile gone) says
# after `exited:`: the marketer reads the condition in their words, not its code.
EXIT_DETAILS: dict[str, Meaning] = {
    "order_canceled": Meaning("the order was canceled or refunded", "주문 취소·환불"),
    "cart_emptied": Meaning("the cart was emptied or checked out", "장바구니 비움·결제"),
    "checkout_completed": Meaning("the checkout became an order", "주문 완료"),
    "purchased": Meaning("they bought something", "구매함"),
    "joined": Meaning("they signed up", "회원가입함"),
    "consent_withdrawn": Meaning("the channel's consent was withdrawn", "수신 동의 철회"),
    "order_paid": Meaning("the order was paid", "입금 완료"),
    "consent_changed": Meaning("the consent was answered again", "수신 동의 재응답"),
    "carted": Meaning("the product is in the cart", "상품을 장바구니에 담음"),
    "not_in_cart": Meaning("the product left the cart", "상품이 장바구니에서 빠짐"),
    "product_purchased": Meaning("the product was bought", "상품 구매함"),
    "customer_gone": Meaning("the customer's profile is gone", "고객 정보 없음"),
}


def meaning(code: str) -> Meaning:
    """What a stored code means; a code with its detail (`exited:purchased`) by its kind, the detail after it.
    A code no table knows (a future one read by an older reader) is told by its own words."""
    if (known := MEANINGS.get(code)) is not None:
        return known
    base, _, detail = code.partition(":")
    if detail and (kind := MEANINGS.get(base)) is not None:
        if base == NudgeReason.EXITED and (said := EXIT_DETAILS.get(detail)) is not None:
            return Meaning(f"{kind.en}: {said.en}", f"{kind.ko}: {said.ko}")
        return Meaning(f"{kind.en} ({detail})", f"{kind.ko} ({detail})")
    words = code.replace("_", " ")
    return Meaning(words, words)
