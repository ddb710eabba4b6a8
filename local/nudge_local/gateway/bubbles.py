"""A brand message's bubble, checked as the real services check it: each gateway's body is first read into
one neutral shape (`read_nhn`, `read_solapi`: its field names, and the fields its chatBubbleType may carry),
then held to the rules both publish (`check`), and each problem answered with the gateway's own code
(`NHN_CODES`, `SOLAPI_CODES`).

Sources: NHN friendtalkupgrade-api-guide.md ("메시지 자유형 발송 요청", one body per chatBubbleType) and
error-code.md (the -33xx brand-message codes); Solapi: solapi-nodejs src/models/base/kakao/bms/*.ts
(bmsConstraints.ts says its messages are the server's: "서버 에러와 동일 문구 사용"; its required fields,
counts and allowed fields per type) and api-reference/message-status-codes.md. Where the two differ the
gateway's own rule applies (`Dialect`): WIDE / PREMIUM_VIDEO line breaks (NHN 5, Solapi 1), a PREMIUM_VIDEO
coupon's description (NHN 18, Solapi 12), `discountFixed` (NHN 999,999, Solapi 99,999,999), an AL button's
links (NHN both schemes, Solapi any one link), WIDE_ITEM_LIST's items (NHN 3-4 in all; Solapi a main item
and at least 3 sub items, so 4 with Kakao's maximum of 4: solapi-nodejs kakaoOption.ts
WIDE_ITEM_LIST_MIN_SUB_ITEMS; not confirmed against the server).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nudge_local.gateway.images import Upload

KAKAO_TV = "https://tv.kakao.com/"
LINK_MAX = 1000
HEADER_MAX = 20
COUPON_TITLE = re.compile(
    r"^(?:([1-9]\d{0,7})원 할인 쿠폰|([1-9]\d?|100)% 할인 쿠폰|배송비 할인 쿠폰"
    r"|\S{1,7} 무료 쿠폰|\S{1,7} UP 쿠폰)$"
)
PRICE_MAX = 99_999_999
CAROUSELS = ("CAROUSEL_FEED", "CAROUSEL_COMMERCE")

# The image type (NHN's imageType names) each place takes.
PLACE_TYPES = {
    "IMAGE": "IMAGE",
    "WIDE": "WIDE_IMAGE",
    "COMMERCE": "IMAGE",
    "PREMIUM_VIDEO": "IMAGE",
    "CAROUSEL_FEED": "CAROUSEL_FEED_IMAGE",
    "CAROUSEL_COMMERCE": "CAROUSEL_COMMERCE_IMAGE",
}

# problem kind -> (NHN header resultCode, Solapi registration statusCode). Solapi documents no BMS-specific
# codes: 1010 필수 입력 값 미입력, 1011 Format Error, 1034 imageId가 존재하지 않습니다, 1044 유효한 버튼 값이
# 아닙니다 are the closest of message-status-codes.md. NHN: error-code.md; a length over its maximum is -2000
# ("The '{}' must be at less than or equal to {}"), a count out of range -3304.
CODES: dict[str, tuple[int, str]] = {
    "missing": (-3303, "1010"),
    "too_long": (-2000, "1011"),
    "range": (-3304, "1011"),
    "not_allowed": (-3305, "1011"),
    "commerce_buttons": (-3306, "1010"),
    "coupon_link": (-3313, "1011"),
    "coupon_missing": (-3314, "1010"),
    "coupon_title": (-3315, "1011"),
    "commerce_missing": (-3316, "1010"),
    "commerce_combo": (-3299, "1011"),
    "video_missing": (-3317, "1010"),
    "video_url": (-3318, "1011"),
    "image_missing": (-3319, "1010"),
    "carousel_count": (-3320, "1011"),
    "head_link": (-3321, "1011"),
    "head_missing": (-3322, "1010"),
    "tail_missing": (-3323, "1010"),
    "item_missing": (-3325, "1010"),
    "link": (-3310, "1011"),
    "image_link": (-3327, "1011"),
    "feed_card_missing": (-3334, "1010"),
    "commerce_card_missing": (-3332, "1010"),
    "button": (-2018, "1044"),
    # An image this account never uploaded, or one uploaded for another place: NHN's -8002 says both ("캐러셀
    # 피드 - 캐러셀 타입 이미지를 사용 …"); Solapi's 1034 the first, and it names no code for the second.
    "image_unknown": (-8002, "1034"),
    "image_type": (-8002, "1011"),
}


@dataclass(frozen=True)
class Problem:
    kind: str
    field: str  # the wire's path, e.g. carousel.list[1].imageUrl
    text: str

    @property
    def nhn(self) -> int:
        return CODES[self.kind][0]

    @property
    def solapi(self) -> str:
        return CODES[self.kind][1]


@dataclass(frozen=True)
class Dialect:
    name: str
    link_names: tuple[str, str, str, str]  # mobile, pc, android, ios
    image_key: str  # imageUrl | imageId
    card_text_key: str  # message | content
    content_breaks: dict[str, int]
    coupon_long: frozenset[str]  # the types whose coupon description may have 18 characters
    discount_fixed_max: int
    al_needs_both_schemes: bool
    items: tuple[int, int]
    card_text_breaks: int | None


NHN = Dialect(
    "nhn",
    ("linkMo", "linkPc", "schemeAndroid", "schemeIos"),
    "imageUrl",
    "message",
    {"TEXT": 99, "IMAGE": 99, "WIDE": 5, "PREMIUM_VIDEO": 5},
    frozenset({"WIDE", "WIDE_ITEM_LIST", "PREMIUM_VIDEO"}),
    999_999,
    True,
    (3, 4),
    None,
)
SOLAPI = Dialect(
    "solapi",
    ("linkMobile", "linkPc", "linkAndroid", "linkIos"),
    "imageId",
    "content",
    {"TEXT": 99, "IMAGE": 99, "WIDE": 1, "PREMIUM_VIDEO": 1},
    frozenset({"WIDE", "WIDE_ITEM_LIST"}),
    PRICE_MAX,
    False,
    (4, 4),
    2,
)


@dataclass
class Img:
    ref: Any
    link: Any
    path: str  # where the ref stands


@dataclass
class Card:
    path: str
    raw: dict[str, Any]
    image: Img | None = None


@dataclass
class Bubble:
    """A brand message's parts in one shape, with where each stands on the wire."""

    type: str
    content: Any = None
    header: Any = None
    image: Img | None = None
    items: list[tuple[str, dict[str, Any], Img | None]] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    head: Card | None = None
    tail: Any = None
    commerce: Any = None
    additional: Any = None
    coupon: Any = None
    buttons: Any = None
    video: Any = None
    thumbnail: Img | None = None
    problems: list[Problem] = field(default_factory=list)


# The type-specific fields each chatBubbleType may carry.
NHN_FIELDS = {
    "TEXT": {"content", "buttons", "coupon"},
    "IMAGE": {"content", "image", "buttons", "coupon"},
    "WIDE": {"content", "image", "buttons", "coupon"},
    "WIDE_ITEM_LIST": {"header", "item", "buttons", "coupon"},
    "PREMIUM_VIDEO": {"header", "content", "video", "buttons", "coupon"},
    "COMMERCE": {"additionalContent", "image", "commerce", "buttons", "coupon"},
    "CAROUSEL_FEED": {"carousel"},
    "CAROUSEL_COMMERCE": {"carousel"},
}
NHN_SPECIFIC = {"content", "header", "image", "item", "video", "commerce", "additionalContent", "carousel",
                "buttons", "coupon"}  # fmt: skip
# bmsConstraints.ts BMS_ACCEPTABLE_FIELDS (adult, targeting and chatBubbleType are every type's).
SOLAPI_FIELDS = {
    "TEXT": {"content", "buttons", "coupon"},
    "IMAGE": {"content", "imageId", "imageLink", "buttons", "coupon"},
    "WIDE": {"content", "imageId", "buttons", "coupon"},
    "WIDE_ITEM_LIST": {"header", "mainWideItem", "subWideItemList", "buttons", "coupon"},
    "COMMERCE": {"additionalContent", "imageId", "commerce", "buttons", "coupon"},
    "CAROUSEL_FEED": {"carousel"},
    "CAROUSEL_COMMERCE": {"additionalContent", "carousel"},
    "PREMIUM_VIDEO": {"header", "content", "video", "buttons", "coupon"},
}
SOLAPI_COMMON = {"targeting", "chatBubbleType", "adult"}


def _not_allowed(bubble: Bubble, present: set[str], allowed: set[str]) -> None:
    for key in sorted(present - allowed):
        bubble.problems.append(
            Problem("not_allowed", key, f"The chatBubbleType {bubble.type} is not allowed {key} field.")
        )


def read_nhn(body: dict[str, Any]) -> Bubble:
    kind = str(body.get("chatBubbleType", ""))
    bubble = Bubble(kind)
    present = {k for k in NHN_SPECIFIC if body.get(k) is not None}
    _not_allowed(bubble, present, NHN_FIELDS.get(kind, set()))
    bubble.content, bubble.header = body.get("content"), body.get("header")
    image = body.get("image")
    if isinstance(image, dict):
        bubble.image = Img(image.get("imageUrl"), image.get("imageLink"), "image.imageUrl")
    elif image is not None:
        bubble.problems.append(Problem("image_missing", "image", "image field require imageUrl"))
    for i, item in enumerate((body.get("item") or {}).get("list") or []):
        path = f"item.list[{i}]"
        item = item if isinstance(item, dict) else {}
        bubble.items.append((path, item, Img(item.get("imageUrl"), None, f"{path}.imageUrl")))
    carousel = body.get("carousel") or {}
    for i, card in enumerate(carousel.get("list") or []):
        card = card if isinstance(card, dict) else {}
        path = f"carousel.list[{i}]"
        bubble.cards.append(
            Card(path, card, Img(card.get("imageUrl"), card.get("imageLink"), f"{path}.imageUrl"))
        )
    if isinstance(carousel.get("head"), dict):
        head = carousel["head"]
        bubble.head = Card("carousel.head", head, Img(head.get("imageUrl"), None, "carousel.head.imageUrl"))
    bubble.tail = carousel.get("tail")
    bubble.commerce, bubble.additional = body.get("commerce"), body.get("additionalContent")
    bubble.coupon, bubble.buttons = body.get("coupon"), body.get("buttons")
    video = body.get("video")
    if isinstance(video, dict):
        bubble.video = video
        if video.get("thumbnailUrl") is not None:
            bubble.thumbnail = Img(video["thumbnailUrl"], None, "video.thumbnailUrl")
    elif video is not None:
        bubble.video = video
    return bubble


def read_solapi(bms: dict[str, Any], text: Any) -> Bubble:
    """`kakaoOptions.bms`; a TEXT, IMAGE or WIDE bubble's body is the message's `text` (kakaoOption.ts)."""
    kind = str(bms.get("chatBubbleType", ""))
    bubble = Bubble(kind)
    present = {k for k, v in bms.items() if v is not None} - SOLAPI_COMMON
    _not_allowed(bubble, present, SOLAPI_FIELDS.get(kind, set()))
    bubble.content = bms.get("content") if bms.get("content") is not None else text
    bubble.header = bms.get("header")
    if bms.get("imageId") is not None:
        bubble.image = Img(bms["imageId"], bms.get("imageLink"), "imageId")
    main, subs = bms.get("mainWideItem"), bms.get("subWideItemList")
    if main is not None or subs is not None:
        for path, item in [
            ("mainWideItem", main),
            *((f"subWideItemList[{i}]", s) for i, s in enumerate(subs or [])),
        ]:
            item = item if isinstance(item, dict) else {}
            bubble.items.append((path, item, Img(item.get("imageId"), None, f"{path}.imageId")))
    carousel = bms.get("carousel") or {}
    for i, card in enumerate(carousel.get("list") or []):
        card = card if isinstance(card, dict) else {}
        path = f"carousel.list[{i}]"
        bubble.cards.append(
            Card(path, card, Img(card.get("imageId"), card.get("imageLink"), f"{path}.imageId"))
        )
    if isinstance(carousel.get("head"), dict):
        head = carousel["head"]
        bubble.head = Card("carousel.head", head, Img(head.get("imageId"), None, "carousel.head.imageId"))
    bubble.tail = carousel.get("tail")
    bubble.commerce, bubble.additional = bms.get("commerce"), bms.get("additionalContent")
    bubble.coupon, bubble.buttons = bms.get("coupon"), bms.get("buttons")
    video = bms.get("video")
    bubble.video = video
    if isinstance(video, dict) and video.get("imageId") is not None:
        bubble.thumbnail = Img(video["imageId"], video.get("imageLink"), "video.imageId")
    return bubble


# ---------------------------------------------------------------- the rules
Lookup = Callable[[Any], Upload | None]


def _length(value: Any, path: str, high: int, out: list[Problem], breaks: int | None = None) -> None:
    text = str(value)
    if len(text) > high:
        out.append(Problem("too_long", path, f"The '{path}' must be at less than or equal to {high}."))
    elif breaks is not None and text.count("\n") > breaks:
        out.append(Problem("too_long", path, f"The '{path}' allows at most {breaks} line breaks."))


def _web(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) <= LINK_MAX


def _links(raw: dict[str, Any], path: str, d: Dialect, out: list[Problem]) -> None:
    for key in d.link_names[:2]:
        if raw.get(key) is not None and not _web(raw[key]):
            out.append(Problem("link", f"{path}.{key}", f"The {key} must include http:// or https://"))


def _image(
    img: Img | None, place: str, d: Dialect, lookup: Lookup, out: list[Problem], *, alt: str = ""
) -> Upload | None:
    """The upload an image names, held to its place's type (`alt`: another type the place takes)."""
    if img is None or img.ref in (None, ""):
        out.append(Problem("image_missing", img.path if img else d.image_key, "image field require image"))
        return None
    if d is NHN and not _web(img.ref):
        out.append(Problem("link", img.path, "The imageUrl must include http:// or https://"))
        return None
    if img.link is not None and not _web(img.link):
        out.append(Problem("image_link", img.path, "The imageLink must include http:// or https://"))
    upload = lookup(img.ref)
    if upload is None:
        out.append(Problem("image_unknown", img.path, f"It is not found any images: {img.ref}"))
        return None
    if upload.use not in (place, alt):
        out.append(
            Problem(
                "image_type",
                img.path,
                f"{img.path} takes a {place} image; this one was uploaded as {upload.use}",
            )
        )
        return None
    return upload


def _buttons(
    buttons: Any,
    path: str,
    kind: str,
    d: Dialect,
    out: list[Problem],
    low: int,
    high: int,
    web_only: bool = False,
) -> None:
    buttons = buttons or []
    if not isinstance(buttons, list):
        out.append(Problem("button", path, "Button parameter is invalid."))
        return
    if len(buttons) < low:
        code = "commerce_buttons" if kind == "COMMERCE" else "range"
        out.append(Problem(code, path, f"The '{path}' must be between {low} and {high}."))
    if len(buttons) > high:
        out.append(Problem("range", path, f"The '{path}' must be between {low} and {high}."))
    name_max = 14 if kind in ("TEXT", "IMAGE") else 8
    type_key = "type" if d is NHN else "linkType"
    mo, _, android, ios = d.link_names
    for i, button in enumerate(buttons):
        at = f"{path}[{i}]"
        button = button if isinstance(button, dict) else {}
        linktype = button.get(type_key)
        if web_only and linktype not in ("WL", "AL"):
            out.append(Problem("button", f"{at}.{type_key}", f"The button type {linktype} is not allowed."))
        if linktype != "AC":
            _length(button.get("name", ""), f"{at}.name", name_max, out)
            if not button.get("name"):
                out.append(Problem("button", f"{at}.name", "Button parameter is invalid."))
        if linktype == "WL" and not button.get(mo):
            out.append(Problem("button", f"{at}.{mo}", f"linkType WL is required field {mo}"))
        if linktype == "AL":
            schemes = [button.get(android), button.get(ios)]
            ok = all(schemes) if d.al_needs_both_schemes else any([button.get(mo), *schemes])
            if not ok:
                out.append(Problem("button", at, "linkType AL is required fields schemeAndroid, schemeIos"))
        _links(button, at, d, out)


def _coupon(coupon: Any, path: str, kind: str, d: Dialect, out: list[Problem]) -> None:
    if coupon is None:
        return
    if not isinstance(coupon, dict) or not coupon.get("title") or not coupon.get("description"):
        out.append(Problem("coupon_missing", path, "The coupon field require title, description"))
        return
    if not COUPON_TITLE.match(str(coupon["title"])):
        out.append(Problem("coupon_title", f"{path}.title", "The title is not valid coupon title"))
    high = 18 if kind in d.coupon_long else 12
    _length(coupon["description"], f"{path}.description", high, out, breaks=0)
    mo, _, android, ios = d.link_names
    channel_coupon = any(str(coupon.get(k) or "").startswith("alimtalk=coupon://") for k in (android, ios))
    if d is NHN and not coupon.get(mo) and not channel_coupon:
        out.append(Problem("coupon_link", path, "If a basic coupon is used, the linkMo field is required."))
    _links(coupon, path, d, out)


def _commerce(commerce: Any, path: str, d: Dialect, out: list[Problem]) -> None:
    if not isinstance(commerce, dict) or not commerce.get("title") or commerce.get("regularPrice") is None:
        out.append(Problem("commerce_missing", path, "commerce field require title, regularPrice"))
        return
    _length(commerce["title"], f"{path}.title", 30, out, breaks=0)
    limits = {"regularPrice": PRICE_MAX, "discountPrice": PRICE_MAX, "discountRate": 100,
              "discountFixed": d.discount_fixed_max}  # fmt: skip
    for key, high in limits.items():
        value = commerce.get(key)
        if value is not None and (not isinstance(value, int) or not 0 <= value <= high):
            out.append(Problem("range", f"{path}.{key}", f"The '{key}' must be between 0 and {high}."))
    given = frozenset(
        k for k in ("discountPrice", "discountRate", "discountFixed") if commerce.get(k) is not None
    )
    if given not in (frozenset(), {"discountPrice", "discountRate"}, {"discountPrice", "discountFixed"}):
        out.append(
            Problem(
                "commerce_combo",
                path,
                "The commerce variable must be used in the following combinations: ['regularPrice'], "
                "['regularPrice', 'discountPrice', 'discountRate'], "
                "['regularPrice', 'discountPrice', 'discountFixed']",
            )
        )


def check(bubble: Bubble, d: Dialect, lookup: Lookup) -> tuple[list[Problem], list[tuple[str, Upload, Any]]]:
    """Every problem with the bubble, and the uploads it shows (where, which, its link)."""
    out = list(bubble.problems)
    shown: list[tuple[str, Upload, Any]] = []
    kind = bubble.type

    def image(img: Img | None, place: str, alt: str = "") -> None:
        upload = _image(img, place, d, lookup, out, alt=alt)
        if upload is not None and img is not None:
            shown.append((img.path, upload, img.link))

    if kind not in NHN_FIELDS:
        out.append(
            Problem("range", "chatBubbleType", f"chatBubbleType {kind} is not one of {sorted(NHN_FIELDS)}")
        )
        return out, shown
    if kind in ("TEXT", "IMAGE", "WIDE"):
        high = 76 if kind == "WIDE" else 1300
        if not bubble.content:
            out.append(Problem("missing", "content", "content is empty."))
        else:
            _length(bubble.content, "content", high, out, breaks=d.content_breaks[kind])
    if kind == "PREMIUM_VIDEO" and bubble.content:
        _length(bubble.content, "content", 76, out, breaks=d.content_breaks[kind])
    if kind == "WIDE_ITEM_LIST" and not bubble.header:
        out.append(Problem("missing", "header", "header is empty."))
    if bubble.header:
        _length(bubble.header, "header", HEADER_MAX, out, breaks=0)
    if kind in ("IMAGE", "WIDE", "COMMERCE"):
        image(bubble.image, PLACE_TYPES[kind])
    if kind == "WIDE_ITEM_LIST":
        low, high = d.items
        if not low <= len(bubble.items) <= high:
            out.append(Problem("range", "item.list", f"The 'item.list' must be between {low} and {high}."))
        for i, (path, item, img) in enumerate(bubble.items):
            if i and not item.get("title"):
                out.append(Problem("item_missing", path, "item field require title"))
            _length(item.get("title") or "", f"{path}.title", 30 if i else 25, out, breaks=1)
            if not item.get(d.link_names[0]):
                out.append(Problem("item_missing", path, f"item field require {d.link_names[0]}"))
            _links(item, path, d, out)
            image(img, "NORMAL_WIDE_ITEMLIST_IMAGE" if i else "MAIN_WIDE_ITEMLIST_IMAGE")
    if kind == "PREMIUM_VIDEO":
        video = bubble.video if isinstance(bubble.video, dict) else {}
        url = video.get("videoUrl")
        if not url:
            out.append(Problem("video_missing", "video", "video field require videoUrl"))
        elif not str(url).startswith(KAKAO_TV) or len(str(url)) > 500:
            out.append(Problem("video_url", "video.videoUrl", "The videoUrl is not valid video url"))
        if bubble.thumbnail is not None:
            # Solapi's example uploads the thumbnail as a FriendTalk (KAKAO) image.
            image(bubble.thumbnail, "IMAGE", alt="KAKAO" if d is SOLAPI else "")
    if kind == "COMMERCE":
        _commerce(bubble.commerce, "commerce", d, out)
    if bubble.additional is not None:
        _length(bubble.additional, "additionalContent", 34, out, breaks=1)
    if kind in CAROUSELS:
        _carousel(bubble, d, out, image)
        return out, shown
    limits = {"TEXT": (0, 4 if bubble.coupon else 5), "IMAGE": (0, 4 if bubble.coupon else 5), "WIDE": (0, 2),
              "WIDE_ITEM_LIST": (0, 2), "PREMIUM_VIDEO": (0, 1), "COMMERCE": (1, 2)}  # fmt: skip
    low, high = limits[kind]
    _buttons(bubble.buttons, "buttons", kind, d, out, low, high, web_only=kind == "COMMERCE" and d is SOLAPI)
    _coupon(bubble.coupon, "coupon", kind, d, out)
    return out, shown


def _carousel(bubble: Bubble, d: Dialect, out: list[Problem], image: Callable[..., None]) -> None:
    kind = bubble.type
    low, high = (1, 5) if bubble.head is not None else (2, 6)
    if not low <= len(bubble.cards) <= high:
        out.append(
            Problem(
                "carousel_count", "carousel.list", f"The carousel list size must be between {low} and {high}"
            )
        )
    missing = "feed_card_missing" if kind == "CAROUSEL_FEED" else "commerce_card_missing"
    text_key = d.card_text_key
    for card in bubble.cards:
        raw, path = card.raw, card.path
        if kind == "CAROUSEL_FEED":
            for key in ("header", text_key):
                if not raw.get(key):
                    out.append(Problem(missing, f"{path}.{key}", f"The carousel item field require {key}"))
            _length(raw.get("header") or "", f"{path}.header", HEADER_MAX, out, breaks=0)
            _length(raw.get(text_key) or "", f"{path}.{text_key}", 180, out, breaks=d.card_text_breaks)
            if raw.get("commerce") is not None or raw.get("additionalContent") is not None:
                out.append(Problem("not_allowed", path, "The carousel item field not allowed commerce"))
        else:
            if raw.get("header") is not None or raw.get(text_key) is not None:
                out.append(Problem("not_allowed", path, "The carousel commerce field not allowed header"))
            _commerce(raw.get("commerce"), f"{path}.commerce", d, out)
            if raw.get("additionalContent") is not None:
                _length(raw["additionalContent"], f"{path}.additionalContent", 34, out, breaks=1)
        image(card.image, PLACE_TYPES[kind])
        if not raw.get("buttons"):
            out.append(Problem(missing, f"{path}.buttons", "The carousel item field require buttons"))
        else:
            _buttons(raw.get("buttons"), f"{path}.buttons", kind, d, out, 1, 2, web_only=True)
        _coupon(raw.get("coupon"), f"{path}.coupon", kind, d, out)
    if bubble.head is not None:
        head = bubble.head
        if kind != "CAROUSEL_COMMERCE":
            out.append(Problem("not_allowed", "carousel.head", "A carousel head is CAROUSEL_COMMERCE's only"))
            return
        for key in ("header", "content"):
            if not head.raw.get(key):
                out.append(
                    Problem("head_missing", f"carousel.head.{key}", f"The carousel head field require {key}")
                )
        _length(head.raw.get("header") or "", "carousel.head.header", HEADER_MAX, out, breaks=0)
        _length(head.raw.get("content") or "", "carousel.head.content", 50, out)
        mo = d.link_names[0]
        if any(head.raw.get(k) for k in d.link_names[1:]) and not head.raw.get(mo):
            out.append(
                Problem(
                    "head_link",
                    "carousel.head",
                    f"If at least one link is entered in the Carousel Head, {mo} cannot be empty.",
                )
            )
        _links(head.raw, "carousel.head", d, out)
        image(head.image, "CAROUSEL_COMMERCE_IMAGE")
    tail = bubble.tail
    if tail is not None and (not isinstance(tail, dict) or not tail.get(d.link_names[0])):
        out.append(
            Problem("tail_missing", "carousel.tail", f"The carousel tail field require {d.link_names[0]}")
        )
    elif isinstance(tail, dict):
        _links(tail, "carousel.tail", d, out)


def same_ratio(shown: list[tuple[str, Upload, Any]]) -> Problem | None:
    """NHN: a CAROUSEL_COMMERCE head's image has the same ratio as the cards' ("사용되는 이미지는 캐러셀의
    이미지와 비율이 동일해야 함"). No code is documented for it: the closest is -8002's image rule."""
    head = [u for path, u, _ in shown if path.startswith("carousel.head")]
    cards = [u for path, u, _ in shown if path.startswith("carousel.list")]
    if not head or not cards:
        return None
    ratio = head[0].facts.height / head[0].facts.width
    if any(abs(u.facts.height / u.facts.width - ratio) > 0.01 for u in cards):
        return Problem("image_type", "carousel.head.imageUrl", "the head image must have the cards' ratio")
    return None


def phone_view(bubble: Bubble, shown: list[tuple[str, Upload, Any]], d: Dialect) -> dict[str, Any]:
    """What the phone shows, in one shape for both gateways (the outbox's record): the bubble's parts with
    each image as it was uploaded (ref, name, type, size), for `GET /_local/outbox`."""
    images = {path: upload.shown(link) for path, upload, link in shown}
    mo = d.link_names[0]

    def img(ref: Img | None) -> Any:
        return None if ref is None else images.get(ref.path)

    def card(c: Card) -> dict[str, Any]:
        raw = c.raw
        out = {
            "header": raw.get("header"),
            "text": raw.get(d.card_text_key) if c.path != "carousel.head" else raw.get("content"),
            "image": img(c.image),
            "buttons": [b.get("name") for b in raw.get("buttons") or [] if isinstance(b, dict)],
            "commerce": raw.get("commerce"),
            "coupon": raw.get("coupon"),
        }
        if raw.get("additionalContent") is not None:
            out["additional_content"] = raw["additionalContent"]
        if c.path == "carousel.head":
            out["link"] = raw.get(mo)
        return {k: v for k, v in out.items() if v not in (None, [])}

    view: dict[str, Any] = {
        "bubble": bubble.type,
        "header": bubble.header,
        "image": img(bubble.image),
        "items": [
            {"title": item.get("title"), "image": img(ref), "link": item.get(mo)}
            for _, item, ref in bubble.items
        ],
        "cards": [card(c) for c in bubble.cards],
        "intro": card(bubble.head) if bubble.head is not None else None,
        "tail": bubble.tail,
        "commerce": bubble.commerce,
        "additional_content": bubble.additional,
        "coupon": bubble.coupon,
        "video": None
        if not isinstance(bubble.video, dict)
        else {"url": bubble.video.get("videoUrl"), "thumbnail": img(bubble.thumbnail)},
        "images": [{"place": path, **view_image} for path, view_image in images.items()],
    }
    return {k: v for k, v in view.items() if v not in (None, [])}
