"""The customer profile and how each normalized event changes it.

Pure: no I/O. Three properties the ingest path relies on:
- idempotent per delivery: the caller dedupes deliveries; the counters below only ever see an event once;
- order-safe: an older event arriving late never moves a "last …" field, a consent or an order's status
  backwards (every field keeps the instant it was last set from);
- purchases are the orders that stand: an order canceled or refunded in full stops counting, and the first
  and last purchase (and each product's) become what the remaining orders say (`_forget_purchase`); a
  partial refund keeps the purchase at its amount less the refunds (`Order.net_amount`);
- bounded: history is kept for a window (orders 2 years, page views 60 days, product views 30 days), each
  part of it within a size budget (nudge.profiles.budget), so the item stays far from DynamoDB's 400 KB
  limit whoever writes it.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from nudge.profiles.events import (
    MAX_ATTRIBUTES,
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
    ProductBackInStock,
    ProductPriceDropped,
    VisitStarted,
)

ORDER_HISTORY = timedelta(days=730)
MAX_ORDERS = 200
MAX_PRODUCTS_PER_ORDER = 50  # an order keeps its first 50 distinct products (purchase.products, repurchase)
PAGE_VIEW_HISTORY_DAYS = 60
MAX_PATHS_PER_DAY = 100
# A day's page views: at most MAX_PATHS_PER_DAY distinct paths and PAGE_VIEW_DAY_BYTES in DynamoDB's terms
# (budget.day_size); a new path past either is not recorded that day (views of the day's paths still count).
PAGE_VIEW_DAY_BYTES = 8 * 1024
MAX_PATH_LENGTH = 256  # characters of a path kept; segment conditions compare the same first characters
MAX_CART_LINES = 100  # the lines added most recently
MAX_CATEGORIES_PER_ORDER = 30  # an order keeps the first 30 distinct categories of its lines
MAX_ITEM_NAME = 100  # characters kept of an order's first item's name (#{order_first_item})
# Product pages viewed (PageViewed.product_id, the tracker's): per product the instants of its last
# MAX_VIEWS_PER_PRODUCT views within PRODUCT_VIEW_HISTORY_DAYS, for at most MAX_VIEWED_PRODUCTS products
# (those viewed longest ago go first). A view within REPEAT_VIEW of the product's previous one is the same
# look (a reload, the back button) and is not counted again.
PRODUCT_VIEW_HISTORY_DAYS = 30
MAX_VIEWS_PER_PRODUCT = 10
MAX_VIEWED_PRODUCTS = 50
REPEAT_VIEW = timedelta(seconds=60)


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
    # Money given back so far (the refunds' amounts added up); None: never refunded. A refund reaching the
    # amount ends the order (REFUNDED); one below it keeps the purchase at its net amount.
    refunded: Decimal | None = None
    categories: tuple[str, ...] = ()  # the catalog's categories of its lines (purchase.categories)
    # What a message about the order names after it was placed (a shipped or delivered event carries no
    # lines): the first named line's name and how many lines it has (0: not known).
    first_item: str | None = None
    item_count: int = 0

    @property
    def counts_as_purchase(self) -> bool:
        """Paid and not canceled or refunded in full: what "order count" and "order amount" add up."""
        return self.paid_at is not None and self.status not in _ENDED

    @property
    def net_amount(self) -> Decimal | None:
        """The amount less what was refunded: what the order is worth to "order amount"."""
        if self.amount is None or self.refunded is None:
            return self.amount
        return max(self.amount - self.refunded, Decimal(0))

    @property
    def fully_refunded(self) -> bool:
        return self.refunded is not None and self.amount is not None and self.refunded >= self.amount


@dataclass(slots=True)
class Cart:
    lines: dict[str, int] = field(default_factory=dict)  # product id -> quantity
    prices: dict[str, Decimal] = field(default_factory=dict)  # product id -> unit price, when known
    last_added_at: datetime | None = None
    updated_at: datetime | None = None
    cleared_at: datetime | None = None  # the last order that emptied it
    added: dict[str, datetime] = field(default_factory=dict)  # product id -> last added (the oldest go first)
    names: dict[str, str] = field(default_factory=dict)  # product id -> the product's name, when known
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)  # product id -> its categories

    @property
    def item_count(self) -> int:
        return sum(self.lines.values())

    @property
    def amount(self) -> Decimal:
        return sum((self.prices.get(p, Decimal(0)) * q for p, q in self.lines.items()), Decimal(0))

    def holds(self, product_id: str) -> bool:
        """Whether the product is in the cart now (a line of quantity 0 is not)."""
        return self.lines.get(product_id, 0) > 0

    @property
    def last_added_name(self) -> str | None:
        """The name of the line added most recently among those whose name is known."""
        floor = datetime.min.replace(tzinfo=UTC)
        named = [p for p in self.lines if p in self.names and self.lines[p] > 0]
        if not named:
            return None
        return self.names[max(named, key=lambda p: (self.added.get(p) or floor, p))]

    def drop(self, product_id: str) -> None:
        self.lines.pop(product_id, None)
        self.prices.pop(product_id, None)
        self.added.pop(product_id, None)
        self.names.pop(product_id, None)
        self.categories.pop(product_id, None)

    def clear(self) -> None:
        for detail in (self.lines, self.prices, self.added, self.names, self.categories):
            detail.clear()


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
    grade: str | None = None  # the store's member grade (Cafe24 group_no), as the store names it
    # The store's own facts about the member (key -> value; events.Attributes): at most MAX_ATTRIBUTES.
    attributes: dict[str, str] = field(default_factory=dict)
    first_visit_at: datetime | None = None
    last_visit_at: datetime | None = None
    visit_count: int = 0
    page_views: dict[str, dict[str, int]] = field(default_factory=dict)  # YYYYMMDD (store zone) -> path -> n
    dwell_seconds: dict[str, int] = field(default_factory=dict)  # YYYYMMDD (store zone) -> seconds
    cart: Cart = field(default_factory=Cart)
    checkout: Checkout | None = None
    orders: dict[str, Order] = field(default_factory=dict)
    products_bought: dict[str, datetime] = field(default_factory=dict)  # product id -> last purchase
    # Product id -> instants of its recent views, oldest first (see MAX_VIEWS_PER_PRODUCT).
    product_views: dict[str, list[datetime]] = field(default_factory=dict)
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # The storefront tracker's allowance (nudge.ingest.tracker): batches taken in the window that started
    # then. Kept on the profile the batches write, so counting them costs no request of its own.
    tracker_window: datetime | None = None
    tracker_batches: int = 0
    # When DynamoDB may delete the profile (its TTL): anonymous visitors' profiles, which no message can
    # reach, go when their page views would all have aged out. None: kept.
    expires_at: datetime | None = None
    version: int = 0  # optimistic-concurrency counter, owned by the repository

    @property
    def order_count(self) -> int:
        return sum(1 for o in self.orders.values() if o.counts_as_purchase)

    @property
    def order_amount(self) -> Decimal:
        return sum(
            (o.net_amount or Decimal(0) for o in self.orders.values() if o.counts_as_purchase), Decimal(0)
        )

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
        profile.grade = profile.grade or details.grade
        _apply_attributes(profile.attributes, details.attributes or {}, stale=True)
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
    if details.grade is not None:
        profile.grade = details.grade
    _apply_attributes(profile.attributes, details.attributes or {}, stale=False)


def _apply_attributes(current: dict[str, str], given: dict[str, str], *, stale: bool) -> None:
    """The member's attributes with these applied: a newer value replaces the key's (an empty one removes
    it); a stale one only fills a key not known yet. A new key past MAX_ATTRIBUTES is not kept."""
    for key, value in given.items():
        if stale and key in current:
            continue
        if not value:
            current.pop(key, None)
        elif key in current or len(current) < MAX_ATTRIBUTES:
            current[key] = value


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
    if order.paid_at is None or not order.counts_as_purchase:
        return  # a payment read after the cancel or the full refund is no purchase
    profile.first_purchase_at = _earlier(profile.first_purchase_at, order.paid_at)
    profile.last_purchase_at = _later(profile.last_purchase_at, order.paid_at)
    for product in order.products:
        profile.products_bought[product] = _later(profile.products_bought.get(product), order.paid_at)


def _forget_purchase(profile: Profile, order: Order) -> None:
    """The order was a purchase and no longer is (canceled, refunded in full): the first and last purchase
    and each product's last purchase are what the orders that still stand say. Only the values this order
    set move; a purchase older than the order history (2 years, `prune`) still counts as the first one."""
    paid = order.paid_at
    if paid is None:
        return
    standing = [o for o in profile.orders.values() if o.counts_as_purchase and o.paid_at is not None]
    times = [o.paid_at for o in standing if o.paid_at is not None]
    first = profile.first_purchase_at
    if profile.last_purchase_at == paid:
        older = [first] if first is not None and first < paid else []
        profile.last_purchase_at = max(times + older, default=None)
    if first == paid:
        profile.first_purchase_at = min(times, default=None)
    for product in order.products:
        if profile.products_bought.get(product) != paid:
            continue
        bought = [o.paid_at for o in standing if product in o.products and o.paid_at is not None]
        if bought:
            profile.products_bought[product] = max(bought)
        else:
            del profile.products_bought[product]


def _refund(order: Order, event: OrderRefunded) -> None:
    """A refund of `event.amount` (None: the whole order). Refunds add up; once they reach the order's amount
    the order is refunded in full, whatever the other events' times (the money is back)."""
    if event.amount is None:
        _set_status(order, OrderStatus.REFUNDED, event.occurred_at)
        return
    order.refunded = (order.refunded or Decimal(0)) + event.amount
    _settle_refund(order, event.occurred_at)


def _settle_refund(order: Order, at: datetime) -> None:
    """Refunds that reach the amount (known now, or since) end the order."""
    if order.fully_refunded and order.status is not OrderStatus.REFUNDED:
        order.status = OrderStatus.REFUNDED
        order.status_at = max(order.status_at, at)


def _clear_cart_for_order(profile: Profile, at: datetime) -> None:
    cart = profile.cart
    cart.cleared_at = _later(cart.cleared_at, at)
    if cart.last_added_at is None or cart.last_added_at <= at:
        cart.clear()
        cart.updated_at = _later(cart.updated_at, at)


def _day_bytes(paths: dict[str, int]) -> int:
    """A day's page views as DynamoDB counts the map (budget.day_size, without importing it on every
    function's cold start): 3 bytes, and per path its UTF-8 bytes, its count's and 1."""
    return 3 + sum(_path_bytes(path, n) for path, n in paths.items())


def _path_bytes(path: str, views: int) -> int:
    digits = len(str(views).rstrip("0")) or 1
    return len(path.encode()) + (digits + 1) // 2 + 1 + 1


def _record_page_view(profile: Profile, day: str, path: str) -> None:
    paths = profile.page_views.setdefault(day, {})
    path = path[:MAX_PATH_LENGTH]
    if path in paths:
        paths[path] += 1
    elif len(paths) < MAX_PATHS_PER_DAY and _day_bytes(paths) + _path_bytes(path, 1) <= PAGE_VIEW_DAY_BYTES:
        paths[path] = 1


def _record_product_view(profile: Profile, product_id: str, at: datetime) -> None:
    """One view of a product page: its instant among the product's recent ones (late views in their place),
    unless it repeats a view within REPEAT_VIEW; then at most MAX_VIEWED_PRODUCTS products, the one viewed
    longest ago going first."""
    at = at.replace(microsecond=0)  # whole seconds, as the item keeps them
    views = profile.product_views.setdefault(product_id, [])
    if any(abs(at - seen) < REPEAT_VIEW for seen in views):
        return
    views.append(at)
    views.sort()
    del views[:-MAX_VIEWS_PER_PRODUCT]
    if len(profile.product_views) > MAX_VIEWED_PRODUCTS:
        by_age = sorted(profile.product_views, key=lambda p: (profile.product_views[p][-1], p))
        for product in by_age[: len(profile.product_views) - MAX_VIEWED_PRODUCTS]:
            del profile.product_views[product]


def product_views_since(profile: Profile, product_id: str, since: datetime) -> int:
    """How many times the product's page was viewed after `since` (at most MAX_VIEWS_PER_PRODUCT)."""
    return sum(1 for at in profile.product_views.get(product_id, ()) if at > since)


def _order_categories(event: OrderPlaced) -> tuple[str, ...]:
    categories = dict.fromkeys(c for line in event.lines for c in line.category_ids)
    return tuple(categories)[:MAX_CATEGORIES_PER_ORDER]


def _product_changed(cart: Cart, event: ProductBackInStock | ProductPriceDropped) -> None:
    """The catalog's news about a product in the cart: the cart's line takes its price and name now (the
    store charges today's price), so the cart's amount is what the customer would pay."""
    if not cart.holds(event.product_id):
        return
    if event.price is not None:
        cart.prices[event.product_id] = event.price
    if event.name is not None:
        cart.names[event.product_id] = event.name


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
            _record_page_view(profile, day, event.path)
            if event.dwell_seconds:
                profile.dwell_seconds[day] = profile.dwell_seconds.get(day, 0) + event.dwell_seconds
            if event.product_id is not None:
                _record_product_view(profile, event.product_id, at)
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
            products = dict.fromkeys(line.product_id for line in event.lines)
            order.products = tuple(products)[:MAX_PRODUCTS_PER_ORDER]
            order.categories = _order_categories(event)
            order.item_count = len(event.lines)
            named = next((line.name for line in event.lines if line.name), None)
            order.first_item = named[:MAX_ITEM_NAME] if named else None
            order.checkout_id = event.checkout_id
            _clear_cart_for_order(profile, at)
            checkout = profile.checkout
            if checkout is not None and event.checkout_id == checkout.checkout_id:
                checkout.completed_at = _earlier(checkout.completed_at, at)
            _settle_refund(order, order.status_at)  # a refund read before its order
            _record_purchase(profile, order)
        case OrderPaid():
            order = _order(profile, event.order_id, at)
            order.paid_at = _earlier(order.paid_at, at)
            if event.amount is not None and order.amount is None:
                order.amount = event.amount
                _settle_refund(order, order.status_at)
            _set_status(order, OrderStatus.PAID, at)
            _record_purchase(profile, order)
        case OrderShipped():
            _set_status(_order(profile, event.order_id, at), OrderStatus.SHIPPED, at)
        case OrderDelivered():
            order = _order(profile, event.order_id, at)
            order.delivered_at = _earlier(order.delivered_at, at)
            _set_status(order, OrderStatus.DELIVERED, at)
        case OrderCanceled():
            order = _order(profile, event.order_id, at)
            counted = order.counts_as_purchase
            _set_status(order, OrderStatus.CANCELED, at)
            if counted and not order.counts_as_purchase:
                _forget_purchase(profile, order)
        case OrderRefunded():
            order = _order(profile, event.order_id, at)
            counted = order.counts_as_purchase
            _refund(order, event)
            if counted and not order.counts_as_purchase:
                _forget_purchase(profile, order)
        case ProductBackInStock() | ProductPriceDropped():
            _product_changed(profile.cart, event)
    profile.updated_at = _later(profile.updated_at, at)


def _apply_cart(cart: Cart, event: CartUpdated) -> None:
    at = event.occurred_at
    if event.replace:
        if not _is_newer(cart.updated_at, at):
            return
        kept = [line for line in event.lines if line.quantity > 0]
        cart.lines = {line.product_id: line.quantity for line in kept}
        cart.prices = {line.product_id: line.price for line in kept if line.price is not None}
        cart.added = {line.product_id: at for line in kept}
        cart.names = {line.product_id: line.name for line in kept if line.name is not None}
        cart.categories = {line.product_id: line.category_ids for line in kept if line.category_ids}
        cart.updated_at = at
        if cart.lines:
            cart.last_added_at = _later(cart.last_added_at, at)
        _cap_cart(cart)
        return
    if cart.cleared_at is not None and at <= cart.cleared_at:
        return  # added before the order that emptied the cart
    for line in event.lines:
        cart.lines[line.product_id] = cart.lines.get(line.product_id, 0) + line.quantity
        if line.price is not None:
            cart.prices[line.product_id] = line.price
        if line.name is not None:
            cart.names[line.product_id] = line.name
        if line.category_ids:
            cart.categories[line.product_id] = line.category_ids
        cart.added[line.product_id] = _later(cart.added.get(line.product_id), at)
    cart.last_added_at = _later(cart.last_added_at, at)
    cart.updated_at = _later(cart.updated_at, at)
    _cap_cart(cart)


def _cap_cart(cart: Cart) -> None:
    """At most MAX_CART_LINES lines: those added longest ago go first (a line of an older item, with no
    time of its own, counts as added when the cart last changed)."""
    if len(cart.lines) <= MAX_CART_LINES:
        return
    floor = cart.updated_at or cart.last_added_at or datetime.min.replace(tzinfo=UTC)
    by_age = sorted(cart.lines, key=lambda p: (cart.added.get(p) or floor, p))
    for product in by_age[: len(cart.lines) - MAX_CART_LINES]:
        cart.drop(product)


def prune(profile: Profile, now: datetime, zone: ZoneInfo) -> None:
    """Drop history older than the windows segments look at, so the item stays small."""
    oldest_order = now - ORDER_HISTORY
    kept = [o for o in profile.orders.values() if (o.placed_at or o.status_at) >= oldest_order]
    kept.sort(key=lambda o: o.placed_at or o.status_at, reverse=True)
    profile.orders = {o.order_id: o for o in kept[:MAX_ORDERS]}
    oldest_day = (now.astimezone(zone).date() - timedelta(days=PAGE_VIEW_HISTORY_DAYS)).strftime("%Y%m%d")
    profile.page_views = {d: p for d, p in profile.page_views.items() if d >= oldest_day}
    profile.dwell_seconds = {d: s for d, s in profile.dwell_seconds.items() if d >= oldest_day}
    oldest_view = now - timedelta(days=PRODUCT_VIEW_HISTORY_DAYS)
    views = {p: [at for at in times if at > oldest_view] for p, times in profile.product_views.items()}
    profile.product_views = {p: times for p, times in views.items() if times}


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
