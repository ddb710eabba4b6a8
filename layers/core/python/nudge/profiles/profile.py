"""The customer profile and how each normalized event changes it.

Pure: no I/O. Three properties the ingest path relies on:
- idempotent per delivery: the caller dedupes deliveries; the counters below only ever see an event once;
- order-safe: an older event arriving late never moves a "last …" field, a consent or an order's status
  backwards (every field keeps the instant it was last set from);
- bounded: history is kept for a window (orders 2 years, page views 60 days) so the item stays small.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from nudge.profiles.events import (
    CartUpdated,
    CheckoutStarted,
    ConsentChanged,
    MemberDetails,
    MemberJoined,
    MemberLoggedIn,
    MemberUpdated,
    NormalizedEvent,
    OrderCanceled,
    OrderDelivered,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    PageViewed,
    VisitStarted,
)

ORDER_HISTORY = timedelta(days=730)
MAX_ORDERS = 200
PAGE_VIEW_HISTORY_DAYS = 60
MAX_PATHS_PER_DAY = 100


class OrderStatus(StrEnum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELED = "canceled"
    REFUNDED = "refunded"


# The forward chain only moves forward, whatever the timestamps say: a late "in transit" after
# "delivered" is stale. Cancel / refund end the chain when they happened after the current status.
_FORWARD_RANK = {OrderStatus.PLACED: 0, OrderStatus.PAID: 1, OrderStatus.SHIPPED: 2, OrderStatus.DELIVERED: 3}
_ENDED = frozenset({OrderStatus.CANCELED, OrderStatus.REFUNDED})


@dataclass(slots=True)
class Consent:
    granted: bool
    at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class Member:
    """A segment member as a campaign run sees it: who, and the two facts its consent screen reads."""

    customer_id: str
    consent: Consent | None = None  # on the consent channel of the campaign's message, when screened
    channel_friend: bool = False


@dataclass(slots=True)
class Order:
    order_id: str
    status: OrderStatus
    status_at: datetime
    placed_at: datetime | None = None
    amount: Decimal | None = None
    products: tuple[str, ...] = ()
    paid_at: datetime | None = None
    delivered_at: datetime | None = None
    checkout_id: str | None = None

    @property
    def counts_as_purchase(self) -> bool:
        """Paid and not canceled or refunded: what "order count" and "order amount" add up."""
        return self.paid_at is not None and self.status not in _ENDED


@dataclass(slots=True)
class Cart:
    lines: dict[str, int] = field(default_factory=dict)  # product id -> quantity
    prices: dict[str, Decimal] = field(default_factory=dict)  # product id -> unit price, when known
    last_added_at: datetime | None = None
    updated_at: datetime | None = None
    cleared_at: datetime | None = None  # the last order that emptied it

    @property
    def item_count(self) -> int:
        return sum(self.lines.values())

    @property
    def amount(self) -> Decimal:
        return sum((self.prices.get(p, Decimal(0)) * q for p, q in self.lines.items()), Decimal(0))


@dataclass(slots=True)
class Checkout:
    checkout_id: str
    started_at: datetime
    amount: Decimal | None = None
    recovery_url: str | None = None
    completed_at: datetime | None = None


@dataclass(slots=True)
class Profile:
    store_id: str
    customer_id: str
    phone: str | None = None  # E.164; personal data: never logged unmasked
    name: str | None = None  # personal data: never logged unmasked
    email: str | None = None
    details_at: datetime | None = None
    joined_at: datetime | None = None
    last_login_at: datetime | None = None
    consents: dict[str, Consent] = field(default_factory=dict)  # ConsentChannel value -> consent
    channel_friend: bool | None = None
    channel_friend_at: datetime | None = None
    adult_verified: bool = False
    first_visit_at: datetime | None = None
    last_visit_at: datetime | None = None
    visit_count: int = 0
    page_views: dict[str, dict[str, int]] = field(default_factory=dict)  # YYYYMMDD (store zone) -> path -> n
    dwell_seconds: dict[str, int] = field(default_factory=dict)  # YYYYMMDD (store zone) -> seconds
    cart: Cart = field(default_factory=Cart)
    checkout: Checkout | None = None
    orders: dict[str, Order] = field(default_factory=dict)
    products_bought: dict[str, datetime] = field(default_factory=dict)  # product id -> last purchase
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0  # optimistic-concurrency counter, owned by the repository

    @property
    def order_count(self) -> int:
        return sum(1 for o in self.orders.values() if o.counts_as_purchase)

    @property
    def order_amount(self) -> Decimal:
        return sum((o.amount or Decimal(0) for o in self.orders.values() if o.counts_as_purchase), Decimal(0))

    def has_consent(self, channel: str) -> bool:
        consent = self.consents.get(channel)
        return consent is not None and consent.granted


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def _earlier(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate < current else current


def _is_newer(current: datetime | None, candidate: datetime) -> bool:
    """True when `candidate` may overwrite a value set at `current` (ties go to the later delivery)."""
    return current is None or candidate >= current


def _store_day(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y%m%d")


def _apply_details(profile: Profile, details: MemberDetails, at: datetime) -> None:
    if details.channel_friend is not None and _is_newer(profile.channel_friend_at, at):
        profile.channel_friend = details.channel_friend
        profile.channel_friend_at = at
    if not _is_newer(profile.details_at, at):
        # Stale contact details: only fill what is still unknown.
        profile.phone = profile.phone or details.phone
        profile.name = profile.name or details.name
        profile.email = profile.email or details.email
        return
    profile.details_at = at
    if details.phone is not None:
        profile.phone = details.phone
    if details.name is not None:
        profile.name = details.name
    if details.email is not None:
        profile.email = details.email
    if details.adult_verified is not None:
        profile.adult_verified = details.adult_verified


def _set_status(order: Order, status: OrderStatus, at: datetime) -> None:
    current = order.status
    if status in _ENDED:
        moves = (current not in _ENDED and at >= order.status_at) or (
            current is OrderStatus.CANCELED and status is OrderStatus.REFUNDED
        )
    else:
        moves = current not in _ENDED and _FORWARD_RANK[status] > _FORWARD_RANK[current]
    if moves:
        order.status = status
        order.status_at = at


def _order(profile: Profile, order_id: str, at: datetime) -> Order:
    order = profile.orders.get(order_id)
    if order is None:
        order = Order(order_id=order_id, status=OrderStatus.PLACED, status_at=at)
        profile.orders[order_id] = order
    return order


def _record_purchase(profile: Profile, order: Order) -> None:
    if order.paid_at is None:
        return
    profile.first_purchase_at = _earlier(profile.first_purchase_at, order.paid_at)
    profile.last_purchase_at = _later(profile.last_purchase_at, order.paid_at)
    for product in order.products:
        profile.products_bought[product] = _later(profile.products_bought.get(product), order.paid_at)


def _clear_cart_for_order(profile: Profile, at: datetime) -> None:
    cart = profile.cart
    cart.cleared_at = _later(cart.cleared_at, at)
    if cart.last_added_at is None or cart.last_added_at <= at:
        cart.lines.clear()
        cart.prices.clear()
        cart.updated_at = _later(cart.updated_at, at)


def apply_event(profile: Profile, event: NormalizedEvent, zone: ZoneInfo) -> None:
    """Fold one normalized event into the profile."""
    at = event.occurred_at
    match event:
        case MemberJoined():
            profile.joined_at = _earlier(profile.joined_at, at)
            _apply_details(profile, event.member, at)
        case MemberUpdated():
            _apply_details(profile, event.member, at)
        case MemberLoggedIn():
            profile.last_login_at = _later(profile.last_login_at, at)
        case ConsentChanged():
            current = profile.consents.get(event.channel.value)
            if current is None or _is_newer(current.at, at):
                profile.consents[event.channel.value] = Consent(event.granted, at, event.source)
        case VisitStarted():
            profile.visit_count += 1
            profile.first_visit_at = _earlier(profile.first_visit_at, at)
            profile.last_visit_at = _later(profile.last_visit_at, at)
        case PageViewed():
            day = _store_day(at, zone)
            paths = profile.page_views.setdefault(day, {})
            if event.path in paths or len(paths) < MAX_PATHS_PER_DAY:
                paths[event.path] = paths.get(event.path, 0) + 1
            if event.dwell_seconds:
                profile.dwell_seconds[day] = profile.dwell_seconds.get(day, 0) + event.dwell_seconds
            profile.first_visit_at = _earlier(profile.first_visit_at, at)
            profile.last_visit_at = _later(profile.last_visit_at, at)
        case CartUpdated():
            _apply_cart(profile.cart, event)
        case CheckoutStarted():
            if profile.checkout is None or _is_newer(profile.checkout.started_at, at):
                completed = any(o.checkout_id == event.checkout_id for o in profile.orders.values())
                profile.checkout = Checkout(
                    event.checkout_id, at, event.amount, event.recovery_url, at if completed else None
                )
        case OrderPlaced():
            order = _order(profile, event.order_id, at)
            order.placed_at = _earlier(order.placed_at, at)
            order.amount = event.amount
            order.products = tuple(dict.fromkeys(line.product_id for line in event.lines))
            order.checkout_id = event.checkout_id
            _clear_cart_for_order(profile, at)
            checkout = profile.checkout
            if checkout is not None and event.checkout_id == checkout.checkout_id:
                checkout.completed_at = _earlier(checkout.completed_at, at)
            _record_purchase(profile, order)
        case OrderPaid():
            order = _order(profile, event.order_id, at)
            order.paid_at = _earlier(order.paid_at, at)
            if event.amount is not None and order.amount is None:
                order.amount = event.amount
            _set_status(order, OrderStatus.PAID, at)
            _record_purchase(profile, order)
        case OrderShipped():
            _set_status(_order(profile, event.order_id, at), OrderStatus.SHIPPED, at)
        case OrderDelivered():
            order = _order(profile, event.order_id, at)
            order.delivered_at = _earlier(order.delivered_at, at)
            _set_status(order, OrderStatus.DELIVERED, at)
        case OrderCanceled():
            _set_status(_order(profile, event.order_id, at), OrderStatus.CANCELED, at)
        case OrderRefunded():
            _set_status(_order(profile, event.order_id, at), OrderStatus.REFUNDED, at)
    profile.updated_at = _later(profile.updated_at, at)


def _apply_cart(cart: Cart, event: CartUpdated) -> None:
    at = event.occurred_at
    if event.replace:
        if not _is_newer(cart.updated_at, at):
            return
        cart.lines = {line.product_id: line.quantity for line in event.lines if line.quantity > 0}
        cart.prices = {line.product_id: line.price for line in event.lines if line.price is not None}
        cart.updated_at = at
        if cart.lines:
            cart.last_added_at = _later(cart.last_added_at, at)
        return
    if cart.cleared_at is not None and at <= cart.cleared_at:
        return  # added before the order that emptied the cart
    for line in event.lines:
        cart.lines[line.product_id] = cart.lines.get(line.product_id, 0) + line.quantity
        if line.price is not None:
            cart.prices[line.product_id] = line.price
    cart.last_added_at = _later(cart.last_added_at, at)
    cart.updated_at = _later(cart.updated_at, at)


def prune(profile: Profile, now: datetime, zone: ZoneInfo) -> None:
    """Drop history older than the windows segments look at, so the item stays small."""
    oldest_order = now - ORDER_HISTORY
    kept = [o for o in profile.orders.values() if (o.placed_at or o.status_at) >= oldest_order]
    kept.sort(key=lambda o: o.placed_at or o.status_at, reverse=True)
    profile.orders = {o.order_id: o for o in kept[:MAX_ORDERS]}
    oldest_day = (now.astimezone(zone).date() - timedelta(days=PAGE_VIEW_HISTORY_DAYS)).strftime("%Y%m%d")
    profile.page_views = {d: p for d, p in profile.page_views.items() if d >= oldest_day}
    profile.dwell_seconds = {d: s for d, s in profile.dwell_seconds.items() if d >= oldest_day}


def page_views_since(profile: Profile, path_prefix: str, since: date) -> int:
    """How many times pages under `path_prefix` were viewed on or after `since` (a store-zone date)."""
    first = since.strftime("%Y%m%d")
    return sum(
        n
        for day, paths in profile.page_views.items()
        if day >= first
        for path, n in paths.items()
        if path.startswith(path_prefix)
    )
