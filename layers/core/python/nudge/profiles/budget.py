"""A profile's size budget, in DynamoDB's item-size terms, and how a profile is kept within it.

A profile is one DynamoDB item, and DynamoDB refuses an item over 400 KB: a profile that grew past it could
not be written again, so the customer's next order, consent withdrawal or anything else would fail (a 500,
which the platform retries, then gives up on). So every profile has a budget, and so has each part of it:

| part | budget | what goes first when a write would exceed it |
|---|---|---|
| page views and dwell time | PAGE_VIEWS (64 KB); a day's page views PAGE_VIEW_DAY (8 KB) | the oldest day |
| product views | PRODUCT_VIEWS (8 KB) | the product viewed longest ago |
| cart (lines, prices, names, categories) | CART (20 KB) | the line added longest ago |
| orders | ORDERS (128 KB) | the oldest order |
| products bought | PRODUCTS_BOUGHT (16 KB) | the product bought longest ago |
| identity, attributes, consents, checkout, counters | their own limits (a test builds the largest) | never |

Every part has its own budget, so one part can never take another's room: page views and product views,
which the public tracker writes, can never crowd out an order or a consent. The budgets and the largest
possible fixed parts add up to less than PROFILE_BUDGET (256 KB), well under DynamoDB's 400 KB. A write
that would exceed a budget never fails: `fit` drops the oldest detail of that part, and says which parts it
trimmed.

Sizes are DynamoDB's (developer guide, "Item sizes and formats"): a string is its UTF-8 bytes, a number 1
byte per two significant digits plus 1, a boolean or null 1 byte, a map or list 3 bytes plus, per element,
1 byte, its value and (in a map) its key; every top-level attribute adds its name. The sizes below follow
the stored layout (nudge.adapters.profile_item) with NAME_ALLOWANCE bytes per attribute name: a test
writes random profiles through that adapter and checks these sizes against the item's own, so the two
cannot drift apart.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from nudge.profiles.profile import PAGE_VIEW_DAY_BYTES, Cart, Checkout, Order, Profile

KB = 1024
DYNAMODB_ITEM_LIMIT = 400 * KB
PROFILE_BUDGET = 256 * KB
NAME_ALLOWANCE = 4  # bytes per top-level attribute name: the adapter's names are 2 or 3 characters


class Part(StrEnum):
    IDENTITY = "identity"  # keys, contact details, counters, instants: bounded by their fields
    CONSENTS = "consents"  # five channels at most: bounded
    CHECKOUT = "checkout"  # one open checkout: bounded
    PAGE_VIEWS = "page_views"
    PRODUCT_VIEWS = "product_views"
    CART = "cart"
    ORDERS = "orders"
    PRODUCTS_BOUGHT = "products_bought"


BUDGETS: dict[Part, int] = {
    Part.PAGE_VIEWS: 64 * KB,
    Part.PRODUCT_VIEWS: 8 * KB,
    Part.CART: 20 * KB,
    Part.ORDERS: 128 * KB,
    Part.PRODUCTS_BOUGHT: 16 * KB,
}
# One day's page views: a new path past this is not recorded that day (nudge.profiles.profile).
PAGE_VIEW_DAY = PAGE_VIEW_DAY_BYTES
# The parts `fit` may trim to bring a profile within PROFILE_BUDGET, in this order. Orders and consents are
# never among them.
SQUEEZABLE = (Part.PAGE_VIEWS, Part.PRODUCT_VIEWS, Part.CART, Part.PRODUCTS_BOUGHT)


# ---------------------------------------------------------------- DynamoDB's sizes


def text_size(value: str) -> int:
    return len(value.encode())


def number_size(value: int | Decimal) -> int:
    """1 byte per two significant digits (leading and trailing zeros trimmed), plus 1."""
    if isinstance(value, int):
        digits = len(str(abs(value)).rstrip("0")) or 1
    else:
        digits = len(value.normalize().as_tuple().digits)
    return (digits + 1) // 2 + 1


def instant_size(at: datetime | None) -> int:
    """An instant as the adapter stores it (Unix seconds), or a null in a list."""
    return 1 if at is None else number_size(int(at.timestamp()))


def map_size(entries: Iterable[tuple[str, int]]) -> int:
    """A map of (key, value size) entries."""
    return 3 + sum(text_size(key) + size + 1 for key, size in entries)


def list_size(sizes: Iterable[int]) -> int:
    return 3 + sum(size + 1 for size in sizes)


def _attribute(size: int) -> int:
    return NAME_ALLOWANCE + size


def _optional(at: datetime | None) -> int:
    return 0 if at is None else _attribute(instant_size(at))


# ---------------------------------------------------------------- each part's size


def day_size(paths: dict[str, int]) -> int:
    """One day's page views: path -> views."""
    return map_size((path, number_size(n)) for path, n in paths.items())


def page_views_size(profile: Profile) -> int:
    size = 0
    if profile.page_views:
        size += _attribute(map_size((day, day_size(paths)) for day, paths in profile.page_views.items()))
    if profile.dwell_seconds:
        size += _attribute(map_size((day, number_size(s)) for day, s in profile.dwell_seconds.items()))
    return size


def product_views_size(profile: Profile) -> int:
    """Product id -> the instants of its recent views."""
    if not profile.product_views:
        return 0
    return _attribute(map_size((p, _views_size(times)) for p, times in profile.product_views.items()))


def _views_size(times: list[datetime]) -> int:
    return list_size(instant_size(at) for at in times)


def _categories_size(categories: tuple[str, ...]) -> int:
    return list_size(text_size(c) for c in categories)


def cart_size(cart: Cart) -> int:
    entries = []
    if cart.lines:
        entries.append(("l", map_size((p, number_size(q)) for p, q in cart.lines.items())))
    if cart.prices:
        entries.append(("p", map_size((p, number_size(v)) for p, v in cart.prices.items())))
    if cart.added:
        entries.append(("t", map_size((p, instant_size(at)) for p, at in cart.added.items())))
    if cart.names:
        entries.append(("n", map_size((p, text_size(name)) for p, name in cart.names.items())))
    if cart.categories:
        entries.append(("c", map_size((p, _categories_size(c)) for p, c in cart.categories.items())))
    for key, at in (("la", cart.last_added_at), ("ua", cart.updated_at), ("ca", cart.cleared_at)):
        if at is not None:
            entries.append((key, instant_size(at)))
    return _attribute(map_size(entries)) if entries else 0


def checkout_size(checkout: Checkout | None) -> int:
    if checkout is None:
        return 0
    entries = [("id", text_size(checkout.checkout_id)), ("at", instant_size(checkout.started_at))]
    if checkout.amount is not None:
        entries.append(("amt", number_size(checkout.amount)))
    if checkout.recovery_url is not None:
        entries.append(("url", text_size(checkout.recovery_url)))
    if checkout.completed_at is not None:
        entries.append(("done", instant_size(checkout.completed_at)))
    return _attribute(map_size(entries))


def order_size(order: Order) -> int:
    """One order as stored: [status, status_at, placed_at, amount, products, paid_at, delivered_at,
    checkout_id], then [refunded, categories, first item's name, item count] without those that trail
    empty (null, an empty list); an empty one before a later one is a null or an empty list."""
    tail: list[int] = []
    for value in _order_tail(order):
        if value is None:
            tail.append(1)
        elif isinstance(value, tuple):
            tail.append(_categories_size(value))
        elif isinstance(value, str):
            tail.append(text_size(value))
        else:
            tail.append(number_size(value))
    return list_size(
        (
            text_size(order.status.value),
            instant_size(order.status_at),
            instant_size(order.placed_at),
            1 if order.amount is None else number_size(order.amount),
            list_size(text_size(p) for p in order.products),
            instant_size(order.paid_at),
            instant_size(order.delivered_at),
            1 if order.checkout_id is None else text_size(order.checkout_id),
            *tail,
        )
    )


def _order_tail(order: Order) -> list[Decimal | tuple[str, ...] | str | int | None]:
    """The stored order's elements after its eighth (nudge.adapters.profile_item.order_tail)."""
    tail: list[Decimal | tuple[str, ...] | str | int | None] = [
        order.refunded, order.categories, order.first_item, order.item_count or None,
    ]  # fmt: skip
    while tail and tail[-1] in (None, ()):
        tail.pop()
    return tail


def orders_size(profile: Profile) -> int:
    if not profile.orders:
        return 0
    return _attribute(map_size((oid, order_size(o)) for oid, o in profile.orders.items()))


def products_bought_size(profile: Profile) -> int:
    if not profile.products_bought:
        return 0
    return _attribute(map_size((p, instant_size(at)) for p, at in profile.products_bought.items()))


def consents_size(profile: Profile) -> int:
    if not profile.consents:
        return 0
    return _attribute(
        map_size(
            (channel, list_size((number_size(int(c.granted)), instant_size(c.at), text_size(c.source))))
            for channel, c in profile.consents.items()
        )
    )


def identity_size(profile: Profile) -> int:
    """The keys, contact details, flags, counters and instants: each bounded by its field's own limits."""
    shard_key = f"{profile.store_id}#00"
    size = _attribute(text_size(shard_key)) + _attribute(text_size(profile.customer_id))
    size += _attribute(number_size(profile.version))
    for value in (profile.phone, profile.name, profile.email, profile.grade):
        if value is not None:
            size += _attribute(text_size(value))
    if profile.attributes:
        size += _attribute(map_size((k, text_size(v)) for k, v in profile.attributes.items()))
    for flag in (profile.channel_friend, profile.adult_verified or None):
        if flag is not None:
            size += _attribute(1)
    for count in (profile.visit_count, profile.order_count, profile.cart.item_count):
        if count:
            size += _attribute(number_size(count))
    for amount in (profile.order_amount, profile.cart.amount):
        if amount:
            size += _attribute(number_size(amount))
    for at in (
        profile.details_at, profile.joined_at, profile.last_login_at, profile.channel_friend_at,
        profile.first_visit_at, profile.last_visit_at, profile.first_purchase_at, profile.last_purchase_at,
        profile.created_at, profile.updated_at, profile.expires_at,
    ):  # fmt: skip
        size += _optional(at)
    if profile.tracker_window is not None:
        window = (instant_size(profile.tracker_window), number_size(profile.tracker_batches))
        size += _attribute(list_size(window))
    return size


def part_sizes(profile: Profile) -> dict[Part, int]:
    return {
        Part.IDENTITY: identity_size(profile),
        Part.CONSENTS: consents_size(profile),
        Part.CHECKOUT: checkout_size(profile.checkout),
        Part.PAGE_VIEWS: page_views_size(profile),
        Part.PRODUCT_VIEWS: product_views_size(profile),
        Part.CART: cart_size(profile.cart),
        Part.ORDERS: orders_size(profile),
        Part.PRODUCTS_BOUGHT: products_bought_size(profile),
    }


def profile_size(profile: Profile) -> int:
    """The profile's item size as DynamoDB counts it (at most NAME_ALLOWANCE bytes a name over)."""
    return sum(part_sizes(profile).values())


# ---------------------------------------------------------------- keeping within the budget
# Each trimmable part as units, oldest first, with what each unit adds to the part's size: trimming takes
# units off the front until the part fits (one pass, whatever the part's size).

Unit = tuple[str, int]  # (key, bytes)


def _page_view_days(profile: Profile) -> list[Unit]:
    views, dwell = profile.page_views, profile.dwell_seconds
    return [
        (
            day,
            (text_size(day) + day_size(views[day]) + 1 if day in views else 0)
            + (text_size(day) + number_size(dwell[day]) + 1 if day in dwell else 0),
        )
        for day in sorted({*views, *dwell})
    ]


def _cart_lines(profile: Profile) -> list[Unit]:
    cart = profile.cart
    floor = cart.updated_at or cart.last_added_at or datetime.min.replace(tzinfo=UTC)

    def line(p: str) -> int:
        size = text_size(p) + number_size(cart.lines[p]) + 1 if p in cart.lines else 0
        if p in cart.prices:
            size += text_size(p) + number_size(cart.prices[p]) + 1
        if p in cart.added:
            size += text_size(p) + instant_size(cart.added[p]) + 1
        if p in cart.names:
            size += text_size(p) + text_size(cart.names[p]) + 1
        if p in cart.categories:
            size += text_size(p) + _categories_size(cart.categories[p]) + 1
        return size

    products = {*cart.lines, *cart.prices, *cart.added, *cart.names, *cart.categories}
    return [(p, line(p)) for p in sorted(products, key=lambda p: (cart.added.get(p) or floor, p))]


def _viewed_products(profile: Profile) -> list[Unit]:
    views = profile.product_views
    oldest_first = sorted(views, key=lambda p: (max(views[p], default=_EPOCH), p))
    return [(p, text_size(p) + _views_size(views[p]) + 1) for p in oldest_first]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _orders(profile: Profile) -> list[Unit]:
    oldest_first = sorted(profile.orders.values(), key=lambda o: (o.placed_at or o.status_at, o.order_id))
    return [(o.order_id, text_size(o.order_id) + order_size(o) + 1) for o in oldest_first]


def _purchases(profile: Profile) -> list[Unit]:
    bought = profile.products_bought
    oldest_first = sorted(bought, key=lambda p: (bought[p], p))
    return [(p, text_size(p) + instant_size(bought[p]) + 1) for p in oldest_first]


def _drop_day(profile: Profile, day: str) -> None:
    profile.page_views.pop(day, None)
    profile.dwell_seconds.pop(day, None)


def _drop_line(profile: Profile, product: str) -> None:
    profile.cart.drop(product)


def _drop_viewed(profile: Profile, product: str) -> None:
    del profile.product_views[product]


def _drop_order(profile: Profile, order_id: str) -> None:
    del profile.orders[order_id]


def _drop_purchase(profile: Profile, product: str) -> None:
    del profile.products_bought[product]


_SIZE: dict[Part, Callable[[Profile], int]] = {
    Part.PAGE_VIEWS: page_views_size,
    Part.PRODUCT_VIEWS: product_views_size,
    Part.CART: lambda profile: cart_size(profile.cart),
    Part.ORDERS: orders_size,
    Part.PRODUCTS_BOUGHT: products_bought_size,
}
_UNITS: dict[Part, Callable[[Profile], list[Unit]]] = {
    Part.PAGE_VIEWS: _page_view_days,
    Part.PRODUCT_VIEWS: _viewed_products,
    Part.CART: _cart_lines,
    Part.ORDERS: _orders,
    Part.PRODUCTS_BOUGHT: _purchases,
}
_DROP: dict[Part, Callable[[Profile, str], None]] = {
    Part.PAGE_VIEWS: _drop_day,
    Part.PRODUCT_VIEWS: _drop_viewed,
    Part.CART: _drop_line,
    Part.ORDERS: _drop_order,
    Part.PRODUCTS_BOUGHT: _drop_purchase,
}


def _trim(profile: Profile, part: Part, budget: int) -> bool:
    """Drop the part's oldest units until it fits `budget`; whether anything was dropped."""
    size = _SIZE[part](profile)
    if size <= budget:
        return False
    while size > budget:
        units = _UNITS[part](profile)
        if not units:
            break
        for key, unit in units:
            _DROP[part](profile, key)
            size -= unit
            if size <= budget:
                break
        size = _SIZE[part](profile)  # a sub-map left empty is left out too: measure again
    return True


def fit(profile: Profile) -> tuple[Part, ...]:
    """Bring every part within its budget and the profile within PROFILE_BUDGET, the oldest detail first;
    the parts that were trimmed (usually none). Orders are trimmed only to their own budget, which page
    views or a cart can never take; consents and the identity are never trimmed."""
    trimmed = [part for part, budget in BUDGETS.items() if _trim(profile, part, budget)]
    # Unreachable while the budgets and the bounded parts add up to PROFILE_BUDGET (a test holds them to it):
    # should a part's limits ever change without the budgets, the tracker-fed detail gives way first.
    excess = profile_size(profile) - PROFILE_BUDGET
    for part in SQUEEZABLE:
        if excess <= 0:
            break
        before = _SIZE[part](profile)
        if _trim(profile, part, max(0, before - excess)):
            trimmed.append(part)
        excess -= before - _SIZE[part](profile)
    return tuple(dict.fromkeys(trimmed))
