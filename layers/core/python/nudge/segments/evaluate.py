"""Compile a segment once, then ask "is this customer in?" (one Profile, at an automation's fire time) or
"who is in?" (a whole store, for a campaign).

    compiled = compile_segment(segment, zone=store.zone, now=clock.now())
    compiled.matches(profile)                 # one customer, from nudge.profiles.profile.Profile
    compiled.item_matcher.matches(raw_item)   # one DynamoDB-JSON item, for the whole-store read

Both answers come from the same resolved plan (plan.py); a hypothesis test checks they agree.
"""

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from nudge.profiles.profile import Profile
from nudge.segments import plan as p
from nudge.segments.language import Segment, parse_segment
from nudge.segments.score import days_since, score

if TYPE_CHECKING:
    from nudge.segments.item_compiler import ItemMatcher

ProfileTest = Callable[[Profile], bool]


def _ts(value: datetime | None) -> int | None:
    # Whole Unix seconds, the precision the stored item keeps: both evaluators see the same instant.
    return None if value is None else int(value.timestamp())


def _in(instant: int | None, start: int | None, end: int | None) -> bool:
    return instant is not None and (start is None or instant >= start) and (end is None or instant < end)


_INSTANTS: dict[str, Callable[[Profile], datetime | None]] = {
    "joined": lambda pr: pr.joined_at,
    "last_login": lambda pr: pr.last_login_at,
    "first_visit": lambda pr: pr.first_visit_at,
    "last_visit": lambda pr: pr.last_visit_at,
    "cart_last_added": lambda pr: pr.cart.last_added_at,
    "first_purchase": lambda pr: pr.first_purchase_at,
    "last_purchase": lambda pr: pr.last_purchase_at,
}


def profile_score(profile: Profile, plan: p.Plan) -> int:
    """The purchase-likelihood score of a profile at the plan's moment."""
    repeats = max((n for d in plan.repeat_days for n in profile.page_views.get(d, {}).values()), default=0)
    return score(
        days_since(_ts(profile.last_purchase_at), plan.now),
        profile.order_count,
        float(profile.order_amount),
        days_since(_ts(profile.last_visit_at), plan.now),
        profile.visit_count,
        profile.cart.item_count,
        repeats,
    )


def _number(source: str, plan: p.Plan) -> Callable[[Profile], float]:
    match source:
        case "visit_count":
            return lambda pr: pr.visit_count
        case "cart_items":
            return lambda pr: pr.cart.item_count
        case "cart_amount":
            return lambda pr: float(pr.cart.amount)
        case "orders":
            return lambda pr: pr.order_count
        case "spend":
            return lambda pr: float(pr.order_amount)
        case "score":
            return lambda pr: profile_score(pr, plan)
    raise ValueError(source)


def _day_sum(node: p.DaySum) -> Callable[[Profile], float]:
    days, path = node.days, node.path or ""
    if node.source == "dwell":
        return lambda pr: sum(pr.dwell_seconds.get(d, 0) for d in days)
    if node.exact:
        return lambda pr: sum(pr.page_views.get(d, {}).get(path, 0) for d in days)
    return lambda pr: sum(
        n for d in days for view, n in pr.page_views.get(d, {}).items() if view.startswith(path)
    )


def _orders(node: p.OrdersIn) -> Callable[[Profile], float]:
    def measure(pr: Profile) -> float:
        total = 0.0
        for order in pr.orders.values():
            if not order.counts_as_purchase or not _in(_ts(order.paid_at), node.start, node.end):
                continue
            amount = float(order.net_amount or 0)
            if node.min_amount is not None and amount < node.min_amount:
                continue
            total += 1 if node.measure == "count" else amount
        return total

    return measure


def _products(node: p.ProductsIn) -> ProfileTest:
    wanted = node.products
    check = all if node.every else any
    if node.source == "cart":
        return lambda pr: check(x in pr.cart.lines for x in wanted)
    return lambda pr: check(_in(_ts(pr.products_bought.get(x)), node.start, node.end) for x in wanted)


def _categories(node: p.CategoriesIn) -> ProfileTest:
    wanted = node.categories
    check = all if node.every else any

    def held(pr: Profile) -> set[str]:
        if node.source == "cart":
            return {c for categories in pr.cart.categories.values() for c in categories}
        return {
            c
            for order in pr.orders.values()
            if order.counts_as_purchase and _in(_ts(order.paid_at), node.start, node.end)
            for c in order.categories
        }

    def test(pr: Profile) -> bool:
        found = held(pr)
        return check(x in found for x in wanted)

    return test


def _profile_test(node: p.Node, plan: p.Plan) -> ProfileTest:
    match node:
        case p.Always():
            return lambda pr: True
        case p.InstantIn(source, start, end):
            get = _INSTANTS[source]
            return lambda pr: _in(_ts(get(pr)), start, end)
        case p.CheckoutOpen(start, end):
            return lambda pr: (
                pr.checkout is not None
                and pr.checkout.completed_at is None
                and _in(_ts(pr.checkout.started_at), start, end)
            )
        case p.ConsentIs(channel, granted):
            return lambda pr: pr.has_consent(channel) == granted
        case p.FriendIs(value):
            return lambda pr: (pr.channel_friend is True) == value
        case p.GradeIn(grades):
            return lambda pr: pr.grade is not None and pr.grade in grades
        case p.NumberIs(source, test):
            number = _number(source, plan)
            return lambda pr: p.passes(number(pr), test)
        case p.DaySum():
            total = _day_sum(node)
            return lambda pr: p.passes(total(pr), node.test)
        case p.OrdersIn():
            measure = _orders(node)
            return lambda pr: p.passes(measure(pr), node.test)
        case p.ProductsIn():
            return _products(node)
        case p.CategoriesIn():
            return _categories(node)
        case p.Group(every, nodes):
            tests = [_profile_test(n, plan) for n in nodes]
            if every:
                return lambda pr: all(t(pr) for t in tests)
            return lambda pr: any(t(pr) for t in tests)
    raise TypeError(f"no evaluator for {type(node).__name__}")


class CompiledSegment:
    """A segment resolved for one store and one moment; cheap to keep for the length of a campaign run."""

    def __init__(self, segment: Segment, zone: ZoneInfo, now: datetime) -> None:
        self.segment = segment
        self.zone = zone
        self.now = now
        self.plan = p.resolve(segment, now, zone)
        include = _profile_test(self.plan.include, self.plan)
        excludes = [_profile_test(n, self.plan) for n in self.plan.exclude]
        self._test: ProfileTest = lambda pr: include(pr) and not any(t(pr) for t in excludes)

    def matches(self, profile: Profile) -> bool:
        """Is this customer in the segment (now)?"""
        return self._test(profile)

    def members(self, profiles: Iterable[Profile]) -> Iterator[str]:
        """Customer ids of the profiles in the segment (in-memory stores and tests)."""
        return (pr.customer_id for pr in profiles if self._test(pr))

    def score(self, profile: Profile) -> int:
        return profile_score(profile, self.plan)

    @cached_property
    def item_matcher(self) -> "ItemMatcher":
        """The same segment over raw DynamoDB-JSON items (built on first use: only the whole-store reader
        needs it)."""
        from nudge.segments.item_compiler import compile_items

        return compile_items(self.plan)


def compile_segment(
    segment: Segment | dict[str, Any] | str, zone: ZoneInfo, now: datetime
) -> CompiledSegment:
    """Validate (if needed) and resolve a segment for a store's time zone at `now` (timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (nudge.clock.now())")
    model = segment if isinstance(segment, Segment) else parse_segment(segment)
    return CompiledSegment(model, zone, now)
