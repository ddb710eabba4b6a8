"""Member import: a store adopting Nudge brings the customers it already has.

A store's existing members, with the consents they gave (and when: the 2-year re-confirmation counts from
that date), their channel-friend state and their recent orders, are posted in pages of up to 500 to the
admin API. Every row is validated before anything is written (a 400 names `members[i].field`); then each
member becomes a profile exactly as if their history had arrived as webhooks (the same `apply_event`), and
is written only if Nudge does not know that customer yet — a profile built from live webhooks is never
overwritten by an older export, and importing the same page twice creates nothing twice. A member whose
number is real but not a mobile one (a landline, 070, 080) is imported without it, and the answer's
`not_kept` names the row and the reason: AlimTalk and SMS cannot reach such a number.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from hashlib import sha256
from typing import Annotated, Literal, Protocol, TypedDict

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from nudge.errors import FieldError, InvalidPayload, field_errors
from nudge.privacy import Mobile, NotMobile, PhoneReading, read_phone
from nudge.profiles.events import (
    Attributes,
    ConsentChanged,
    ConsentChannel,
    MemberDetails,
    MemberJoined,
    MemberLoggedIn,
    Money,
    NormalizedEvent,
    OrderCanceled,
    OrderDelivered,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    Timestamp,
)
from nudge.profiles.profile import Profile, apply_event
from nudge.stores import Store

MAX_MEMBERS_PER_REQUEST = 500
SOURCE = "import"
# How an imported order's last known status is replayed (a paid order needs nothing after OrderPaid).
_ENDINGS: dict[str, type[OrderDelivered | OrderCanceled | OrderRefunded]] = {
    "delivered": OrderDelivered,
    "canceled": OrderCanceled,
    "refunded": OrderRefunded,
}


class _Origin(TypedDict):
    """What every event of one imported member shares (passed with `**` to each event)."""

    store_id: str
    customer_id: str
    source: str


class _OrderOrigin(_Origin):
    order_id: str


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ImportedConsent(_Model):
    granted: bool
    at: Timestamp  # when the customer gave (or withdrew) it


class ImportedOrder(_Model):
    order_id: Annotated[str, Field(min_length=1, max_length=200)]
    placed_at: Timestamp
    amount: Money
    products: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=50)] = []
    status: Literal["paid", "delivered", "canceled", "refunded"] = "delivered"
    delivered_at: Timestamp | None = None


class ImportedMember(_Model):
    customer_id: Annotated[str, Field(min_length=1, max_length=200)]
    name: Annotated[str, Field(max_length=100)] | None = None
    phone: str | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    signed_up_at: Timestamp
    last_login_at: Timestamp | None = None
    consents: dict[ConsentChannel, ImportedConsent] = {}
    channel_friend: bool | None = None
    adult_verified: bool | None = None
    grade: Annotated[str, Field(min_length=1, max_length=64)] | None = None  # the store's member grade
    attributes: Attributes | None = None  # the store's own facts about the member: #{attr_<key>}
    orders: Annotated[list[ImportedOrder], Field(max_length=200)] = []

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        """A mobile number becomes E.164. Something that is not a phone number at all refuses the page (the
        export is wrong); a real number Nudge cannot message, like a landline, is kept as written here and
        left out of the profile (`mobile`, and the result's `not_kept`)."""
        if value is None or not value.strip():
            return None
        reading = read_phone(value)
        if isinstance(reading, Mobile):
            return reading.e164
        if not reading.is_phone_number:
            raise PydanticCustomError("phone_number", "{reason}", {"reason": reading.reason})
        return value

    @cached_property
    def phone_reading(self) -> PhoneReading | None:
        return read_phone(self.phone) if self.phone else None

    @property
    def mobile(self) -> str | None:
        """The number messages go to (E.164), or None."""
        reading = self.phone_reading
        return reading.e164 if isinstance(reading, Mobile) else None


class MemberImport(_Model):
    members: Annotated[list[ImportedMember], Field(min_length=1, max_length=MAX_MEMBERS_PER_REQUEST)]


class ProfileCreator(Protocol):
    def create(self, profiles: list[Profile]) -> list[bool]:
        """Write each profile whose customer is unknown; per profile, whether it was written."""
        ...


@dataclass
class ImportResult:
    created: int = 0
    already_known: list[str] = field(default_factory=list)
    # Members imported without the number they were exported with, and why (`members[i].phone`).
    not_kept: list[FieldError] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"created": self.created, "already_known": self.already_known}
        if self.not_kept:
            body["not_kept"] = [f.as_dict() for f in self.not_kept]
        return body


def parse(payload: object) -> MemberImport:
    try:
        page = MemberImport.model_validate(payload)
    except ValidationError as exc:
        raise InvalidPayload("member import is not valid", field_errors(exc)) from exc
    seen: set[str] = set()
    duplicates = []
    for index, member in enumerate(page.members):
        if member.customer_id in seen:
            duplicates.append(index)
        seen.add(member.customer_id)
    if duplicates:
        raise InvalidPayload(
            "member import is not valid",
            [FieldError(f"members[{i}].customer_id", "appears twice in this page") for i in duplicates],
        )
    return page


def events_of(store_id: str, member: ImportedMember) -> list[NormalizedEvent]:
    """The member's history as the normalized events a live store would have sent."""
    base: _Origin = {"store_id": store_id, "customer_id": member.customer_id, "source": SOURCE}

    def ids(kind: str) -> str:
        readable = f"import:{member.customer_id}:{kind}"
        # An event id has at most 200 characters; a customer id and an order id may have 200 each.
        return readable if len(readable) <= 200 else f"import:{sha256(readable.encode()).hexdigest()}"

    details = MemberDetails(
        phone=member.mobile, name=member.name, email=member.email,
        channel_friend=member.channel_friend, adult_verified=member.adult_verified,
        grade=member.grade, attributes=member.attributes,
    )  # fmt: skip
    events: list[NormalizedEvent] = [
        MemberJoined(event_id=ids("joined"), occurred_at=member.signed_up_at, member=details, **base)
    ]
    if member.last_login_at is not None:
        events.append(MemberLoggedIn(event_id=ids("login"), occurred_at=member.last_login_at, **base))
    for channel, consent in member.consents.items():
        consent_id = ids(f"consent:{channel}")
        events.append(
            ConsentChanged(
                event_id=consent_id, occurred_at=consent.at, channel=channel, granted=consent.granted, **base
            )
        )
    for order in member.orders:
        key = f"order:{order.order_id}"
        lines = [OrderLine(product_id=p) for p in order.products]
        order_base: _OrderOrigin = {**base, "order_id": order.order_id}
        events.append(
            OrderPlaced(
                event_id=ids(key), occurred_at=order.placed_at, amount=order.amount, lines=lines, **order_base
            )
        )
        events.append(OrderPaid(event_id=ids(key + ":paid"), occurred_at=order.placed_at, **order_base))
        ending = _ENDINGS.get(order.status)
        if ending is not None:
            at = order.delivered_at or order.placed_at
            events.append(ending(event_id=ids(f"{key}:{order.status}"), occurred_at=at, **order_base))
    return events


def not_kept(page: MemberImport) -> list[FieldError]:
    """The numbers of this page that are not kept, by row, with the reason (never the number)."""
    out = []
    for index, member in enumerate(page.members):
        reading = member.phone_reading
        if isinstance(reading, NotMobile):
            out.append(FieldError(f"members[{index}].phone", reading.reason))
    return out


def profile_of(store: Store, member: ImportedMember, now: datetime) -> Profile:
    # Imported on first use: the admin function's cold start does not need it (tests/e2e/cold_start).
    from nudge.profiles.budget import fit

    profile = Profile(store_id=store.store_id, customer_id=member.customer_id, created_at=now, updated_at=now)
    for event in sorted(events_of(store.store_id, member), key=lambda e: e.occurred_at):
        apply_event(profile, event, store.zone)
    profile.updated_at = now
    fit(profile)  # 200 orders of 50 long product ids would not fit one item: the oldest orders go
    return profile


def import_members(store: Store, payload: object, profiles: ProfileCreator, now: datetime) -> ImportResult:
    page = parse(payload)
    built = [profile_of(store, member, now) for member in page.members]
    result = ImportResult(not_kept=not_kept(page))
    for profile, written in zip(built, profiles.create(built), strict=True):
        if written:
            result.created += 1
        else:
            result.already_known.append(profile.customer_id)
    return result
