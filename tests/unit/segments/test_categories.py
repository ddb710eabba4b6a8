"""Conditions on the catalog's categories: of the products in the cart now (`cart.categories`) and of the
products bought (`purchase.categories`, paid orders in the window). Both ways of asking — the Profile at an
automation's fire time and the raw item of a campaign's whole-store read — answer the same (also checked
for random profiles and segments in test_agreement.py)."""

from decimal import Decimal

import pytest

from nudge.profiles.profile import Cart, OrderStatus
from nudge.segments.evaluate import compile_segment
from nudge.segments.language import SegmentInvalid, parse_segment
from tests.unit.segments.helpers import KST, NOW, customer, days_ago, dynamodb_item, order, project


def _cart(**categories: tuple[str, ...]) -> Cart:
    return Cart(
        lines={p: 1 for p in categories},
        prices={p: Decimal(10_000) for p in categories},
        categories={p: c for p, c in categories.items() if c},
    )


def _bought(order_id: str, days: float, categories: tuple[str, ...], status: OrderStatus = OrderStatus.PAID):
    placed = order(order_id, days_ago(days), 30_000, ("P1",), status)
    placed.categories = categories
    return placed


PEOPLE = [
    customer("dog-bed", cart=_cart(P1=("24", "25"), P2=())),
    customer("cat-toy", cart=_cart(P3=("31",))),
    customer("no-cats", cart=_cart(P4=())),
    customer("bought-24-lately", orders=[_bought("O1", 3, ("24",))]),
    customer("bought-24-long-ago", orders=[_bought("O2", 40, ("24", "31"))]),
    customer("bought-24-canceled", orders=[_bought("O3", 3, ("24",), OrderStatus.CANCELED)]),
]


def _members(condition: dict) -> list[str]:
    compiled = compile_segment({"include": [condition]}, KST, NOW)
    by_profile = [pr.customer_id for pr in PEOPLE if compiled.matches(pr)]
    matcher = compiled.item_matcher
    items = [project(dynamodb_item(pr), matcher.attributes) for pr in PEOPLE]
    assert matcher.members(items) == by_profile, matcher.source  # the two evaluators agree
    return by_profile


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "cart.categories", "any_of": ["24"]}, ["dog-bed"]),
        ({"field": "cart.categories", "any_of": ["25", "31"]}, ["dog-bed", "cat-toy"]),
        ({"field": "cart.categories", "all_of": ["24", "31"]}, []),
        ({"field": "cart.categories", "all_of": ["24", "25"]}, ["dog-bed"]),
        ({"field": "purchase.categories", "any_of": ["24"]}, ["bought-24-lately", "bought-24-long-ago"]),
        ({"field": "purchase.categories", "any_of": ["24"], "within_days": 30}, ["bought-24-lately"]),
        ({"field": "purchase.categories", "all_of": ["24", "31"]}, ["bought-24-long-ago"]),
        ({"field": "purchase.categories", "any_of": ["31"], "not_within_days": 30}, ["bought-24-long-ago"]),
    ],
)
def test_category_conditions(condition: dict, expected: list[str]) -> None:
    assert _members(condition) == expected


def test_the_cart_amount_counts_the_lines_with_prices() -> None:
    assert _members({"field": "cart.amount", "op": ">=", "value": 20_000}) == ["dog-bed"]


def test_the_projection_reads_the_carts_categories_or_the_orders_only() -> None:
    cart = compile_segment({"include": [{"field": "cart.categories", "any_of": ["24"]}]}, KST, NOW)
    assert cart.item_matcher.attributes == {("sk",), ("ct", "c")}
    bought = compile_segment({"include": [{"field": "purchase.categories", "any_of": ["24"]}]}, KST, NOW)
    assert bought.item_matcher.attributes == {("sk",), ("od",)}


def test_a_category_condition_needs_one_list() -> None:
    with pytest.raises(SegmentInvalid) as refused:
        parse_segment({"include": [{"field": "cart.categories", "any_of": ["24"], "all_of": ["25"]}]})
    assert "category ids" in str(refused.value)
