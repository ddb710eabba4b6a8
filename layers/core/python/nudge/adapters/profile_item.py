"""A profile as a DynamoDB item, and back.

Attribute names are short on purpose: every write is billed per KB and segment scans read every byte.
Instants are Unix seconds. Attributes added later (a cart line's name and categories, an order's
categories, first item and item count, product views, the member grade and attributes) are read as absent
from an item written before them. The key spreads one store over `SHARDS` partitions (pk = store#shard), so
a whole-store read is a handful of parallel Queries rather than one hot partition or a table scan.
"""

import zlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from nudge.profiles.profile import Cart, Checkout, Consent, Order, OrderStatus, Profile

SHARDS = 16


def shard_of(customer_id: str) -> int:
    return zlib.crc32(customer_id.encode()) % SHARDS


def partition_key(store_id: str, customer_id: str) -> str:
    return f"{store_id}#{shard_of(customer_id):02d}"


def _ts(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _dt(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value), UTC)


def _instant(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)


def to_item(profile: Profile) -> dict[str, Any]:
    """The item in boto3's Python types (Decimal for numbers); None values are left out."""
    cart = profile.cart
    item: dict[str, Any] = {
        "pk": partition_key(profile.store_id, profile.customer_id),
        "sk": profile.customer_id,
        "v": profile.version,
        "ph": profile.phone,
        "nm": profile.name,
        "em": profile.email,
        "da": _ts(profile.details_at),
        "jn": _ts(profile.joined_at),
        "ll": _ts(profile.last_login_at),
        "cs": {ch: [int(c.granted), _ts(c.at), c.source] for ch, c in profile.consents.items()} or None,
        "cf": profile.channel_friend,
        "cfa": _ts(profile.channel_friend_at),
        "ad": profile.adult_verified or None,
        "gr": profile.grade,
        "ma": profile.attributes or None,  # the member's attributes
        "fv": _ts(profile.first_visit_at),
        "lv": _ts(profile.last_visit_at),
        "vc": profile.visit_count or None,
        "pv": profile.page_views or None,
        "dw": profile.dwell_seconds or None,
        "ct": {
            k: v
            for k, v in {
                "l": cart.lines or None,
                "p": cart.prices or None,
                "t": {p: _ts(at) for p, at in cart.added.items()} or None,
                "n": cart.names or None,
                "c": {p: list(c) for p, c in cart.categories.items()} or None,
                "la": _ts(cart.last_added_at),
                "ua": _ts(cart.updated_at),
                "ca": _ts(cart.cleared_at),
            }.items()
            if v is not None
        }
        or None,
        "co": _checkout_item(profile.checkout),
        "od": {o.order_id: _order_item(o) for o in profile.orders.values()} or None,
        "pb": {p: _ts(at) for p, at in profile.products_bought.items()} or None,
        "vw": {p: [_ts(at) for at in times] for p, times in profile.product_views.items()} or None,
        "fp": _ts(profile.first_purchase_at),
        "lp": _ts(profile.last_purchase_at),
        # Derived, stored so segment evaluation does not recompute them per profile.
        "oc": profile.order_count or None,
        "oa": profile.order_amount or None,
        "ci": cart.item_count or None,
        "cam": cart.amount or None,
        "cr": _ts(profile.created_at),
        "up": _ts(profile.updated_at),
        "tr": None
        if profile.tracker_window is None
        else [_ts(profile.tracker_window), profile.tracker_batches],
        "ttl": _ts(profile.expires_at),  # the table's TTL attribute
    }
    return {k: v for k, v in item.items() if v is not None}


def _checkout_item(checkout: Checkout | None) -> dict[str, Any] | None:
    if checkout is None:
        return None
    item = {
        "id": checkout.checkout_id,
        "at": _ts(checkout.started_at),
        "amt": checkout.amount,
        "url": checkout.recovery_url,
        "done": _ts(checkout.completed_at),
    }
    return {k: v for k, v in item.items() if v is not None}


def _order_item(order: Order) -> list[Any]:
    item = [
        order.status.value,
        _ts(order.status_at),
        _ts(order.placed_at),
        order.amount,
        list(order.products),
        _ts(order.paid_at),
        _ts(order.delivered_at),
        order.checkout_id,
    ]
    return [*item, *order_tail(order)]


def order_tail(order: Order) -> list[Any]:
    """The elements added to an order after the first eight: [refunded, categories, first item's name, item
    count], without those that trail empty (null, an empty list), so an order without them is stored as
    before and an item written before them reads the same."""
    tail: list[Any] = [order.refunded, list(order.categories), order.first_item, order.item_count or None]
    while tail and tail[-1] in (None, []):
        tail.pop()
    return tail


def from_item(store_id: str, item: dict[str, Any]) -> Profile:
    cart_item = item.get("ct", {})
    checkout_item = item.get("co")
    return Profile(
        store_id=store_id,
        customer_id=item["sk"],
        phone=item.get("ph"),
        name=item.get("nm"),
        email=item.get("em"),
        details_at=_dt(item.get("da")),
        joined_at=_dt(item.get("jn")),
        last_login_at=_dt(item.get("ll")),
        consents={
            ch: Consent(bool(c[0]), _dt(c[1]) or datetime.min.replace(tzinfo=UTC), c[2])
            for ch, c in item.get("cs", {}).items()
        },
        channel_friend=item.get("cf"),
        channel_friend_at=_dt(item.get("cfa")),
        adult_verified=bool(item.get("ad", False)),
        grade=item.get("gr"),
        attributes=dict(item.get("ma", {})),
        first_visit_at=_dt(item.get("fv")),
        last_visit_at=_dt(item.get("lv")),
        visit_count=int(item.get("vc", 0)),
        page_views={d: {p: int(n) for p, n in paths.items()} for d, paths in item.get("pv", {}).items()},
        dwell_seconds={d: int(s) for d, s in item.get("dw", {}).items()},
        cart=Cart(
            lines={p: int(q) for p, q in cart_item.get("l", {}).items()},
            prices={p: Decimal(v) for p, v in cart_item.get("p", {}).items()},
            added={p: _instant(at) for p, at in cart_item.get("t", {}).items()},
            names=dict(cart_item.get("n", {})),
            categories={p: tuple(c) for p, c in cart_item.get("c", {}).items()},
            last_added_at=_dt(cart_item.get("la")),
            updated_at=_dt(cart_item.get("ua")),
            cleared_at=_dt(cart_item.get("ca")),
        ),
        checkout=None
        if checkout_item is None
        else Checkout(
            checkout_id=checkout_item["id"],
            started_at=_dt(checkout_item["at"]) or datetime.min.replace(tzinfo=UTC),
            amount=checkout_item.get("amt"),
            recovery_url=checkout_item.get("url"),
            completed_at=_dt(checkout_item.get("done")),
        ),
        orders=orders_from_item(item),
        products_bought={p: _instant(at) for p, at in item.get("pb", {}).items()},
        product_views={p: [_instant(at) for at in times] for p, times in item.get("vw", {}).items()},
        first_purchase_at=_dt(item.get("fp")),
        last_purchase_at=_dt(item.get("lp")),
        created_at=_dt(item.get("cr")),
        updated_at=_dt(item.get("up")),
        tracker_window=_dt(item.get("tr", [None])[0]),
        tracker_batches=int(item.get("tr", [None, 0])[1]),
        expires_at=_dt(item.get("ttl")),
        version=int(item.get("v", 0)),
    )


# What a read of orders alone (a report's) asks of each profile item.
ORDERS_PROJECTION = "sk, od"


def orders_from_item(item: dict[str, Any]) -> dict[str, Order]:
    """The orders of a profile item (whole, or read with ORDERS_PROJECTION), by order id."""
    return {oid: _order(oid, o) for oid, o in item.get("od", {}).items()}


def _order(order_id: str, o: list[Any]) -> Order:
    status, status_at, placed_at, amount, products, paid_at, delivered_at, checkout_id, *later = o
    return Order(
        order_id=order_id,
        status=OrderStatus(status),
        status_at=_dt(status_at) or datetime.min.replace(tzinfo=UTC),
        placed_at=_dt(placed_at),
        amount=amount,
        products=tuple(products),
        paid_at=_dt(paid_at),
        delivered_at=_dt(delivered_at),
        checkout_id=checkout_id,
        refunded=later[0] if later else None,
        categories=tuple(later[1]) if len(later) > 1 else (),
        first_item=later[2] if len(later) > 2 else None,
        item_count=int(later[3]) if len(later) > 3 and later[3] is not None else 0,
    )
