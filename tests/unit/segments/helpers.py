"""A small synthetic store: profiles built by hand, in the store's zone, around one fixed "now"."""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from boto3.dynamodb.types import TypeSerializer

from nudge.adapters.profile_item import to_item
from nudge.profiles.profile import Cart, Checkout, Consent, Order, OrderStatus, Profile

KST = ZoneInfo("Asia/Seoul")
# Dog Day campaign week: the promotion starts 2026-03-18, today is Friday 2026-03-20, 15:00 in Seoul.
NOW = datetime(2026, 3, 20, 15, 0, tzinfo=KST)
STORE = "dogday-mall"

_serializer = TypeSerializer()


def days_ago(days: float, hour: int | None = None) -> datetime:
    """An instant `days` before now; with `hour`, that store-local day at that hour."""
    at = NOW - timedelta(days=days)
    return at if hour is None else at.replace(hour=hour, minute=0)


def day_key(days: int) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y%m%d")


def order(
    order_id: str,
    paid: datetime | None,
    amount: int,
    products: tuple[str, ...] = ("P1",),
    status: OrderStatus = OrderStatus.PAID,
) -> Order:
    return Order(
        order_id=order_id,
        status=status,
        status_at=paid or NOW,
        placed_at=paid,
        amount=Decimal(amount),
        products=products,
        paid_at=paid,
    )


def customer(customer_id: str, orders: Sequence[Order] = (), **fields: Any) -> Profile:
    """A profile with `fields` set; purchase fields follow from `orders` like ingest would set them."""
    profile = Profile(store_id=STORE, customer_id=customer_id, **fields)
    for o in orders:
        profile.orders[o.order_id] = o
        if o.paid_at is not None:
            profile.first_purchase_at = min(filter(None, [profile.first_purchase_at, o.paid_at]))
            profile.last_purchase_at = max(filter(None, [profile.last_purchase_at, o.paid_at]))
            for p in o.products:
                profile.products_bought[p] = max(filter(None, [profile.products_bought.get(p), o.paid_at]))
    return profile


def cart(lines: dict[str, int], added: datetime, prices: dict[str, int] | None = None) -> Cart:
    return Cart(
        lines=dict(lines),
        prices={p: Decimal(v) for p, v in (prices or {}).items()},
        last_added_at=added,
        updated_at=added,
    )


def consent(granted: bool = True) -> Consent:
    return Consent(granted, datetime(2025, 1, 1, tzinfo=UTC), "join")


def checkout(started: datetime, completed: datetime | None = None) -> Checkout:
    return Checkout("ck-1", started, Decimal(50000), "https://shop.example/cart", completed)


def dynamodb_item(profile: Profile) -> dict[str, Any]:
    """The item as DynamoDB returns it: profile_item.to_item, then boto3's TypeSerializer."""
    return {k: _serializer.serialize(v) for k, v in to_item(profile).items()}


def project(item: dict[str, Any], paths: Iterable[tuple[str, ...]]) -> dict[str, Any]:
    """What a Query with a ProjectionExpression of these document paths returns for the item."""
    out: dict[str, Any] = {}
    for path in paths:
        source, target = item, out
        for depth, name in enumerate(path):
            container = source if depth == 0 else source.get("M", {})
            if name not in container:
                break
            if depth == len(path) - 1:
                target[name] = container[name]
            else:
                source = container[name]
                target = target.setdefault(name, {"M": {}})["M"]
    return _drop_empty(out)


def _drop_empty(item: dict[str, Any]) -> dict[str, Any]:
    # A projected map none of whose paths exist is left out, as DynamoDB does.
    return {k: v for k, v in item.items() if not (isinstance(v, dict) and v.get("M") == {} and len(v) == 1)}
