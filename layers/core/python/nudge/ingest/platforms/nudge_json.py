"""Nudge's own webhook format, for stores on platforms without usable webhooks (Godomall, MakeShop, custom).

    POST /webhooks/nudge/{store_id}
    Content-Type: application/json
    X-Nudge-Timestamp: 1773999000                      (Unix seconds)
    X-Nudge-Signature: v1=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>

    {"event_id": "ord-20260320-0001-placed", "type": "order.placed",
     "occurred_at": "2026-03-20T14:10:00+09:00",
     "customer": {"id": "m-1001", "phone": "010-1234-5678", "name": "홍길동"},
     "data": {"order_id": "20260320-0001", "amount": 45000, "lines": [{"product_id": "P-7", "quantity": 1}]}}

`type` is any normalized event type (nudge.profiles.events.EventType); `data` holds that event's fields
(an `order.shipped`'s `shipping_company`, `tracking_number`, `tracking_url` too). `customer.attributes` are
the store's own facts about the member (`{"pet_name": "초코"}`), which a message names `#{attr_pet_name}`.
Requests older or newer than five minutes are refused (replay protection); `event_id` dedupes retries.
See docs/webhooks.md.
"""

import hashlib
import hmac
from datetime import datetime, timedelta
from functools import cache
from typing import Annotated, Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from nudge.errors import FieldError, InvalidPayload, Unauthenticated, field_errors
from nudge.http import read_json
from nudge.ingest.platforms.delivery import Delivery, WebhookRequest, contact_phone, validate
from nudge.profiles.events import (
    Attributes,
    EventType,
    MemberDetails,
    MemberUpdated,
    NormalizedEvent,
    Timestamp,
    delivery_event_id,
)
from nudge.stores import Store

SIGNATURE_VERSION = "v1"
REPLAY_WINDOW = timedelta(minutes=5)
_MEMBER_TYPES = {EventType.MEMBER_JOINED, EventType.MEMBER_UPDATED}


class CustomerRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, Field(min_length=1, max_length=200)]
    phone: str | None = None
    name: Annotated[str, Field(max_length=100)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    channel_friend: bool | None = None
    adult_verified: bool | None = None
    attributes: Attributes | None = None  # the store's own facts about the member: #{attr_<key>}


class NudgeEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: Annotated[str, Field(min_length=1, max_length=200)]
    type: EventType
    occurred_at: Timestamp
    customer: CustomerRef
    data: dict[str, Any] = {}


@cache
def _event_adapter() -> TypeAdapter[NormalizedEvent]:
    # Built on first use: the whole union's schema is only needed by stores that post this format.
    return TypeAdapter(NormalizedEvent)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Nudge-Signature value for a body: what a sender computes, and what Nudge checks."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


class _Common(TypedDict):
    """What the delivery's events share (passed with `**` to each event)."""

    store_id: str
    customer_id: str
    occurred_at: datetime
    source: str


class NudgeJson:
    name = "nudge"

    def verify(self, request: WebhookRequest, secret: str | None, store: Store) -> None:
        timestamp = request.header("x-nudge-timestamp")
        given = request.header("x-nudge-signature")
        if not timestamp or not given:
            raise Unauthenticated("X-Nudge-Timestamp and X-Nudge-Signature headers are required")
        if not secret:
            raise Unauthenticated("this store has no Nudge signing secret configured")
        if not hmac.compare_digest(
            signature(secret, timestamp, request.body).encode(), given.strip().encode()
        ):
            raise Unauthenticated("X-Nudge-Signature does not match the timestamp and body")
        try:
            sent_at = datetime.fromtimestamp(int(timestamp), tz=request.received_at.tzinfo)
        except (ValueError, OverflowError) as exc:
            raise Unauthenticated("X-Nudge-Timestamp must be Unix seconds") from exc
        if abs(request.received_at - sent_at) > REPLAY_WINDOW:
            raise Unauthenticated(
                "X-Nudge-Timestamp is outside the 5-minute window (check the sender's clock)"
            )

    def translate(self, request: WebhookRequest, store: Store) -> Delivery:
        envelope = validate(NudgeEnvelope, read_json(request.body))
        key = f"nudge:{envelope.event_id}"
        customer = envelope.customer
        not_kept: list[FieldError] = []
        phone = contact_phone(customer.phone, "customer.phone", not_kept, refuse_non_numbers=True)
        details = MemberDetails(
            phone=phone,
            name=customer.name,
            email=customer.email,
            channel_friend=customer.channel_friend,
            adult_verified=customer.adult_verified,
            attributes=customer.attributes,
        )
        common: _Common = {
            "store_id": store.store_id,
            "customer_id": customer.id,
            "occurred_at": envelope.occurred_at,
            "source": "nudge",
        }
        data = dict(envelope.data)
        member = data.get("member")
        if isinstance(member, dict) and isinstance(member.get("phone"), str):
            # Details sent in `data.member` go through the same reading as `customer.phone`.
            phone_of_member = contact_phone(
                member["phone"], "data.member.phone", not_kept, refuse_non_numbers=True
            )
            data["member"] = {**member, "phone": phone_of_member}
        if envelope.type in _MEMBER_TYPES:
            data.setdefault("member", details.model_dump(exclude_none=True))
        reserved = sorted(set(data) & {*common, "event_id", "type"})
        if reserved:
            raise InvalidPayload(
                "data repeats envelope fields",
                [FieldError(f"data.{k}", "set it on the envelope") for k in reserved],
            )
        try:
            event = _event_adapter().validate_python(
                {**data, **common, "event_id": delivery_event_id(key, 0), "type": envelope.type.value}
            )
        except ValidationError as exc:
            raise InvalidPayload("data does not match the event type", field_errors(exc, "data")) from exc
        events: list[NormalizedEvent] = [event]
        if envelope.type not in _MEMBER_TYPES and details.model_dump(exclude_none=True):
            events.append(MemberUpdated(**common, event_id=delivery_event_id(key, 1), member=details))
        return Delivery(key=key, customer_id=customer.id, events=events, not_kept=not_kept)
