"""Messaging gateways: what the sender hands a gateway, and what it gets back.

The domain speaks `Outbound` and `Accepted`; only the adapters (`nudge.adapters.gateways.nhn`,
`nudge.adapters.gateways.solapi`) know a gateway's JSON, paths, headers and result codes. Errors say
whether a retry can help: `Transient` (timeout, 429, 5xx: the same request may be repeated with the same
idempotency key, or the same held request sent) and `Rejected` (4xx or a refusal code: repeating it changes
nothing; the gateway's code is recorded).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from compliance.message import Message
from compliance.problems import Problem
from compliance.reasons import Reason

# Delivery result codes that mean "this person cannot get a Kakao message", for which a Kakao message falls
# back to SMS/LMS (NHN 3018 not active, 3019 not a KakaoTalk user, 3020 blocked; Solapi 3104, 3107).
KAKAO_UNREACHABLE = frozenset({"3018", "3019", "3020", "3104", "3107"})
# Results that mean the person opted out or blocked the channel at the gateway: withdraw the ad consent.
# NHN 3020 (blocked the channel), Solapi 1061 / 2061 (080 opt-out list); 3107 is "blocked or inactive" and
# therefore not proof of an opt-out. NHN's 080 refusals are read from its list
# (nudge.reports.opt_outs.sync_080): its -6001 is an answer to the send request, never a delivery result.
OPTED_OUT = {"3020": "kakao", "1061": "sms", "2061": "sms"}


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    type: str
    link_mo: str | None = None
    link_pc: str | None = None
    scheme_android: str | None = None  # an AL button's app links
    scheme_ios: str | None = None


@dataclass(frozen=True, slots=True)
class Picture:
    """An image as the gateway knows it once uploaded (`Gateway.upload_image`): NHN's imageUrl (brand
    messages) or attachment fileId (MMS), Solapi's storage fileId; and where a tap on it leads."""

    ref: str
    link: str | None = None


@dataclass(frozen=True, slots=True)
class LinkSet:
    """Where a tap leads: a web link (mobile, PC) and the app's own links."""

    link_mo: str | None = None
    link_pc: str | None = None
    scheme_android: str | None = None
    scheme_ios: str | None = None


@dataclass(frozen=True, slots=True)
class WideItem:
    """One item of a WIDE_ITEM_LIST bubble: the first is the wide (2:1) one, the others square."""

    title: str
    picture: Picture
    links: LinkSet


@dataclass(frozen=True, slots=True)
class CouponPart:
    title: str  # one of Kakao's five forms ("10% 할인 쿠폰", …)
    description: str
    links: LinkSet = LinkSet()


@dataclass(frozen=True, slots=True)
class CommercePart:
    title: str
    regular_price: int
    discount_price: int | None = None
    discount_rate: int | None = None
    discount_fixed: int | None = None
    additional_info: str = ""  # the gateways' `additionalContent`


@dataclass(frozen=True, slots=True)
class CardPart:
    """A carousel card (CAROUSEL_FEED: header, text, picture, buttons, coupon; CAROUSEL_COMMERCE: picture,
    commerce, buttons, coupon), or a CAROUSEL_COMMERCE intro (header, text, picture whose link is the
    intro's link)."""

    header: str = ""
    text: str = ""
    picture: Picture | None = None
    buttons: tuple[Link, ...] = ()
    commerce: CommercePart | None = None
    coupon: CouponPart | None = None


@dataclass(frozen=True, slots=True)
class VideoPart:
    url: str  # a Kakao TV address
    thumbnail: Picture | None = None


@dataclass(frozen=True, slots=True)
class SmsPart:
    """An SMS/LMS/MMS: the message itself, or the fallback sent when Kakao cannot deliver."""

    kind: str  # SMS | LMS | MMS
    text: str
    title: str | None
    is_ad: bool
    sender_number: str
    optout_number: str | None = None
    image: Picture | None = None  # MMS: its picture, uploaded for MMS


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to one person, final: labelled, personalised, links rewritten."""

    send_id: str  # idempotency key (NHN) / correlation field (Solapi) / recipientGroupingKey
    to: str  # domestic form, 01012345678: personal data, never logged
    kind: str  # ALIMTALK | BRAND_MESSAGE | SMS | LMS | MMS
    text: str
    is_ad: bool
    sender_number: str
    title: str | None = None
    template_code: str | None = None  # AlimTalk
    template_parameters: dict[str, str] = field(default_factory=dict)  # AlimTalk: values without #{}
    bubble: str = "TEXT"  # brand message chatBubbleType
    targeting: str | None = None  # brand message I / M / N
    adult: bool = False
    buttons: tuple[Link, ...] = ()
    optout_number: str | None = None
    fallback: SmsPart | None = None  # sent when Kakao delivery fails (3018/3019/3020): carries_fallback
    # Brand message parts by chatBubbleType (kakao-rich-messages.md §1.1), and an MMS's picture (`image`).
    header: str | None = None  # WIDE_ITEM_LIST (required), PREMIUM_VIDEO
    image: Picture | None = None  # IMAGE, WIDE, COMMERCE; an MMS's picture
    items: tuple[WideItem, ...] = ()  # WIDE_ITEM_LIST: 3-4, the first the wide one
    cards: tuple[CardPart, ...] = ()  # CAROUSEL_FEED, CAROUSEL_COMMERCE
    intro: CardPart | None = None  # CAROUSEL_COMMERCE head
    tail: LinkSet | None = None  # a carousel's "more" link
    commerce: CommercePart | None = None  # COMMERCE
    coupon: CouponPart | None = None  # TEXT, IMAGE, WIDE, WIDE_ITEM_LIST, COMMERCE, PREMIUM_VIDEO
    video: VideoPart | None = None  # PREMIUM_VIDEO


@dataclass(frozen=True, slots=True)
class Accepted:
    gateway_message_id: str  # the gateway's id of the request: NHN's requestId, Solapi's groupId
    already: bool = False  # the gateway had this send already (idempotency key reused, group sent, lookup)


class GatewayError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Transient(GatewayError):
    """Timeout, 429 or 5xx: the gateway may or may not have taken the message; ask before sending again."""


class Rejected(GatewayError):
    """A 4xx or a refusal code: permanent for this message."""


class Expired(GatewayError):
    """The request a handle names (`Gateway.prepare`) is gone at the gateway and was never sent (a Solapi
    message group deleted or expired unsent): hold the message again, under a new handle."""


class Gateway(Protocol):
    """How a message goes out exactly once, whatever the gateway offers for it. NHN takes an idempotency
    key (the send id) and refuses a repeat for 10 minutes. Solapi takes none, but a message group is sent
    at most once: the message is put in a group first (`prepare`), the ledger records the group's id (the
    handle), and only then is the group sent; an attempt that comes after an unclear outcome asks the group
    (`find`), which was sent once or not at all, instead of a message list that may lag."""

    account_id: str

    def prepare(self, message: Outbound) -> str | None:
        """Hand the message to the gateway without sending it, when the gateway can hold it: the handle of
        the held request, for the ledger to keep before `send` (Solapi: the id of a message group holding
        the message), or None when the gateway holds nothing (NHN)."""
        ...

    def send(self, message: Outbound, handle: str | None = None) -> Accepted:
        """Send the message, or the request `handle` holds (a request sent already answers `already`;
        Expired: the handle's request is gone, never sent)."""
        ...

    def find(self, message: Outbound, handle: str | None = None) -> Accepted | None:
        """After an unclear outcome: the gateway's record of this send, or None if it never sent it. With a
        handle, what became of that request (None: not sent, and `send` may send it); without one, the
        gateway's messages under the send id."""
        ...

    def carries_fallback(self, message: Outbound) -> bool:
        """Whether the gateway itself sends `message.fallback` when Kakao cannot deliver it (else Nudge does,
        on the delivery report)."""
        ...

    def upload_image(self, use: str, name: str, data: bytes) -> str:
        """Upload an image for one use (compliance.images.ImageUse: IMAGE, WIDE_IMAGE, …, MMS) to the
        store's gateway account: the ref a message then names it by (Picture.ref). Rejected: the gateway
        refused the image (its format, size or ratio for that use)."""
        ...


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """One result from a gateway's delivery-report webhook, in Nudge's terms."""

    send_id: str  # our correlation key (NHN recipientGroupingKey, Solapi customFields.nudge_send)
    delivered: bool
    code: str  # the gateway's result code, as it wrote it
    fell_back: bool  # the Kakao message was delivered as its SMS/LMS fallback
    reported_at: str | None = None


@dataclass(frozen=True, slots=True)
class OptOut:
    """One entry of a store's 080 free opt-out list: a number that called to refuse ads, and when."""

    phone: str  # domestic form, 01012345678: personal data, never logged
    at: datetime


class ReportInvalid(ValueError):
    """The report body is not what the gateway sends."""


@dataclass(frozen=True, slots=True)
class ReportFormat:
    """How one gateway's delivery-report webhook reads (its adapter knows): the parser of its body, and where
    it carries the store's report signature."""

    parse: Callable[[bytes], list[DeliveryReport]]
    carrier: str  # header | query
    signature: str  # the header's or the query parameter's name


# --- What one gateway takes beyond Kakao's own rules (compliance.formats) ----------------------------------
# Solapi sends a WIDE_ITEM_LIST as a main item and at least 3 sub items (solapi-nodejs `bms` kakaoOption.ts,
# mainWideItem + subWideItemList), where NHN takes 3 or 4 items in all: through Solapi it needs 4.
SOLAPI_WIDE_ITEMS = 4


def gateway_problems(definition: Message | Mapping[str, Any], provider: str | None) -> list[Problem]:
    """What the store's gateway would refuse in a definition Kakao's rules allow, each naming its field, so
    the marketer hears it when saving and not from every send (a definition that does not parse has its
    problems told by validate_message)."""
    try:
        message = definition if isinstance(definition, Message) else Message.model_validate(definition)
    except ValidationError:
        return []
    out: list[Problem] = []
    wide = message.channel == "brand_message" and message.bubble == "WIDE_ITEM_LIST"
    if provider == "solapi" and wide and message.items and len(message.items) != SOLAPI_WIDE_ITEMS:
        out.append(
            Problem(
                "items",
                Reason.TOO_FEW,
                f"through Solapi a WIDE_ITEM_LIST has {SOLAPI_WIDE_ITEMS} items (a main item and 3 more)",
            )
        )
    return out
