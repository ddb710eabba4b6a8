"""A segment resolved against one moment and one store: the common input of both evaluators.

Resolution turns every relative or absolute date into Unix-second ranges and YYYYMMDD day lists, and
every comparison into (operator, number) pairs. The profile evaluator (evaluate.py) and the DynamoDB-item
evaluator (item_compiler.py) both read this plan and nothing else, so they cannot disagree about what
"within 7 days" or "3월 18일 이후" means.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from nudge.profiles.profile import MAX_PATH_LENGTH
from nudge.segments import language as lang
from nudge.segments.score import PAGE_REPEAT_DAYS
from nudge.segments.windows import date_range, history_days, instant_range, recent_days, store_today

Test = tuple[tuple[str, float], ...]  # every (operator, number) must hold
InstantSource = Literal[
    "joined", "last_login", "first_visit", "last_visit", "cart_last_added", "first_purchase", "last_purchase"
]
NumberSource = Literal["visit_count", "cart_items", "cart_amount", "orders", "spend", "score"]

_DATE_SOURCES: dict[str, InstantSource] = {
    "member.joined": "joined",
    "member.last_login": "last_login",
    "traffic.first_visit": "first_visit",
    "traffic.last_visit": "last_visit",
    "cart.last_added": "cart_last_added",
    "purchase.first": "first_purchase",
    "purchase.last": "last_purchase",
}
_NUMBER_SOURCES: dict[str, NumberSource] = {
    "traffic.visit_count": "visit_count",
    "cart.item_count": "cart_items",
    "cart.amount": "cart_amount",
    "purchase.count": "orders",
    "purchase.amount": "spend",
    "score": "score",
}


@dataclass(frozen=True, slots=True)
class Always:
    pass


@dataclass(frozen=True, slots=True)
class InstantIn:
    """The instant is known and start <= instant < end (None: open side)."""

    source: InstantSource
    start: int | None
    end: int | None


@dataclass(frozen=True, slots=True)
class CheckoutOpen:
    start: int | None
    end: int | None


@dataclass(frozen=True, slots=True)
class ConsentIs:
    channel: str
    granted: bool


@dataclass(frozen=True, slots=True)
class FriendIs:
    value: bool


@dataclass(frozen=True, slots=True)
class GradeIn:
    """The member grade is known and one of `grades`."""

    grades: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NumberIs:
    source: NumberSource
    test: Test


@dataclass(frozen=True, slots=True)
class DaySum:
    """Sum over the listed days of page views (of a path or prefix) or of dwell seconds."""

    source: Literal["page_views", "dwell"]
    days: tuple[str, ...]
    path: str | None
    exact: bool
    test: Test


@dataclass(frozen=True, slots=True)
class OrdersIn:
    """Count or amount of purchases paid in [start, end), only orders of at least `min_amount`."""

    measure: Literal["count", "amount"]
    start: int | None
    end: int | None
    min_amount: float | None
    test: Test


@dataclass(frozen=True, slots=True)
class ProductsIn:
    """The cart holds, or the customer bought (last time in [start, end)), any / all of `products`."""

    source: Literal["cart", "bought"]
    products: tuple[str, ...]
    every: bool
    start: int | None
    end: int | None


@dataclass(frozen=True, slots=True)
class CategoriesIn:
    """The cart holds products of, or paid orders (paid in [start, end)) bought products of, any / all of
    `categories`."""

    source: Literal["cart", "bought"]
    categories: tuple[str, ...]
    every: bool
    start: int | None
    end: int | None


@dataclass(frozen=True, slots=True)
class Group:
    every: bool  # True: all conditions; False: any
    nodes: tuple["Node", ...]


Node = (
    Always
    | InstantIn
    | CheckoutOpen
    | ConsentIs
    | FriendIs
    | GradeIn
    | NumberIs
    | DaySum
    | OrdersIn
    | ProductsIn
    | CategoriesIn
    | Group
)


@dataclass(frozen=True, slots=True)
class Plan:
    include: Group
    exclude: tuple[Node, ...]
    now: int  # Unix seconds
    repeat_days: tuple[str, ...]  # the score's page-repeat window, newest first


def _test(c: lang._Comparison) -> Test:
    if c.between is not None:
        return ((">=", float(c.between[0])), ("<=", float(c.between[1])))
    assert c.op is not None and c.value is not None  # the model validator guarantees one form
    return ((c.op, float(c.value)),)


class _Resolver:
    def __init__(self, now: datetime, zone: ZoneInfo) -> None:
        self.zone = zone
        self.today = store_today(now, zone)

    def dates(self, c: lang._DateBounds) -> tuple[int | None, int | None]:
        first, last = c.absolute_days()
        lo, hi = date_range(self.today, c.within_days, c.not_within_days, first, last)
        return instant_range(lo, hi, self.zone)

    def days(self, c: lang._DateBounds) -> tuple[str, ...]:
        first, last = c.absolute_days()
        lo, hi = date_range(self.today, c.within_days, c.not_within_days, first, last)
        return tuple(history_days(self.today, lo, hi))

    def node(self, c: lang._Condition) -> Node:
        match c:
            case lang.AllMembers():
                return Always()
            case lang.MemberDate() | lang.TrafficDate() | lang.CartDate() | lang.PurchaseDate():
                return InstantIn(_DATE_SOURCES[c.field], *self.dates(c))
            case lang.CheckoutOpen():
                return CheckoutOpen(*self.dates(c))
            case lang.Consent():
                return ConsentIs(c.channel, c.granted)
            case lang.ChannelFriend():
                return FriendIs(c.value)
            case lang.MemberGrade():
                return GradeIn(tuple(dict.fromkeys(c.any_of)))
            case lang.Dwell():
                return DaySum("dwell", self.days(c), None, False, _test(c))
            case lang.PageViews():
                # A profile keeps a path's first MAX_PATH_LENGTH characters: compare the same ones.
                path = c.path[:MAX_PATH_LENGTH]
                return DaySum("page_views", self.days(c), path, c.match == "exact", _test(c))
            case lang.PurchaseTotals():
                if not c.bounded and c.min_order_amount is None:
                    # The whole kept history: the totals stored on the profile answer it without a walk.
                    return NumberIs(_NUMBER_SOURCES[c.field], _test(c))
                measure: Literal["count", "amount"] = "count" if c.field == "purchase.count" else "amount"
                min_amount = None if c.min_order_amount is None else float(c.min_order_amount)
                return OrdersIn(measure, *self.dates(c), min_amount, _test(c))
            case lang.VisitCount() | lang.CartNumber() | lang.Score():
                return NumberIs(_NUMBER_SOURCES[c.field], _test(c))
            case lang.CartProducts():
                return ProductsIn("cart", tuple(c.any_of or c.all_of or ()), c.all_of is not None, None, None)
            case lang.PurchasedProducts():
                products = tuple(c.any_of or c.all_of or ())
                return ProductsIn("bought", products, c.all_of is not None, *self.dates(c))
            case lang.CartCategories():
                categories = tuple(c.any_of or c.all_of or ())
                return CategoriesIn("cart", categories, c.all_of is not None, None, None)
            case lang.PurchasedCategories():
                categories = tuple(c.any_of or c.all_of or ())
                return CategoriesIn("bought", categories, c.all_of is not None, *self.dates(c))
            case lang.AnyOf():
                return Group(False, tuple(self.node(x) for x in c.conditions))
            case lang.AllOf():
                return Group(True, tuple(self.node(x) for x in c.conditions))
        raise TypeError(f"no plan for condition {type(c).__name__}")


def resolve(segment: lang.Segment, now: datetime, zone: ZoneInfo) -> Plan:
    r = _Resolver(now, zone)
    return Plan(
        include=Group(segment.match == "all", tuple(r.node(c) for c in segment.include)),
        exclude=tuple(r.node(c) for c in segment.exclude),
        now=int(now.timestamp()),
        repeat_days=tuple(recent_days(now, zone, PAGE_REPEAT_DAYS)),
    )


def passes(value: float, test: Test) -> bool:
    return all(_OPS[op](value, bound) for op, bound in test)


_OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
