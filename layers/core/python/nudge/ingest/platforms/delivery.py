"""What every platform adapter takes (a webhook request) and gives (a delivery of normalized events)."""

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import AfterValidator, BaseModel, ValidationError

from nudge.errors import FieldError, InvalidPayload, field_errors
from nudge.privacy import Mobile, read_phone
from nudge.products.model import ProductRecord
from nudge.profiles.events import NormalizedEvent, within_years
from nudge.stores import Store

# A payload's times. nudge.profiles.events.Timestamp: ISO 8601 with its offset, as Shopify documents its times
# and as the Nudge format asks; without one it is a 400 naming the field (a guess at the zone could move an
# order to another day). `LocalTimestamp`: the offset may be missing, and then the time is the store's own
# (Cafe24 writes its malls' Korean time, with `+09:00` or without). Either is a 400 outside the years events
# may have.
LocalTimestamp = Annotated[datetime, AfterValidator(within_years)]


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    platform: str
    store_id: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    received_at: datetime

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(slots=True)
class Delivery:
    """One webhook request, translated. `key` identifies the delivery across retries (the dedupe key)."""

    key: str
    customer_id: str | None
    events: list[NormalizedEvent] = field(default_factory=list)
    ignored: str | None = None  # why nothing applies (an event Nudge does not use)
    # Some webhooks name only the order (Shopify fulfillments, Cafe24 guest shipping): the customer is looked
    # up in the order index, then `for_customer` builds the events.
    order_lookup: str | None = None
    for_customer: Callable[[str], list[NormalizedEvent]] | None = None
    # Fields of the payload left out of the profile, and why (a landline where a mobile number goes): the
    # answer names them, so a store can see why a customer it sent with a number has none in Nudge.
    not_kept: list[FieldError] = field(default_factory=list)
    # The platform asks for customers to be erased (Shopify's customers/redact): no events, an erasure.
    erasure: "ErasureRequest | None" = None
    # Products the platform describes (product webhooks): the store's catalog is updated with them
    # (nudge.products), and customers who carted or viewed one may hear about it.
    products: list[ProductRecord] = field(default_factory=list)
    # What the webhook names but does not carry, read from the platform's API before anything is stored
    # (Cafe24's order events have no items and no status dates): the deliveries are made of the answers.
    read: "PlatformRead | None" = None


class PlatformUnavailable(Exception):
    """The platform's API cannot answer now (the app's install lapsed, a token was revoked, Cafe24 is down):
    what needed it waits for the reconciliation, which reads it again later."""


@dataclass(frozen=True, slots=True)
class PlatformAnswers:
    """What the platform's API answered, by id: orders and members it does not know are absent."""

    orders: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    members: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    products: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlatformRead:
    """The ids to read, and what to make of them: `complete` with the API's answers, `alone` when the store
    has not connected the platform's API (what the webhook says by itself, documented as less)."""

    complete: Callable[[PlatformAnswers], list[Delivery]]
    alone: Callable[[], list[Delivery]]
    orders: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    products: tuple[str, ...] = ()


class PlatformReader(Protocol):
    """A store's platform API (nudge.adapters.cafe24_reader): raises PlatformUnavailable when it cannot
    answer."""

    def read(
        self, orders: tuple[str, ...], members: tuple[str, ...], products: tuple[str, ...]
    ) -> PlatformAnswers: ...


@dataclass(frozen=True, slots=True)
class ErasureRequest:
    """Customers a platform asks to be erased (nudge.erasure), and the orders it names as theirs."""

    customer_ids: tuple[str, ...]
    order_ids: tuple[str, ...] = ()
    requested_by: str = ""  # the platform and its event, e.g. "shopify:customers/redact"


class Platform(Protocol):
    name: str

    def verify(self, request: WebhookRequest, secret: str | None, store: Store) -> None: ...

    def translate(self, request: WebhookRequest, store: Store) -> Delivery: ...


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any, prefix: str = "") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload("payload does not match the expected format", field_errors(exc, prefix)) from exc


def fingerprint(payload: Any) -> str:
    """A stable digest of a JSON payload (key order and whitespace do not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def contact_phone(
    raw: str | None, field_name: str, not_kept: list[FieldError], *, refuse_non_numbers: bool = False
) -> str | None:
    """The mobile number a webhook field holds (E.164), or None. Anything else — a landline, a foreign
    number, a typo — is not kept, and `not_kept` says which field and why: the webhook is still applied,
    since refusing it would lose the order or the sign-up over a contact detail. `refuse_non_numbers`: what is
    no phone number at all is the sender's mistake (a store's own integration): 400, nothing written."""
    if raw is None or not raw.strip():
        return None
    reading = read_phone(raw)
    if isinstance(reading, Mobile):
        return reading.e164
    if refuse_non_numbers and not reading.is_phone_number:
        raise InvalidPayload("invalid phone number", [FieldError(field_name, reading.reason)])
    if all(f.field != field_name for f in not_kept):
        not_kept.append(FieldError(field_name, reading.reason))
    return None


def guest_customer_id(contact: str) -> str:
    """Customers without an account are keyed by a digest of their phone number or e-mail address."""
    return "guest:" + hashlib.sha256(contact.strip().lower().encode()).hexdigest()[:24]
