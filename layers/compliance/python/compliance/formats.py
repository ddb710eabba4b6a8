"""Format limits: SMS/LMS bytes in EUC-KR, AlimTalk templates, brand messages and legacy FriendTalk.

Sources: NHN-SMS api-guide (sizes), NHN alimtalk-overview / api-guide v2.3, NHN friendtalkupgrade-api-guide
and Solapi bmsConstraints (brand messages), NHN friendtalk-overview and seed 000 (legacy FriendTalk).
Every limit is a constant here and nowhere else; `message.validate_message` reports them with field paths.
"""

import re
from dataclasses import dataclass
from fractions import Fraction

# --- SMS / LMS / MMS ------------------------------------------------------------------------------------
SMS_MAX_BYTES = 90
LMS_MAX_BYTES = 2_000
LMS_TITLE_MAX_BYTES = 40

# Byte counting codec. Korean gateways document "EUC-KR"; handsets and carriers use its extension CP949
# (Unified Hangul Code), which encodes all 11,172 Hangul syllables in the same 2 bytes. Strict KS X 1001
# EUC-KR would refuse names such as "똠" or "햏" that every Korean phone shows. Byte counts are identical
# for every character both encode; emoji and other characters outside CP949 are refused either way.
SMS_CODEC = "cp949"


def sms_bytes(text: str) -> int | None:
    """The text's length in bytes as the SMS gateway counts it; None if a character cannot be encoded."""
    try:
        return len(text.encode(SMS_CODEC))
    except UnicodeEncodeError:
        return None


def unsupported_characters(text: str) -> list[str]:
    """The distinct characters that cannot be sent by SMS (most emoji), in order of appearance."""
    found: list[str] = []
    for char in text:
        if char not in found:
            try:
                char.encode(SMS_CODEC)
            except UnicodeEncodeError:
                found.append(char)
    return found


def choose_sms_kind(body_bytes: int, has_title: bool, requested: str = "AUTO") -> str | None:
    """SMS or LMS for a body of this many bytes (after labelling); None if it fits neither.

    AUTO picks SMS up to 90 bytes without a title, LMS above; an explicit SMS never becomes LMS and a long
    text is never truncated.
    """
    if requested == "SMS":
        return "SMS" if body_bytes <= SMS_MAX_BYTES and not has_title else None
    if requested in ("LMS", "MMS"):
        return requested if body_bytes <= LMS_MAX_BYTES else None
    if body_bytes <= SMS_MAX_BYTES and not has_title:
        return "SMS"
    return "LMS" if body_bytes <= LMS_MAX_BYTES else None


SMS_FORMATS = ("AUTO", "SMS", "LMS", "MMS")

# --- AlimTalk ------------------------------------------------------------------------------------------
ALIMTALK_MAX_CHARS = 1_000
ALIMTALK_ITEM_LIST_MAX_CHARS = 700
ALIMTALK_CHANNEL_ADD_RESERVE = 40  # AD/MI templates: Kakao appends the channel-add notice
ALIMTALK_MAX_VARIABLES = 40
ALIMTALK_MAX_BUTTONS = 5
BUTTON_NAME_MAX_CHARS = 14
ALIMTALK_EMPHASIS_TITLE_MAX = 50
ALIMTALK_ITEM_LIST_HEADER_MAX = 16
ALIMTALK_ITEM_LIST_ITEMS = (2, 10)
ALIMTALK_ITEM_TITLE_MAX = 6
ALIMTALK_ITEM_DESCRIPTION_MAX = 23
ALIMTALK_MESSAGE_TYPES = ("BA", "EX", "AD", "MI")
ALIMTALK_EMPHASIS_TYPES = ("NONE", "TEXT", "IMAGE", "ITEM_LIST")
CHANNEL_ADD_BUTTON = ("AC", "채널 추가")

VARIABLE = re.compile(r"#\{([^{}]+)\}")


def variables_in(text: str) -> list[str]:
    """Variable names (`#{name}`) in order of first appearance."""
    return list(dict.fromkeys(VARIABLE.findall(text)))


def variable_parts(token: str) -> tuple[str, str | None]:
    """A variable's name and the fallback it declares for a missing value: `#{name|고객}` is
    ("name", "고객"), `#{name}` is ("name", None). What a fallback is, for the sender and for validation."""
    base, bar, default = token.partition("|")
    return base.strip(), (default if bar else None)


def without_variables(text: str) -> str:
    return VARIABLE.sub("", text) if "#{" in text else text


# --- Brand messages and legacy FriendTalk --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BubbleLimits:
    """What one chat-bubble type allows. None = not limited (or not applicable) for this type."""

    # "required", "optional" or "none": WIDE_ITEM_LIST, COMMERCE and the carousels have no `content` field
    # in the send API at all [NHN-BM; kakao-rich-messages.md §1.1], so text there would never be shown.
    content: str = "required"
    content_max: int | None = None
    line_breaks_max: int | None = None
    buttons_max: int = 5
    buttons_min: int = 0
    buttons_max_with_coupon: int | None = None
    button_name_max: int = BUTTON_NAME_MAX_CHARS
    button_types: tuple[str, ...] | None = None  # None = any type
    needs_image: bool = False  # the message's own `image` (IMAGE, WIDE, COMMERCE)
    items: tuple[int, int] | None = None  # WIDE_ITEM_LIST: (min, max) items
    first_item_title_max: int | None = None
    item_title_max: int | None = None
    item_links_required: bool = False  # WIDE_ITEM_LIST items: an image and a mobile link each
    cards: tuple[int, int] | None = None  # carousels: (min, max) cards
    cards_with_intro: tuple[int, int] | None = None
    card_header_max: int | None = None  # None: the cards have no header
    card_text_max: int | None = None  # None: the cards have no text
    card_text_required: bool = False  # CAROUSEL_FEED cards: header and message are required
    card_buttons: tuple[int, int] | None = None
    intro: bool = False  # CAROUSEL_COMMERCE: an intro (head) card before the cards
    header_max: int | None = None  # `title` of the message (WIDE_ITEM_LIST / PREMIUM_VIDEO header)
    header_required: bool = False
    commerce_required: bool = False
    additional_info_max: int | None = None
    video_required: bool = False
    coupon_description_max: int = 12


_LINK = ("WL", "AL")

# Brand-message text limits beyond the per-bubble table [NHN-BM friendtalkupgrade-api-guide; Solapi
# bmsConstraints.ts; kakao-rich-messages.md §1.1].
ITEM_TITLE_LINE_BREAKS_MAX = 1  # WIDE_ITEM_LIST item titles: one line break
ADDITIONAL_INFO_LINE_BREAKS_MAX = 1  # COMMERCE `additionalContent`: one line break
COMMERCE_TITLE_MAX = 30  # `commerce.title`, no line break
COMMERCE_PRICE_MAX = 99_999_999  # `regularPrice` / `discountPrice`
DISCOUNT_RATE_MAX = 100  # `discountRate`, percent
DISCOUNT_FIXED_MAX = 999_999  # `discountFixed`, won
INTRO_HEADER_MAX = 20  # CAROUSEL_COMMERCE `head.header`
INTRO_TEXT_MAX = 50  # CAROUSEL_COMMERCE `head.content`
VIDEO_URL_MAX = 500  # PREMIUM_VIDEO `video.videoUrl`
# A Kakao channel coupon is given as a scheme value of this form; the coupon then needs no linkMo [NHN-BM
# "coupon": "If a channel coupon URL (format: alimtalk=coupon://) is entered in the scheme_android or
# scheme_ios field, all remaining fields become optional"].
CHANNEL_COUPON = re.compile(r"^alimtalk=coupon://[\x21-\x7e]+$")


# [NHN friendtalkupgrade-api-guide; Solapi bmsConstraints.ts] — kakao-rich-messages.md §1.1 and
# compliance-rules.md "Formats".
BRAND_MESSAGE: dict[str, BubbleLimits] = {
    "TEXT": BubbleLimits(content_max=1_300, line_breaks_max=99, buttons_max=5, buttons_max_with_coupon=4),
    "IMAGE": BubbleLimits(
        content_max=1_300, line_breaks_max=99, buttons_max=5, buttons_max_with_coupon=4, needs_image=True
    ),
    "WIDE": BubbleLimits(
        content_max=76,
        line_breaks_max=5,
        buttons_max=2,
        button_name_max=8,
        needs_image=True,
        coupon_description_max=18,
    ),
    "WIDE_ITEM_LIST": BubbleLimits(
        content="none",
        buttons_max=2,
        button_name_max=8,
        items=(3, 4),
        first_item_title_max=25,
        item_title_max=30,
        item_links_required=True,
        header_max=20,
        header_required=True,
        coupon_description_max=18,
    ),
    "CAROUSEL_FEED": BubbleLimits(
        content="none",
        buttons_max=0,
        button_name_max=8,
        cards=(2, 6),
        card_header_max=20,
        card_text_max=180,
        card_text_required=True,
        card_buttons=(1, 2),
        button_types=_LINK,
    ),
    "COMMERCE": BubbleLimits(
        content="none",
        buttons_max=2,
        buttons_min=1,
        button_name_max=8,
        button_types=_LINK,
        needs_image=True,
        commerce_required=True,
        additional_info_max=34,
    ),
    "CAROUSEL_COMMERCE": BubbleLimits(
        content="none",
        buttons_max=0,
        button_name_max=8,
        cards=(2, 6),
        cards_with_intro=(1, 5),
        card_buttons=(1, 2),
        intro=True,
        button_types=_LINK,
        commerce_required=True,
        additional_info_max=34,
    ),
    "PREMIUM_VIDEO": BubbleLimits(
        content="optional",
        content_max=76,
        line_breaks_max=5,
        buttons_max=1,
        button_name_max=8,
        header_max=20,
        video_required=True,
        coupon_description_max=18,
    ),
}

# Legacy FriendTalk [seed 000; NHN friendtalk-overview]. Seed 000 gives WIDE one button, NHN two: NHN wins.
# Which of its layouts had a text is not documented the way brand messages' are: never refused, required
# where a text is the layout's only body.
FRIENDTALK: dict[str, BubbleLimits] = {
    "TEXT": BubbleLimits(content_max=1_000, buttons_max=5),
    "IMAGE": BubbleLimits(content_max=400, buttons_max=5, needs_image=True),
    "WIDE": BubbleLimits(content_max=76, buttons_max=2, needs_image=True),
    "WIDE_ITEM_LIST": BubbleLimits(
        content="optional", buttons_max=2, items=(3, 4), first_item_title_max=25, item_title_max=25
    ),
    "CAROUSEL_FEED": BubbleLimits(
        content="optional",
        buttons_max=0,
        cards=(1, 10),
        card_header_max=20,
        card_text_max=180,
        card_buttons=(0, 2),
    ),
    "PREMIUM_VIDEO": BubbleLimits(content_max=76, buttons_max=1, header_max=20, video_required=True),
    "COMMERCE": BubbleLimits(
        content="optional", buttons_max=2, header_max=20, commerce_required=True, additional_info_max=34
    ),
    "CAROUSEL_COMMERCE": BubbleLimits(
        content="optional",
        buttons_max=0,
        cards=(1, 10),
        card_buttons=(0, 2),
        card_header_max=30,
        intro=True,
        commerce_required=True,
        additional_info_max=34,
    ),
}

KAKAO_TV_URL = re.compile(r"^https?://(tv\.kakao\.com|play-tv\.kakao\.com)/", re.IGNORECASE)

# Coupon titles: the five fixed forms [NHN friendtalkupgrade-api-guide; Solapi bmsCoupon.ts].
_COUPON_TITLES = (
    re.compile(r"^[1-9]\d{0,7}원 할인 쿠폰$"),
    re.compile(r"^([1-9]\d?|100)% 할인 쿠폰$"),
    re.compile(r"^배송비 할인 쿠폰$"),
    re.compile(r"^\S{1,7} 무료 쿠폰$"),
    re.compile(r"^\S{1,7} UP 쿠폰$"),
)


def is_valid_coupon_title(title: str) -> bool:
    return any(form.match(title) for form in _COUPON_TITLES)


# --- Images ----------------------------------------------------------------------------------------------
# An image the store uploaded to Nudge: "img_" + the first 32 hex digits of the SHA-256 of its bytes.
IMAGE_ID = r"^img_[0-9a-f]{32}$"
IMAGE_UPLOAD_MAX_BYTES = 5 * 1024 * 1024  # the largest any use accepts (Kakao's 5 MB); Nudge stores no more


@dataclass(frozen=True, slots=True)
class ImageRule:
    """What one image use accepts: formats, bytes, pixel sizes and the height/width ratio range."""

    formats: tuple[str, ...]
    max_bytes: int
    min_width: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    ratio: tuple[Fraction, Fraction] | None = None  # (lowest, highest) height / width, both inclusive


_KAKAO_FORMATS = ("jpeg", "png")
_KAKAO_MAX_BYTES = 5 * 1024 * 1024
_KAKAO_MIN_WIDTH = 500
_HALF, _ONE, _FOUR_THIRDS = Fraction(1, 2), Fraction(1), Fraction(4, 3)  # exact: 2:1, 1:1 and 3:4 (w:h)

# Brand-message images: jpg/png, ≤5 MB, width ≥500 px, a height/width ratio per imageType [NHN-BM "이미지
# 업로드" / "업로드 이미지 규격"; kakao-rich-messages.md §1.3, §3]. MMS: the rule both gateways accept, NHN's
# jpg ≤300 KB ≤1000×1000 [NHN-SMS "첨부 파일 업로드"] and Solapi's ≤200 KB [solapi-nodejs storageService.ts]
# (kakao-rich-messages.md §3 "MMS").
IMAGE_RULES: dict[str, ImageRule] = {
    "IMAGE": ImageRule(_KAKAO_FORMATS, _KAKAO_MAX_BYTES, _KAKAO_MIN_WIDTH, ratio=(_HALF, _FOUR_THIRDS)),
    "WIDE_IMAGE": ImageRule(_KAKAO_FORMATS, _KAKAO_MAX_BYTES, _KAKAO_MIN_WIDTH, ratio=(_HALF, _ONE)),
    "MAIN_WIDE_ITEMLIST_IMAGE": ImageRule(
        _KAKAO_FORMATS, _KAKAO_MAX_BYTES, _KAKAO_MIN_WIDTH, ratio=(_HALF, _HALF)
    ),
    "NORMAL_WIDE_ITEMLIST_IMAGE": ImageRule(
        _KAKAO_FORMATS, _KAKAO_MAX_BYTES, _KAKAO_MIN_WIDTH, ratio=(_ONE, _ONE)
    ),
    "CAROUSEL_FEED_IMAGE": ImageRule(
        _KAKAO_FORMATS, _KAKAO_MAX_BYTES, _KAKAO_MIN_WIDTH, ratio=(_HALF, _FOUR_THIRDS)
    ),
    "CAROUSEL_COMMERCE_IMAGE": ImageRule(
        _KAKAO_FORMATS, _KAKAO_MAX_BYTES, _KAKAO_MIN_WIDTH, ratio=(_HALF, _FOUR_THIRDS)
    ),
    "MMS": ImageRule(("jpeg",), 200 * 1024, max_width=1_000, max_height=1_000),
}
