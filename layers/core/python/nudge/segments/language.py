"""The segment language: who a message is for, as JSON a marketer's screen can build and store.

A segment is an include list and an exclude list of conditions. A customer is in when the include list
holds (all of it, or any of it with `"match": "any"`) and no exclude condition holds — the shape of the
seeds' recipes ("포함 조건 … / 제외 조건 …"). Every condition names its category and field the way the
seeds do (`traffic.last_visit` is [트래픽 > 최근 방문일]).

Dates are store-local calendar dates: relative (`within_days: 0` is today, `not_within_days: 7` is "more
than 7 days ago") or absolute (`before`, `on_or_before`, `after`, `on_or_after`). Several bounds on one
condition all apply. Numbers compare with `op` + `value` or an inclusive `between`; products are sets
(`any_of` / `all_of`), and so are the catalog's categories of the products carted or bought; the member
grade is one of a list (`any_of`).

Validation errors name the offending path the way a form shows them: `include[2].within_days: must be ≥ 0`.
"""

import json
from datetime import date, timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nudge.profiles.profile import PAGE_VIEW_HISTORY_DAYS

NonNegativeInt = Annotated[int, Field(ge=0, le=3650)]
ProductId = Annotated[str, Field(min_length=1, max_length=200)]
CategoryId = Annotated[str, Field(min_length=1, max_length=200)]
GradeId = Annotated[str, Field(min_length=1, max_length=64)]  # as MemberDetails.grade keeps it
ConsentChannelName = Literal["sms", "kakao", "email", "push", "night"]
Operator = Literal[">=", ">", "<=", "<", "==", "!="]


# "any" and "all" groups inside one another: a marketer's screen builds two or three. The compiled segment
# is Python with a parenthesis per group, and Python parses some 200 at most.
MAX_GROUP_DEPTH = 5


class _Condition(BaseModel):
    # Numbers are finite: NaN or Infinity would be saved, then answered as null.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class _DateBounds(_Condition):
    """Bounds on a store-local date; all given bounds apply, none at all means "has a date" (ever)."""

    within_days: NonNegativeInt | None = None
    not_within_days: NonNegativeInt | None = None
    before: date | None = None
    on_or_before: date | None = None
    after: date | None = None
    on_or_after: date | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if (
            self.within_days is not None
            and self.not_within_days is not None
            and self.within_days <= self.not_within_days
        ):
            raise ValueError("within_days must be greater than not_within_days, or no date can match")
        first, last = self.absolute_days()
        if first is not None and last is not None and first > last:
            raise ValueError("the absolute date bounds leave no date that can match")
        return self

    def absolute_days(self) -> tuple[date | None, date | None]:
        """The first and last date the absolute bounds allow (None: unbounded on that side)."""
        lows = [d for d in (self.on_or_after, self.after and self.after + timedelta(days=1)) if d]
        highs = [d for d in (self.on_or_before, self.before and self.before - timedelta(days=1)) if d]
        return (max(lows) if lows else None, min(highs) if highs else None)

    @property
    def bounded(self) -> bool:
        return any(
            v is not None
            for v in (
                self.within_days,
                self.not_within_days,
                self.before,
                self.on_or_before,
                self.after,
                self.on_or_after,
            )
        )


class _Comparison(_Condition):
    """`op` + `value` (e.g. `">=", 3`) or an inclusive range `between: [50, 100]`."""

    op: Operator | None = None
    value: int | float | None = None  # money in the store's currency unit (KRW has no minor unit)
    between: tuple[int | float, int | float] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if self.between is not None:
            if self.op is not None or self.value is not None:
                raise ValueError("give either op and value, or between, not both")
            if self.between[0] > self.between[1]:
                raise ValueError("between must be [low, high] with low ≤ high")
        elif self.op is None or self.value is None:
            raise ValueError('give op and value (e.g. "op": ">=", "value": 3) or between: [low, high]')
        return self


class _ProductSet(_Condition):
    any_of: Annotated[list[ProductId], Field(min_length=1, max_length=500)] | None = None
    all_of: Annotated[list[ProductId], Field(min_length=1, max_length=500)] | None = None

    @model_validator(mode="after")
    def _one_set(self) -> Self:
        if (self.any_of is None) == (self.all_of is None):
            raise ValueError("give exactly one of any_of or all_of (a list of product ids)")
        return self


class _CategorySet(_Condition):
    any_of: Annotated[list[CategoryId], Field(min_length=1, max_length=200)] | None = None
    all_of: Annotated[list[CategoryId], Field(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _one_set(self) -> Self:
        if (self.any_of is None) == (self.all_of is None):
            raise ValueError("give exactly one of any_of or all_of (a list of the catalog's category ids)")
        return self


# ----------------------------------------------------------------------------------- 회원 member


class AllMembers(_Condition):
    """[회원 > 모든 회원]: every profile of the store."""

    field: Literal["member.all"]


class MemberDate(_DateBounds):
    """[회원 > 가입일 / 최종 로그인일]."""

    field: Literal["member.joined", "member.last_login"]


class Consent(_Condition):
    """Marketing consent on one channel; `night` is the separate consent for 21:00–08:00 ads."""

    field: Literal["member.consent"]
    channel: ConsentChannelName
    granted: bool = True  # false: customers who refused or never answered


class ChannelFriend(_Condition):
    """Kakao channel friend (플친). `value: false` also matches customers whose status is unknown."""

    field: Literal["member.channel_friend"]
    value: bool = True


class MemberGrade(_Condition):
    """[회원 > 회원 등급]: the store's member grade is one of these. Cafe24 gives the grade's number
    (`group_no`, e.g. "2"). A customer whose grade is unknown matches none."""

    field: Literal["member.grade"]
    any_of: Annotated[list[GradeId], Field(min_length=1, max_length=100)]


# ----------------------------------------------------------------------------------- 트래픽 traffic


class TrafficDate(_DateBounds):
    """[트래픽 > 첫 방문일 / 최근 방문일]."""

    field: Literal["traffic.first_visit", "traffic.last_visit"]


class VisitCount(_Comparison):
    """[트래픽 > 방문 횟수]: visits ever (the profile keeps a counter, not a history)."""

    field: Literal["traffic.visit_count"]


class _DayWindow(_DateBounds):
    """Per-day history (page views, dwell) is kept PAGE_VIEW_HISTORY_DAYS; no bounds = all of it."""

    @model_validator(mode="after")
    def _within_history(self) -> Self:
        if self.within_days is not None and self.within_days > PAGE_VIEW_HISTORY_DAYS:
            raise ValueError(f"within_days: page views and dwell time are kept {PAGE_VIEW_HISTORY_DAYS} days")
        return self


class Dwell(_DayWindow, _Comparison):
    """[트래픽 > 체류 시간]: seconds on the site summed over the days in the window."""

    field: Literal["traffic.dwell_seconds"]


# ----------------------------------------------------------------------------------- 콘텐츠 content


class PageViews(_DayWindow, _Comparison):
    """[콘텐츠 > 경로상 페이지 반복 횟수]: views of a path (or every path under a prefix) in the window."""

    field: Literal["content.page_views"]
    path: Annotated[str, Field(min_length=1, max_length=512, pattern=r"^/")]
    match: Literal["prefix", "exact"] = "prefix"


# ----------------------------------------------------------------------------------- 장바구니 cart


class CartNumber(_Comparison):
    """[장바구니 > 최근 담긴 상품수 / 금액]: what is in the cart now."""

    field: Literal["cart.item_count", "cart.amount"]


class CartDate(_DateBounds):
    """[장바구니 > 최근 담은일]."""

    field: Literal["cart.last_added"]


class CartProducts(_ProductSet):
    """[장바구니 > 최근 담긴 상품]: the cart holds any / all of these products now."""

    field: Literal["cart.products"]


class CartCategories(_CategorySet):
    """[장바구니 > 담긴 상품 분류]: the cart holds products of any / all of these categories now (each line's
    categories in the store's catalog, when it is connected)."""

    field: Literal["cart.categories"]


class CheckoutOpen(_DateBounds):
    """Started a checkout (in the window) that has not become an order: "구매를 시작했으나 완료하지 않은"."""

    field: Literal["cart.checkout_open"]


# ----------------------------------------------------------------------------------- 구매 purchase


class PurchaseDate(_DateBounds):
    """[구매 > 첫 구매일 / 최근 구매일] (paid orders)."""

    field: Literal["purchase.first", "purchase.last"]


class PurchaseTotals(_DateBounds, _Comparison):
    """[구매 > 구매 횟수 / 구매 금액]: paid, not canceled or refunded orders, paid in the window (no bounds:
    the order history kept, two years). `min_order_amount` counts only orders of at least that amount
    ("1회 1만원 이상")."""

    field: Literal["purchase.count", "purchase.amount"]
    min_order_amount: Annotated[int | float, Field(ge=0)] | None = None


class PurchasedProducts(_DateBounds, _ProductSet):
    """[구매 > 구매 상품]: bought any / all of these products, the last time in the window."""

    field: Literal["purchase.products"]


class PurchasedCategories(_DateBounds, _CategorySet):
    """[구매 > 구매 상품 분류]: bought products of any / all of these categories, in paid orders (not canceled
    or refunded in full) paid in the window (no bounds: the order history kept, two years)."""

    field: Literal["purchase.categories"]


# ----------------------------------------------------------------------------------- 점수 score


class Score(_Comparison):
    """[점수 > 구매 가능성 점수] 0–100 (nudge.segments.score)."""

    field: Literal["score"]


# ----------------------------------------------------------------------------------- groups


class AnyOf(_Condition):
    """At least one of the conditions holds."""

    field: Literal["any"]
    conditions: Annotated[list["Condition"], Field(min_length=1, max_length=50)]


class AllOf(_Condition):
    """Every one of the conditions holds (useful inside `any`)."""

    field: Literal["all"]
    conditions: Annotated[list["Condition"], Field(min_length=1, max_length=50)]


Condition = Annotated[
    AllMembers
    | MemberDate
    | Consent
    | ChannelFriend
    | MemberGrade
    | TrafficDate
    | VisitCount
    | Dwell
    | PageViews
    | CartNumber
    | CartDate
    | CartProducts
    | CartCategories
    | CheckoutOpen
    | PurchaseDate
    | PurchaseTotals
    | PurchasedProducts
    | PurchasedCategories
    | Score
    | AnyOf
    | AllOf,
    Field(discriminator="field"),
]
AnyOf.model_rebuild()
AllOf.model_rebuild()

DateCondition = MemberDate | TrafficDate | CartDate | CheckoutOpen | PurchaseDate


class Segment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    match: Literal["all", "any"] = "all"  # how the include list combines
    include: Annotated[list[Condition], Field(min_length=1, max_length=50)]
    exclude: Annotated[list[Condition], Field(max_length=50)] = []


class SegmentInvalid(ValueError):
    """A segment that does not validate; `errors` are "path: message" lines a form can show."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


_FIELD_TAGS = frozenset(
    tag for model in Condition.__args__[0].__args__ for tag in model.model_fields["field"].annotation.__args__
)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _FIELD_TAGS:
            continue  # the union member pydantic tried: the marketer's JSON has no such level
        elif part.startswith("function-") or part.startswith("tagged-union") or part in ("int", "float"):
            continue  # pydantic's names for the schema it tried (`int | float`): no level of the JSON
        else:
            out += f".{part}" if out else part
    return out or "segment"


def _message(error: Any) -> str:
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "greater_than_equal":
        return f"must be ≥ {ctx['ge']}"
    if kind == "less_than_equal":
        return f"must be ≤ {ctx['le']}"
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} item(s)" + (
            '; use {"field": "member.all"} for everyone' if error["loc"] == ("include",) else ""
        )
    if kind == "union_tag_invalid":
        return f"unknown field {ctx.get('tag')!r}; expected one of {', '.join(sorted(_FIELD_TAGS))}"
    if kind == "union_tag_not_found":
        return 'every condition needs "field", e.g. {"field": "traffic.last_visit", "within_days": 0}'
    if kind == "string_pattern_mismatch" and error["loc"][-1] == "path":
        return "must be a path starting with /, e.g. /event/dogday"
    if kind == "extra_forbidden":
        return "not a setting of this condition"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def parse_segment(data: str | bytes | dict[str, Any]) -> Segment:
    """Validate a stored or submitted segment; raises SegmentInvalid with one line per problem."""
    try:
        parsed = json.loads(data) if isinstance(data, str | bytes) else data
        too_deep = nesting_problem(parsed)
        if too_deep is not None:
            raise SegmentInvalid([too_deep])
        return Segment.model_validate(parsed)
    except json.JSONDecodeError as exc:
        raise SegmentInvalid([f"segment: not JSON ({exc.msg} at line {exc.lineno})"]) from exc
    except RecursionError as exc:
        raise SegmentInvalid([f"segment: groups nest at most {MAX_GROUP_DEPTH} deep"]) from exc
    except ValidationError as exc:
        lines = (f"{_path(e['loc'])}: {_message(e)}" for e in exc.errors())
        raise SegmentInvalid(list(dict.fromkeys(lines))) from exc  # `int | float` says it twice


def nesting_problem(data: Any) -> str | None:
    """The first group ("any" or "all": an object with `conditions`) nested more than MAX_GROUP_DEPTH deep, as
    a "path: message" line, or None. Walked without recursion: a stored segment of any depth is read too."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, dict):
            if "conditions" in node:
                depth += 1
                if depth > MAX_GROUP_DEPTH:
                    return f"{path or 'segment'}: groups (any, all) nest at most {MAX_GROUP_DEPTH} deep"
            items: Any = ((f"{path}.{key}" if path else str(key), value) for key, value in node.items())
        elif isinstance(node, list):
            items = ((f"{path}[{index}]", value) for index, value in enumerate(node))
        else:
            continue
        stack.extend((value, where, depth) for where, value in reversed(list(items)))
    return None


def segment_json(segment: Segment) -> dict[str, Any]:
    """The stored form (JSON types, unset bounds left out, "field" first as people write it)."""
    return _field_first(segment.model_dump(mode="json", exclude_none=True))


def _field_first(value: Any) -> Any:
    if isinstance(value, dict):
        ordered = {"field": value["field"]} if "field" in value else {}
        return ordered | {k: _field_first(v) for k, v in value.items() if k != "field"}
    if isinstance(value, list):
        return [_field_first(v) for v in value]
    return value
