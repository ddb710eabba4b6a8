"""Normalized events: what every storefront platform and the tracker are translated into.

Platform adapters (nudge.ingest.platforms.*) produce these; the profile applies them; automations consume them
from the events queue. Every event carries a stable `event_id`, so a consumer that sees one twice can
tell.
"""

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

# Schemas are built on first use: one request needs two or three of these models, not all of them,
# and a Lambda cold start should not pay for the rest.
_CONFIG = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class EventType(StrEnum):
    MEMBER_JOINED = "member.joined"
    MEMBER_LOGGED_IN = "member.logged_in"
    MEMBER_UPDATED = "member.updated"
    CONSENT_CHANGED = "consent.changed"
    VISIT_STARTED = "visit.started"
    PAGE_VIEWED = "page.viewed"
    CART_UPDATED = "cart.updated"
    CHECKOUT_STARTED = "checkout.started"
    ORDER_PLACED = "order.placed"
    ORDER_PAID = "order.paid"
    ORDER_SHIPPED = "order.shipped"
    ORDER_DELIVERED = "order.delivered"
    ORDER_CANCELED = "order.canceled"
    ORDER_REFUNDED = "order.refunded"
    COUPON_ISSUED = "coupon.issued"
    # A product the customer carted or viewed changed in the store's catalog (nudge.products): one event per
    # interested customer, made by the catalog update, not by a webhook about the customer.
    PRODUCT_BACK_IN_STOCK = "product.back_in_stock"
    PRODUCT_PRICE_DROPPED = "product.price_dropped"


class ConsentChannel(StrEnum):
    """Channels that each need their own advertising consent; `night` is the separate 21:00–08:00 one."""

    SMS = "sms"
    KAKAO = "kakao"
    EMAIL = "email"
    PUSH = "push"
    NIGHT = "night"


# The years an event's time may fall in: any sale, visit or sign-up, with room on either side. Beyond them a
# time is a mistake, and at the calendar's ends it cannot even be moved to another zone (year 1 at +09:00).
FIRST_YEAR, LAST_YEAR = 1970, 2099


def within_years(value: datetime) -> datetime:
    """A pydantic validator: a time between FIRST_YEAR and LAST_YEAR (ValueError, so a 400, otherwise)."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be a time between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


# A time a payload gives (a webhook's, an import's): ISO 8601 with its offset, in the years above. Anything
# else is a 400 naming the field, before any event is made of it.
Timestamp = Annotated[AwareDatetime, AfterValidator(within_years)]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone offset, e.g. 2026-03-20T23:30:00+09:00")
    return within_years(value).astimezone(UTC)


def delivery_event_id(delivery_key: str, index: int) -> str:
    """The id of the index-th event a webhook delivery (or tracker batch) carries: the same for every
    redelivery of it."""
    return f"{delivery_key}#{index}"


def delivery_of(event_id: str) -> str:
    """The key of the delivery an event came in (see delivery_event_id); an id of another shape is its own."""
    key, separator, _ = event_id.rpartition("#")
    return key if separator else event_id


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
NonEmpty = Annotated[str, Field(min_length=1, max_length=200)]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]

# A store's own facts about a member (an import's column, the Nudge format's `attributes`): up to
# MAX_ATTRIBUTES per event and per profile, each a short key a message names as `#{attr_<key>}` (letters,
# digits and `_` only: Solapi refuses a variable name with a '.') and a value of up to 60 characters; an
# empty value removes the key.
MAX_ATTRIBUTES = 10
AttributeKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
AttributeValue = Annotated[str, Field(max_length=60)]
Attributes = Annotated[dict[AttributeKey, AttributeValue], Field(max_length=MAX_ATTRIBUTES)]


class _Event(BaseModel):
    model_config = _CONFIG

    event_id: NonEmpty
    store_id: NonEmpty
    customer_id: NonEmpty
    occurred_at: UtcDatetime
    source: NonEmpty  # e.g. "cafe24:90023", "shopify:orders/create", "nudge", "tracker"


class MemberDetails(BaseModel):
    model_config = _CONFIG

    phone: str | None = None  # E.164, normalized by the platform adapter
    name: Annotated[str, Field(max_length=100)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    channel_friend: bool | None = None
    adult_verified: bool | None = None
    grade: Annotated[str, Field(min_length=1, max_length=64)] | None = None  # the store's member grade
    attributes: Attributes | None = None  # the store's own facts about the member (see Attributes)


class MemberJoined(_Event):
    type: Literal[EventType.MEMBER_JOINED] = EventType.MEMBER_JOINED
    member: MemberDetails = Field(default_factory=MemberDetails)


class MemberLoggedIn(_Event):
    type: Literal[EventType.MEMBER_LOGGED_IN] = EventType.MEMBER_LOGGED_IN


class MemberUpdated(_Event):
    type: Literal[EventType.MEMBER_UPDATED] = EventType.MEMBER_UPDATED
    member: MemberDetails = Field(default_factory=MemberDetails)


# The source of a consent withdrawal Nudge read from a gateway (nudge.reports.opt_outs), not from the store.
GATEWAY_OPTOUT_SOURCE = "gateway:"


class ConsentChanged(_Event):
    type: Literal[EventType.CONSENT_CHANGED] = EventType.CONSENT_CHANGED
    channel: ConsentChannel
    granted: bool
    # The platform restates the member's current answer with other changes (Cafe24's member record): it
    # counts only where it differs from the profile's, so the consent's date and its notice are not redone.
    restated: bool = False


class VisitStarted(_Event):
    type: Literal[EventType.VISIT_STARTED] = EventType.VISIT_STARTED


class PageViewed(_Event):
    type: Literal[EventType.PAGE_VIEWED] = EventType.PAGE_VIEWED
    path: Annotated[str, Field(min_length=1, max_length=512, pattern=r"^/")]
    dwell_seconds: Annotated[int, Field(ge=0, le=86_400)] = 0
    product_id: NonEmpty | None = None  # a product page: the product it shows (the tracker says which)


class CartLine(BaseModel):
    model_config = _CONFIG

    product_id: NonEmpty
    quantity: Annotated[int, Field(ge=0, le=100_000)] = 1
    price: Money | None = None  # unit price; Cafe24's add-to-cart event does not carry it (the catalog does)
    name: Annotated[str, Field(max_length=250)] | None = None  # the product's name, when known
    category_ids: Annotated[tuple[NonEmpty, ...], Field(max_length=20)] = ()  # the catalog's categories


class CartUpdated(_Event):
    """Lines added to the cart (`replace=False`, Cafe24 90084) or the whole cart (Shopify checkouts)."""

    type: Literal[EventType.CART_UPDATED] = EventType.CART_UPDATED
    lines: Annotated[list[CartLine], Field(max_length=500)]
    replace: bool = False


class CheckoutStarted(_Event):
    type: Literal[EventType.CHECKOUT_STARTED] = EventType.CHECKOUT_STARTED
    checkout_id: NonEmpty
    amount: Money | None = None
    recovery_url: Annotated[str, Field(max_length=2048)] | None = None


class OrderLine(BaseModel):
    model_config = _CONFIG

    product_id: NonEmpty
    quantity: Annotated[int, Field(ge=1, le=100_000)] = 1
    price: Money | None = None
    name: Annotated[str, Field(max_length=250)] | None = None  # the product's name, when known
    category_ids: Annotated[tuple[NonEmpty, ...], Field(max_length=20)] = ()  # the catalog's categories


class _OrderEvent(_Event):
    order_id: NonEmpty


class OrderPlaced(_OrderEvent):
    type: Literal[EventType.ORDER_PLACED] = EventType.ORDER_PLACED
    amount: Money
    lines: Annotated[list[OrderLine], Field(max_length=500)] = []
    checkout_id: NonEmpty | None = None


class OrderPaid(_OrderEvent):
    type: Literal[EventType.ORDER_PAID] = EventType.ORDER_PAID
    amount: Money | None = None


class OrderShipped(_OrderEvent):
    """The order left the warehouse, with the carrier and the tracking number when the platform gives them
    (Cafe24: the first shipped item's; Shopify: the fulfillment's; the Nudge format: as sent)."""

    type: Literal[EventType.ORDER_SHIPPED] = EventType.ORDER_SHIPPED
    shipping_company: Annotated[str, Field(min_length=1, max_length=100)] | None = None  # e.g. CJ대한통운
    tracking_number: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    tracking_url: Annotated[str, Field(max_length=2048)] | None = None  # the carrier's tracking page


class OrderDelivered(_OrderEvent):
    type: Literal[EventType.ORDER_DELIVERED] = EventType.ORDER_DELIVERED


class OrderCanceled(_OrderEvent):
    type: Literal[EventType.ORDER_CANCELED] = EventType.ORDER_CANCELED


class OrderRefunded(_OrderEvent):
    """Money (or goods) given back for the order. `amount`: what this refund returned (Shopify's
    refunds/create: its successful refund transactions; 0 when only goods came back); None: the whole order
    (the Nudge format, the member import, Shopify's orders/cancelled of a refunded order). Refunds that
    together reach the order's amount end it as a full refund (nudge.profiles.profile)."""

    type: Literal[EventType.ORDER_REFUNDED] = EventType.ORDER_REFUNDED
    amount: Money | None = None


class CouponIssued(_Event):
    """A coupon given to the customer (Nudge format): what a coupon-expiry notice needs."""

    type: Literal[EventType.COUPON_ISSUED] = EventType.COUPON_ISSUED
    coupon_id: NonEmpty
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    expires_at: UtcDatetime


class _ProductEvent(_Event):
    """A catalog change that concerns this customer (they carted or viewed the product): what a message
    about it may name. Made by nudge.products, one per interested customer."""

    product_id: NonEmpty
    name: Annotated[str, Field(max_length=250)] | None = None
    price: Money | None = None  # the price now (the sale price when there is one)
    image_url: Annotated[str, Field(max_length=2048)] | None = None
    url: Annotated[str, Field(max_length=2048)] | None = None  # the product's page in the store


class ProductBackInStock(_ProductEvent):
    type: Literal[EventType.PRODUCT_BACK_IN_STOCK] = EventType.PRODUCT_BACK_IN_STOCK


class ProductPriceDropped(_ProductEvent):
    type: Literal[EventType.PRODUCT_PRICE_DROPPED] = EventType.PRODUCT_PRICE_DROPPED
    old_price: Money


NormalizedEvent = Annotated[
    MemberJoined
    | MemberLoggedIn
    | MemberUpdated
    | ConsentChanged
    | VisitStarted
    | PageViewed
    | CartUpdated
    | CheckoutStarted
    | OrderPlaced
    | OrderPaid
    | OrderShipped
    | OrderDelivered
    | OrderCanceled
    | OrderRefunded
    | CouponIssued
    | ProductBackInStock
    | ProductPriceDropped,
    Field(discriminator="type"),
]

ORDER_EVENT_TYPES = frozenset(
    {
        EventType.ORDER_PLACED,
        EventType.ORDER_PAID,
        EventType.ORDER_SHIPPED,
        EventType.ORDER_DELIVERED,
        EventType.ORDER_CANCELED,
        EventType.ORDER_REFUNDED,
    }
)
