"""The item-level compiler: a resolved segment as Python source over raw DynamoDB-JSON profile items.

A whole-store read sees every profile of the store. Deserializing each item into Python values and then
into a Profile costs tens of microseconds; a campaign over a million customers cannot afford that. So the
plan is turned into one generated function that reads only the attributes the segment needs, straight
from the wire shape ({"N": "1773792000"}, {"M": {...}}), converts only the numbers it compares, and stops
at the first condition that fails (cheap and selective conditions first). The same plan also yields the
ProjectionExpression, so DynamoDB sends nothing else.

This module is the one place under nudge.segments that knows the stored item's layout; the names below
are those nudge.adapters.profile_item.to_item writes. tests/unit/segments/test_agreement.py writes random
profiles through to_item and checks this evaluator against the Profile one, so a drift fails a test.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nudge.profiles.profile import Consent, Member, OrderStatus
from nudge.segments import plan as p
from nudge.segments.score import days_since, score

Item = dict[str, Any]

# Attribute names and nested keys as profile_item.to_item writes them.
CUSTOMER = "sk"
TOP_LEVEL_INSTANTS = {
    "joined": "jn",
    "last_login": "ll",
    "first_visit": "fv",
    "last_visit": "lv",
    "first_purchase": "fp",
    "last_purchase": "lp",
}
CART, CART_LINES, CART_LAST_ADDED, CART_CATEGORIES = "ct", "l", "la", "c"
CHECKOUT, CHECKOUT_STARTED, CHECKOUT_DONE = "co", "at", "done"
CONSENTS, CHANNEL_FRIEND, GRADE = "cs", "cf", "gr"
PAGE_VIEWS, DWELL = "pv", "dw"
ORDERS, PRODUCTS_BOUGHT = "od", "pb"
NUMBERS = {  # source -> (attribute, converter); absent means 0
    "visit_count": ("vc", "int"),
    "cart_items": ("ci", "int"),
    "cart_amount": ("cam", "float"),
    "orders": ("oc", "int"),
    "spend": ("oa", "float"),
}
# An order is a list: [status, status_at, placed_at, amount, products, paid_at, delivered_at, checkout_id],
# `refunded` after them when the order was refunded (in part: a full refund is the REFUNDED status) or has
# categories (then null when never refunded), and its categories after that when it has any.
ORDER_STATUS, ORDER_AMOUNT, ORDER_PAID_AT, ORDER_REFUNDED, ORDER_CATEGORIES = 0, 3, 5, 8, 9
ENDED_STATUSES = (OrderStatus.CANCELED.value, OrderStatus.REFUNDED.value)

Path = tuple[str, ...]
_V_INT = "int(_v['N'])"  # the number in the attribute value just read into _v
_T_INT = "int(_t['N'])"

_COST = {
    p.Always: 0,
    p.InstantIn: 1,
    p.FriendIs: 1,
    p.GradeIn: 1,
    p.NumberIs: 1,
    p.ConsentIs: 2,
    p.CheckoutOpen: 2,
    p.ProductsIn: 3,
    p.CategoriesIn: 20,  # a walk over the cart's lines or the orders
    p.DaySum: 5,
    p.OrdersIn: 20,
}
_SCORE_COST = 30


def _cost(node: p.Node) -> int:
    if isinstance(node, p.Group):
        return sum(_cost(n) for n in node.nodes)
    if isinstance(node, p.NumberIs) and node.source == "score":
        return _SCORE_COST
    return _COST[type(node)]


@dataclass
class _Source:
    """Generated code under construction: helper functions, constants and the paths to project."""

    helpers: list[str] = field(default_factory=list)
    constants: dict[str, Any] = field(default_factory=dict)
    paths: set[Path] = field(default_factory=set)

    def const(self, value: Any) -> str:
        name = f"K{len(self.constants)}"
        self.constants[name] = value
        return name

    def helper(self, body: str) -> str:
        name = f"_h{len(self.helpers)}"
        self.helpers.append(body.replace("NAME", name))
        return name


def _range(value: str, start: int | None, end: int | None) -> str:
    """`start <= value < end` with open sides left out (start/end are plain ints in the source)."""
    if start is None and end is None:
        return "True"
    if start is None:
        return f"{value} < {end}"
    if end is None:
        return f"{start} <= {value}"
    return f"{start} <= {value} < {end}"


def _compare(value: str, test: p.Test) -> str:
    if len(test) == 1:
        op, bound = test[0]
        return f"{value} {op} {bound!r}"
    return f"((_n := {value}) " + " and _n ".join(f"{op} {bound!r}" for op, bound in test) + ")"


def _number(src: _Source, source: str, plan: p.Plan) -> str:
    if source == "score":
        return f"{_score_helper(src, plan)}(it)"
    attr, conv = NUMBERS[source]
    src.paths.add((attr,))
    return f'({conv}(_v["N"]) if (_v := it.get({attr!r})) is not None else 0)'


def _score_helper(src: _Source, plan: p.Plan) -> str:
    for attr in ("lp", "oc", "oa", "lv", "vc", "ci"):
        src.paths.add((attr,))
    for day in plan.repeat_days:
        src.paths.add((PAGE_VIEWS, day))
    days = src.const(plan.repeat_days)
    return src.helper(
        f"""
def NAME(it):
    g = it.get
    lp, oc, oa, lv, vc, ci = g("lp"), g("oc"), g("oa"), g("lv"), g("vc"), g("ci")
    repeats = 0
    pv = g({PAGE_VIEWS!r})
    if pv is not None:
        pv = pv["M"]
        for d in {days}:
            day = pv.get(d)
            if day is not None:
                for n in day["M"].values():
                    n = int(n["N"])
                    if n > repeats:
                        repeats = n
    return score(
        None if lp is None else days_since(int(lp["N"]), {plan.now}),
        0 if oc is None else int(oc["N"]),
        0.0 if oa is None else float(oa["N"]),
        None if lv is None else days_since(int(lv["N"]), {plan.now}),
        0 if vc is None else int(vc["N"]),
        0 if ci is None else int(ci["N"]),
        repeats,
    )
"""
    )


def _day_sum(src: _Source, node: p.DaySum) -> str:
    attr = PAGE_VIEWS if node.source == "page_views" else DWELL
    for day in node.days:
        src.paths.add((attr, day))
    days = src.const(node.days)
    if node.source == "dwell":
        inner = """        n = m.get(d)
        if n is not None:
            t += int(n["N"])"""
    elif node.exact:
        inner = f"""        day = m.get(d)
        if day is not None:
            n = day["M"].get({node.path!r})
            if n is not None:
                t += int(n["N"])"""
    else:
        inner = f"""        day = m.get(d)
        if day is not None:
            for path, n in day["M"].items():
                if path.startswith({node.path!r}):
                    t += int(n["N"])"""
    return src.helper(
        f"""
def NAME(it):
    m = it.get({attr!r})
    if m is None:
        return 0
    m = m["M"]
    t = 0
    for d in {days}:
{inner}
    return t
"""
    )


def _orders(src: _Source, node: p.OrdersIn) -> str:
    src.paths.add((ORDERS,))
    amount_needed = node.measure == "amount" or node.min_amount is not None
    lines = [
        "def NAME(it):",
        f"    od = it.get({ORDERS!r})",
        "    if od is None:",
        "        return 0",
        "    t = 0",
        '    for o in od["M"].values():',
        '        o = o["L"]',
        f"        paid = o[{ORDER_PAID_AT}].get('N')",
        f"        if paid is None or o[{ORDER_STATUS}]['S'] in {ENDED_STATUSES!r}:",
        "            continue",
    ]
    if node.start is not None or node.end is not None:
        lines += [f"        if not ({_range('int(paid)', node.start, node.end)}):", "            continue"]
    if amount_needed:
        lines += [
            f"        a = float(o[{ORDER_AMOUNT}].get('N', 0))",
            f"        if len(o) > {ORDER_REFUNDED}:",  # the net amount (Order.net_amount)
            f"            a = max(a - float(o[{ORDER_REFUNDED}].get('N', 0)), 0.0)",
        ]
    if node.min_amount is not None:
        lines += [f"        if a < {node.min_amount!r}:", "            continue"]
    lines.append("        t += a" if node.measure == "amount" else "        t += 1")
    lines.append("    return t")
    return src.helper("\n" + "\n".join(lines) + "\n")


def _products(src: _Source, node: p.ProductsIn) -> str:
    joiner = " and " if node.every else " or "
    if node.source == "cart":
        for product in node.products:
            src.paths.add((CART, CART_LINES, product))
        checks = joiner.join(f"{x!r} in _l" for x in node.products)
        return (
            f'((_v := it.get({CART!r})) is not None and (_v := _v["M"].get({CART_LINES!r})) is not None'
            f' and ((_l := _v["M"]) is not None) and ({checks}))'
        )
    for product in node.products:
        src.paths.add((PRODUCTS_BOUGHT, product))
    each = [
        f"((_t := _b.get({x!r})) is not None and {_range(_T_INT, node.start, node.end)})"
        for x in node.products
    ]
    return (
        f'((_v := it.get({PRODUCTS_BOUGHT!r})) is not None and ((_b := _v["M"]) is not None)'
        f" and ({joiner.join(each)}))"
    )


def _categories(src: _Source, node: p.CategoriesIn) -> str:
    """A helper answering whether the categories held (the cart's lines', or the paid orders' in the window)
    include any / all of the node's."""
    wanted = src.const(node.categories)
    check = "all" if node.every else "any"
    if node.source == "cart":
        src.paths.add((CART, CART_CATEGORIES))
        lines = [
            f"    v = it.get({CART!r})",
            "    if v is None:",
            "        return False",
            f'    c = v["M"].get({CART_CATEGORIES!r})',
            "    if c is None:",
            "        return False",
            '    held = {x["S"] for cats in c["M"].values() for x in cats["L"]}',
        ]
    else:
        src.paths.add((ORDERS,))
        lines = [
            f"    od = it.get({ORDERS!r})",
            "    if od is None:",
            "        return False",
            "    held = set()",
            '    for o in od["M"].values():',
            '        o = o["L"]',
            f"        if len(o) <= {ORDER_CATEGORIES}:",
            "            continue",
            f"        paid = o[{ORDER_PAID_AT}].get('N')",
            f"        if paid is None or o[{ORDER_STATUS}]['S'] in {ENDED_STATUSES!r}:",
            "            continue",
        ]
        if node.start is not None or node.end is not None:
            window = _range("int(paid)", node.start, node.end)
            lines += [f"        if not ({window}):", "            continue"]
        lines.append(f'        held.update(x["S"] for x in o[{ORDER_CATEGORIES}]["L"])')
    lines.append(f"    return {check}(k in held for k in {wanted})")
    return src.helper("\ndef NAME(it):\n" + "\n".join(lines) + "\n") + "(it)"


def _expr(src: _Source, node: p.Node, plan: p.Plan) -> str:
    match node:
        case p.Always():
            return "True"
        case p.InstantIn(source, start, end):
            if source == "cart_last_added":
                src.paths.add((CART, CART_LAST_ADDED))
                return (
                    f'((_v := it.get({CART!r})) is not None and (_v := _v["M"].get({CART_LAST_ADDED!r}))'
                    f" is not None and {_range(_V_INT, start, end)})"
                )
            attr = TOP_LEVEL_INSTANTS[source]
            src.paths.add((attr,))
            return f"((_v := it.get({attr!r})) is not None and {_range(_V_INT, start, end)})"
        case p.CheckoutOpen(start, end):
            src.paths.add((CHECKOUT,))
            started = f"int(_v[{CHECKOUT_STARTED!r}]['N'])"
            return (
                f'((_v := it.get({CHECKOUT!r})) is not None and {CHECKOUT_DONE!r} not in (_v := _v["M"])'
                f" and {_range(started, start, end)})"
            )
        case p.ConsentIs(channel, granted):
            src.paths.add((CONSENTS, channel))
            held = (
                f'((_v := it.get({CONSENTS!r})) is not None and (_v := _v["M"].get({channel!r})) is not None'
                ' and _v["L"][0]["N"] == "1")'
            )
            return held if granted else f"(not {held})"
        case p.FriendIs(value):
            src.paths.add((CHANNEL_FRIEND,))
            friend = f'((_v := it.get({CHANNEL_FRIEND!r})) is not None and _v.get("BOOL") is True)'
            return friend if value else f"(not {friend})"
        case p.GradeIn(grades):
            src.paths.add((GRADE,))
            held = src.const(frozenset(grades))
            return f'((_v := it.get({GRADE!r})) is not None and _v.get("S") in {held})'
        case p.NumberIs(source, test):
            return "(" + _compare(_number(src, source, plan), test) + ")"
        case p.DaySum():
            return "(" + _compare(f"{_day_sum(src, node)}(it)", node.test) + ")"
        case p.OrdersIn():
            return "(" + _compare(f"{_orders(src, node)}(it)", node.test) + ")"
        case p.ProductsIn():
            return _products(src, node)
        case p.CategoriesIn():
            return _categories(src, node)
        case p.Group(every, nodes):
            parts = [_expr(src, n, plan) for n in sorted(nodes, key=_cost)]
            return "(" + (" and " if every else " or ").join(parts) + ")"
    raise TypeError(f"no item evaluator for {type(node).__name__}")


def _projection(paths: set[Path]) -> tuple[str, dict[str, str]]:
    """ProjectionExpression and ExpressionAttributeNames for the paths, every name a placeholder (day keys
    start with digits, product ids can be anything). A path under another projected path is dropped:
    DynamoDB rejects overlapping document paths."""
    kept = sorted(x for x in paths if not any(x[: len(q)] == q for q in paths if len(q) < len(x)))
    names: dict[str, str] = {}
    placeholder: dict[str, str] = {}
    for path in kept:
        for part in path:
            if part not in placeholder:
                placeholder[part] = f"#a{len(placeholder)}"
                names[placeholder[part]] = part
    return ", ".join(".".join(placeholder[part] for part in path) for path in kept), names


@dataclass(frozen=True)
class ItemMatcher:
    """One segment over raw items: `matches(item)`, `members(page)` (customer ids of a page of items) and
    what to ask DynamoDB for (`projection`, `names`). `source` is the generated code, for the curious."""

    matches: Callable[[Item], bool]
    members: Callable[[list[Item]], list[str]]
    select: Callable[[list[Item]], list[Item]]  # the items of a page that are in the segment
    projection: str
    names: dict[str, str]
    source: str
    attributes: frozenset[Path]


def compile_items(plan: p.Plan) -> ItemMatcher:
    src = _Source()
    src.paths.add((CUSTOMER,))
    include = _expr(src, plan.include, plan)
    excludes = [_expr(src, n, plan) for n in sorted(plan.exclude, key=_cost)]
    condition = " and ".join([include, *(f"not {e}" for e in excludes)])
    # `members` inlines the condition into the comprehension: one function call per item saved is a
    # tenth of the time when most items fail on the first comparison.
    source = "".join(src.helpers) + (
        f"\ndef matches(it):\n    return bool({condition})\n"
        f"\ndef members(items):\n    return [it[{CUSTOMER!r}]['S'] for it in items if {condition}]\n"
        f"\ndef select(items):\n    return [it for it in items if {condition}]\n"
    )
    scope: dict[str, Any] = {"score": score, "days_since": days_since, **src.constants}
    exec(compile(source, "<segment>", "exec"), scope)  # user text only enters as repr() literals
    projection, names = _projection(src.paths)
    return ItemMatcher(
        scope["matches"], scope["members"], scope["select"], projection, names, source, frozenset(src.paths)
    )


# --- A member's consent and channel friendship, for the run's screen (nudge.campaigns.runs) -----------------


def screen_paths(channel: str) -> set[Path]:
    """What to project besides the segment's own paths to read `member_of` for this consent channel."""
    return {(CONSENTS, channel), (CHANNEL_FRIEND,)}


def projection_with(matcher: ItemMatcher, paths: set[Path]) -> tuple[str, dict[str, str]]:
    """The matcher's ProjectionExpression and names widened by `paths`."""
    return _projection(set(matcher.attributes) | paths)


def member_of(item: Item, channel: str) -> Member:
    """The customer id, the consent on `channel` and the channel friendship of a raw profile item, as
    profile_item.from_item would read them."""
    consent = None
    held = item.get(CONSENTS)
    if held is not None and (value := held["M"].get(channel)) is not None:
        granted, at, source = value["L"]
        consent = Consent(
            granted["N"] == "1",
            datetime.fromtimestamp(int(at["N"]), UTC) if "N" in at else datetime.min.replace(tzinfo=UTC),
            source.get("S", ""),
        )
    friend = item.get(CHANNEL_FRIEND)
    return Member(item[CUSTOMER]["S"], consent, friend is not None and friend.get("BOOL") is True)
