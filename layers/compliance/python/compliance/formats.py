"""Format limits: SMS/LMS bytes in EUC-KR, AlimTalk templates, brand messages and legacy FriendTalk.

Sources: NHN-SMS api-guide (sizes), NHN alimtalk-overview / api-guide v2.3, NHN friendtalkupgrade-api-guide
and Solapi bmsConstraints (brand messages), NHN friendtalk-overview and seed 000 (legacy FriendTalk).
Every limit is a constant here and nowhere else; `message.validate_message` reports them with field paths.
"""

import re
from dataclasses import dataclass

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

    content_max: int | None = None
    line_breaks_max: int | None = None
    buttons_max: int = 5
    buttons_min: int = 0
    buttons_max_with_coupon: int | None = None
    button_name_max: int = BUTTON_NAME_MAX_CHARS
    button_types: tuple[str, ...] | None = None  # None = any type
    needs_image: bool = False
    items: tuple[int, int] | None = None  # WIDE_ITEM_LIST: (min, max) items
    first_item_title_max: int | None = None
    item_title_max: int | None = None
    cards: tuple[int, int] | None = None  # carousels: (min, max) cards
    cards_with_intro: tuple[int, int] | None = None
    card_header_max: int | None = None
    card_text_max: int | None = None
    card_buttons: tuple[int, int] | None = None
    header_max: int | None = None  # `title` of the message (PREMIUM_VIDEO header, COMMERCE title)
    commerce_required: bool = False
    additional_info_max: int | None = None
    video_required: bool = False
    coupon_description_max: int = 12


_LINK = ("WL", "AL")

# [NHN friendtalkupgrade-api-guide; Solapi bmsConstraints.ts] — compliance-rules.md "Formats".
BRAND_MESSAGE: dict[str, BubbleLimits] = {
    "TEXT": BubbleLimits(content_max=1_300, line_breaks_max=99, buttons_max=5, buttons_max_with_coupon=4),
    "IMAGE": BubbleLimits(
        content_max=1_300, line_breaks_max=99, buttons_max=5, buttons_max_with_coupon=4, needs_image=True
    ),
    "WIDE": BubbleLimits(
        content_max=76, buttons_max=2, button_name_max=8, needs_image=True, coupon_description_max=18
    ),
    "WIDE_ITEM_LIST": BubbleLimits(
        buttons_max=2, items=(3, 4), first_item_title_max=25, item_title_max=30, coupon_description_max=18
    ),
    "CAROUSEL_FEED": BubbleLimits(
        buttons_max=0,
        cards=(2, 6),
        card_header_max=20,
        card_text_max=180,
        card_buttons=(1, 2),
        button_types=_LINK,
    ),
    "COMMERCE": BubbleLimits(
        buttons_max=2, buttons_min=1, button_types=_LINK, commerce_required=True, additional_info_max=34
    ),
    "CAROUSEL_COMMERCE": BubbleLimits(
        buttons_max=0,
        cards=(2, 6),
        cards_with_intro=(1, 5),
        card_buttons=(1, 2),
        button_types=_LINK,
        commerce_required=True,
        additional_info_max=34,
    ),
    "PREMIUM_VIDEO": BubbleLimits(content_max=76, buttons_max=1, header_max=20, video_required=True),
}

# Legacy FriendTalk [seed 000; NHN friendtalk-overview]. Seed 000 gives WIDE one button, NHN two: NHN wins.
FRIENDTALK: dict[str, BubbleLimits] = {
    "TEXT": BubbleLimits(content_max=1_000, buttons_max=5),
    "IMAGE": BubbleLimits(content_max=400, buttons_max=5, needs_image=True),
    "WIDE": BubbleLimits(content_max=76, buttons_max=2, needs_image=True),
    "WIDE_ITEM_LIST": BubbleLimits(buttons_max=2, items=(3, 4), first_item_title_max=25, item_title_max=25),
    "CAROUSEL_FEED": BubbleLimits(
        buttons_max=0, cards=(1, 10), card_header_max=20, card_text_max=180, card_buttons=(0, 2)
    ),
    "PREMIUM_VIDEO": BubbleLimits(content_max=76, buttons_max=1, header_max=20, video_required=True),
    "COMMERCE": BubbleLimits(buttons_max=2, header_max=20, commerce_required=True, additional_info_max=34),
    "CAROUSEL_COMMERCE": BubbleLimits(
        buttons_max=0,
        cards=(1, 10),
        card_buttons=(0, 2),
        card_header_max=30,
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
