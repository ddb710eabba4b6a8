"""Ready-made segments from the seeds: the five "Dog Day" promotion recipes (seed 001) and the twelve
tested FriendTalk segments (seed 000). Each returns a validated Segment a marketer can adopt and edit.

Where a seed is ambiguous the reading chosen is written beside the recipe; docs/segments.md lists them.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from nudge.segments.language import Segment, parse_segment
from nudge.segments.repurchase import DEFAULT_CYCLE_DAYS

PURCHASED_IN_LAST_7_DAYS: dict[str, Any] = {"field": "purchase.last", "within_days": 7}
NEVER_PURCHASED: dict[str, Any] = {"field": "purchase.count", "op": "==", "value": 0}


@dataclass(frozen=True, slots=True)
class Promotion:
    """A promotion (기획전): the day it starts (store zone), its landing page, its featured products."""

    start: date
    page_path: str
    products: tuple[str, ...] = ()


def _segment(
    name: str, include: list[dict[str, Any]], exclude: list[dict[str, Any]] | None = None
) -> Segment:
    return parse_segment({"name": name, "include": include, "exclude": exclude or []})


# ------------------------------------------------------------------ seed 001: promotion recipes


def promo_all_members(promo: Promotion) -> Segment:
    """1. 모든 회원에게 기획전 알리기 — [회원 > 모든 회원]. (Channel friendship for FriendTalk / brand
    messages is checked by the compliance layer at send time, not by the segment.)"""
    return _segment("기획전 알림: 모든 회원", [{"field": "member.all"}])


def promo_not_back_since_start(promo: Promotion) -> Segment:
    """2. 기획전 시작 후 방문하지 않은 고객 — the seed lists [회원 > 최종 로그인일 > 3월 17일 이전] under
    "exclude" but explains it targets customers whose last login is before the start. Read as intended:
    exclude everyone who logged in on or after the start day, so customers who have not logged in since
    (including those who never did) are in."""
    return _segment(
        "기획전 시작 후 미방문 고객",
        [{"field": "member.all"}],
        [{"field": "member.last_login", "on_or_after": promo.start.isoformat()}],
    )


def promo_page_repeat_viewers(promo: Promotion, min_views: int = 3) -> Segment:
    """3. 기획전 관심 고객에게 구매 넛지 — visited today, viewed the promotion page ≥ 3 times today,
    not a buyer in the last 7 days."""
    return _segment(
        "기획전 페이지 반복 조회 고객",
        [
            {"field": "traffic.last_visit", "within_days": 0},
            {
                "field": "content.page_views",
                "path": promo.page_path,
                "within_days": 0,
                "op": ">=",
                "value": min_views,
            },
        ],
        [PURCHASED_IN_LAST_7_DAYS],
    )


def promo_cart_reminder(promo: Promotion) -> Segment:
    """4. 기획전 기간 내 장바구니 리마인딩 — ≥ 1 item in the cart, added on or after the start (the seed's
    "3월 18일 이후" includes the 18th, the start day), not a buyer in the last 7 days."""
    return _segment(
        "기획전 기간 장바구니 리마인드",
        [
            {"field": "cart.item_count", "op": ">=", "value": 1},
            {"field": "cart.last_added", "on_or_after": promo.start.isoformat()},
        ],
        [PURCHASED_IN_LAST_7_DAYS],
    )


def promo_product_cart_reminder(promo: Promotion) -> Segment:
    """5. 기획전 상품을 담은 고객에게 장바구니 리마인딩 — the cart holds any featured product."""
    if not promo.products:
        raise ValueError("the promotion has no featured products to look for in carts")
    return _segment(
        "기획전 상품 장바구니 리마인드",
        [{"field": "cart.products", "any_of": list(promo.products)}],
        [PURCHASED_IN_LAST_7_DAYS],
    )


def promotion_recipes(promo: Promotion) -> dict[str, Segment]:
    recipes = {
        "1_all_members": promo_all_members(promo),
        "2_not_back_since_start": promo_not_back_since_start(promo),
        "3_page_repeat_viewers": promo_page_repeat_viewers(promo),
        "4_cart_reminder": promo_cart_reminder(promo),
    }
    if promo.products:
        recipes["5_product_cart_reminder"] = promo_product_cart_reminder(promo)
    return recipes


DOG_DAY = Promotion(start=date(2026, 3, 18), page_path="/event/dogday", products=("P-DOG-BED", "P-DOG-SNACK"))


# ------------------------------------------------------------------ seed 000: twelve tested segments


def friendtalk_segments(
    channel: str = "kakao",
    repurchase_cycle_days: int = DEFAULT_CYCLE_DAYS,
    recent_signup_days: int = 7,
) -> dict[str, Segment]:
    """The twelve segments of seed 000 ("추가로 시도한 방법"). `channel` is whose marketing consent makes
    a "화이트 고객" (a customer who may receive ads); `repurchase_cycle_days` comes from
    repurchase.learn_cycles(...).store.days."""
    white = {"field": "member.consent", "channel": channel}
    likely_non_buyers = _segment(
        "구매 가능성이 있는 미구매 고객",
        [{"field": "score", "op": ">=", "value": 25}, NEVER_PURCHASED],
    )
    return {
        # "첫 방문" = exactly one visit so far.
        "01_white_first_visit_no_purchase": _segment(
            "화이트 고객 첫 방문 미구매",
            [white, {"field": "traffic.visit_count", "op": "==", "value": 1}, NEVER_PURCHASED],
        ),
        "02_likely_non_buyers": likely_non_buyers,
        "03_high_likelihood": _segment(
            "구매 가능성 높은 고객 (50점 이상)", [{"field": "score", "op": ">=", "value": 50}]
        ),
        # 6 months = 183 days of paid orders.
        "04_ten_orders_in_six_months": _segment(
            "6개월간 구매 10회 이상",
            [{"field": "purchase.count", "within_days": 183, "op": ">=", "value": 10}],
        ),
        "05_white_no_purchase_in_week": _segment(
            "1주일 이내 미구매 화이트 고객", [white], [PURCHASED_IN_LAST_7_DAYS]
        ),
        # 재방문 = more than one visit; 구매 금액 1만원 이상 = total spend (kept history) ≥ 10,000.
        "06_revisit_in_3_days_valuable": _segment(
            "3일 이내 재방문 (점수 50~100, 구매 1만원 이상)",
            [
                {"field": "traffic.last_visit", "within_days": 3},
                {"field": "traffic.visit_count", "op": ">=", "value": 2},
                {"field": "score", "between": [50, 100]},
                {"field": "purchase.amount", "op": ">=", "value": 10_000},
            ],
        ),
        # 이탈 예정: one purchase only, and the repurchase cycle has passed but not twice over.
        "07_first_purchase_churn_risk": _segment(
            "첫 구매 후 이탈 예정 고객",
            [
                {"field": "purchase.count", "op": "==", "value": 1},
                {
                    "field": "purchase.last",
                    "not_within_days": repurchase_cycle_days,
                    "within_days": 2 * repurchase_cycle_days,
                },
            ],
        ),
        "08_bought_in_7_days": _segment("7일 이내 구매 고객", [PURCHASED_IN_LAST_7_DAYS]),
        # 1회 1만원 이상 = at least one order of ≥ 10,000 paid within the 100 days.
        "09_revisit_buyers_100_days": _segment(
            "재방문 100일 이내 구매 고객 (1회 1만원 이상, 점수 50~100)",
            [
                {"field": "traffic.last_visit", "within_days": 100},
                {"field": "traffic.visit_count", "op": ">=", "value": 2},
                {
                    "field": "purchase.count",
                    "within_days": 100,
                    "min_order_amount": 10_000,
                    "op": ">=",
                    "value": 1,
                },
                {"field": "score", "between": [50, 100]},
            ],
        ),
        "10_likely_25": _segment(
            "구매 가능성 높은 고객 (25점 이상)", [{"field": "score", "op": ">=", "value": 25}]
        ),
        "11_recent_signup_no_purchase": _segment(
            "최근 회원가입 미구매 고객",
            [{"field": "member.joined", "within_days": recent_signup_days}, NEVER_PURCHASED],
        ),
        # The seed lists "구매 가능성이 있는 미구매 고객" twice (2 and 12): the same segment.
        "12_likely_non_buyers": likely_non_buyers,
    }


def repurchase_due(product_id: str, cycle_days: int, grace_days: int = 7) -> Segment:
    """Seed 000 "첫 구매 완료자: 재구매 주기 패턴에 따라 제품 소진 시점에 재구매 쿠폰" (and seed 004): the
    customer's last purchase of the product was `cycle_days` to `cycle_days + grace_days` days ago, so the
    product is running out now. `cycle_days` from repurchase.learn_cycles(...).for_product(product_id)."""
    if cycle_days < 1:
        raise ValueError("cycle_days must be at least 1")
    return _segment(
        "재구매 주기 도래 고객",
        [
            {
                "field": "purchase.products",
                "any_of": [product_id],
                "not_within_days": cycle_days - 1,
                "within_days": cycle_days + grace_days,
            }
        ],
    )
