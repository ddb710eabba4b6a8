"""Messaging gateways: what the sender hands a gateway, and what it gets back.

The domain speaks `Outbound` and `Accepted`; only the adapters (`nudge.adapters.gateways.nhn`,
`nudge.adapters.gateways.solapi`) know a gateway's JSON, paths, headers and result codes. Errors say
whether a retry can help: `Transient` (timeout, 429, 5xx: the same request may be repeated with the same
idempotency key, or the same held request sent) and `Rejected` (4xx or a refusal code: repeating it changes
nothing; the gateway's code is recorded).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

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
class SmsPart:
    """An SMS/LMS: the message itself, or the fallback a gateway sends when Kakao cannot deliver."""

    kind: str  # SMS | LMS
    text: str
    title: str | None
    is_ad: bool
    sender_number: str
    optout_number: str | None = None


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to one person, final: labelled, personalised, links rewritten."""

    send_id: str  # idempotency key (NHN) / correlation field (Solapi) / recipientGroupingKey
    to: str  # domestic form, 01012345678: personal data, never logged
    kind: str  # ALIMTALK | BRAND_MESSAGE | SMS | LMS
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
    fallback: SmsPart | None = None  # sent by the gateway when Kakao delivery fails (3018/3019/3020)


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
