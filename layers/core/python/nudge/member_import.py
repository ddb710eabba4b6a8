"""Member import: a store adopting Nudge brings the customers it already has.

A store's existing members, with the consents they gave (and when: the 2-year re-confirmation counts from
that date), their channel-friend state and their recent orders, are posted in pages of up to 500 to the
admin API. Every row is validated before anything is written (a 400 names `members[i].field`); then each
member becomes a profile exactly as if their history had arrived as webhooks (the same `apply_event`), and
is written only if Nudge does not know that customer yet — a profile built from live webhooks is never
overwritten by an older export, and importing the same page twice creates nothing twice.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from nudge.errors import FieldError, InvalidPayload, field_errors
from nudge.events import (
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
)
from nudge.privacy import InvalidPhoneNumber, normalize_phone
from nudge.profile import Profile, apply_event
from nudge.stores import Store

MAX_MEMBERS_PER_REQUEST = 500
SOURCE = "import"
# How an imported order's last known status is replayed (a paid order needs nothing after OrderPaid).
_ENDINGS: dict[str, type[OrderDelivered | OrderCanceled | OrderRefunded]] = {
    "delivered": OrderDelivered,
    "canceled": OrderCanceled,
    "refunded": OrderRefunded,
}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ImportedConsent(_Model):
    granted: bool
    at: AwareDatetime  # when the customer gave (or withdrew) it


class ImportedOrder(_Model):
    order_id: Annotated[str, Field(min_length=1, max_length=200)]
    placed_at: AwareDatetime
    amount: Money
    products: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=50)] = []
    status: Literal["paid", "delivered", "canceled", "refunded"] = "delivered"
    delivered_at: AwareDatetime | None = None


class ImportedMember(_Model):
    customer_id: Annotated[str, Field(min_length=1, max_length=200)]
    name: Annotated[str, Field(max_length=100)] | None = None
    phone: str | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    signed_up_at: AwareDatetime
    last_login_at: AwareDatetime | None = None
    consents: dict[ConsentChannel, ImportedConsent] = {}
    channel_friend: bool | None = None
    adult_verified: bool | None = None
    orders: Annotated[list[ImportedOrder], Field(max_length=200)] = []

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_phone(value)
        except InvalidPhoneNumber as exc:
            raise ValueError(f"not a phone number: {exc}") from exc


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

    def as_dict(self) -> dict[str, object]:
        return {"created": self.created, "already_known": self.already_known}


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
    base = {"store_id": store_id, "customer_id": member.customer_id, "source": SOURCE}

    def ids(kind: str) -> str:
        return f"import:{member.customer_id}:{kind}"

    details = MemberDetails(
        phone=member.phone, name=member.name, email=member.email,
        channel_friend=member.channel_friend, adult_verified=member.adult_verified,
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
        order_base = {**base, "order_id": order.order_id}
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


def profile_of(store: Store, member: ImportedMember, now: datetime) -> Profile:
    profile = Profile(store_id=store.store_id, customer_id=member.customer_id, created_at=now, updated_at=now)
    for event in sorted(events_of(store.store_id, member), key=lambda e: e.occurred_at):
        apply_event(profile, event, store.zone)
    profile.updated_at = now
    return profile


def import_members(store: Store, payload: object, profiles: ProfileCreator, now: datetime) -> ImportResult:
    page = parse(payload)
    built = [profile_of(store, member, now) for member in page.members]
    result = ImportResult()
    for profile, written in zip(built, profiles.create(built), strict=True):
        if written:
            result.created += 1
        else:
            result.already_known.append(profile.customer_id)
    return result
