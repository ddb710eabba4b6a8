"""Seed 000's twelve tested FriendTalk segments on a small store whose members and scores are worked out
by hand (docs/segments.md has the score formula). Now is 2026-03-20 15:00 in Seoul."""

import pytest

from nudge.profiles.profile import Profile
from nudge.segments.evaluate import compile_segment
from nudge.segments.templates import friendtalk_segments, repurchase_due
from tests.unit.segments.helpers import (
    KST,
    NOW,
    cart,
    consent,
    customer,
    day_key,
    days_ago,
    dynamodb_item,
    order,
)


def _store() -> list[Profile]:
    return [
        # 12 orders of 50,000, every 14 days, the last 2 days ago; visits daily; kakao consent.
        # Score: 25·(1−2/180) + 15 + 10·log(600,001)/log(1,000,001) + 15 + 5 = 24.72+15+9.63+15+5 = 69.
        customer(
            "vip",
            [order(f"V-{i}", days_ago(2 + 14 * i), 50_000) for i in range(12)],
            consents={"kakao": consent()},
            last_visit_at=days_ago(0, hour=9),
            visit_count=40,
        ),
        # Joined 2 days ago, one visit today, kakao consent, nothing bought.
        # Score: 15 (visited today) + 5·1/20 = 15.25 → 15.
        customer(
            "newbie",
            consents={"kakao": consent()},
            joined_at=days_ago(2),
            last_visit_at=days_ago(0, hour=10),
            visit_count=1,
        ),
        # Never bought, no consent; 6 visits, the last yesterday; 3 items in the cart; product page 5× today.
        # Score: 15·(1−1/30) + 5·6/20 + 15 + 15 = 14.5+1.5+15+15 = 46.
        customer(
            "browser",
            joined_at=days_ago(40),
            last_visit_at=days_ago(1),
            visit_count=6,
            cart=cart({"P1": 3}, days_ago(1)),
            page_views={day_key(0): {"/product/P1": 5}},
        ),
        # One order of 30,000 40 days ago; refused kakao ads; 2 visits, the last 40 days ago.
        # Score: 25·(1−40/180) + 1.5 + 10·log(30,001)/log(1,000,001) + 0 + 0.5 = 19.44+1.5+7.46+0.5 = 29.
        customer(
            "onetime",
            [order("O-1", days_ago(40), 30_000)],
            consents={"kakao": consent(granted=False)},
            last_visit_at=days_ago(40),
            visit_count=2,
        ),
        # Three orders of 30,000, the last 200 days ago; kakao consent; 5 visits, the last 200 days ago.
        # Score: 0 + 4.5 + 10·log(90,001)/log(1,000,001) + 0 + 1.25 = 4.5+8.26+1.25 = 14.
        customer(
            "lapsed",
            [order(f"L-{i}", days_ago(200 + 60 * i), 30_000) for i in range(3)],
            consents={"kakao": consent()},
            last_visit_at=days_ago(200),
            visit_count=5,
        ),
        # One order of 15,000 20 days ago; 3 visits, the last 2 days ago; 1 item in the cart.
        # Score: 22.22 + 1.5 + 6.96 + 14 + 0.75 + 5 = 50.43 → 50, on the edge of the "50~100" segments.
        customer(
            "revisit",
            [order("R-1", days_ago(20), 15_000)],
            last_visit_at=days_ago(2),
            visit_count=3,
            cart=cart({"P2": 1}, days_ago(2)),
        ),
        # One order of 8,000 10 days ago; 2 visits, last 5 days ago; 3 in the cart; 5 page views 3 days ago.
        # Score: 23.61 + 1.5 + 6.50 + 12.5 + 0.5 + 15 + 15 = 74.6 → 75.
        customer(
            "smallspender",
            [order("S-1", days_ago(10), 8_000)],
            last_visit_at=days_ago(5),
            visit_count=2,
            cart=cart({"P3": 3}, days_ago(5)),
            page_views={day_key(3): {"/event/dogday": 5}},
        ),
    ]


SEGMENTS = friendtalk_segments()

EXPECTED = {
    "01_white_first_visit_no_purchase": {"newbie"},
    "02_likely_non_buyers": {"browser"},
    "03_high_likelihood": {"vip", "revisit", "smallspender"},
    "04_ten_orders_in_six_months": {"vip"},
    "05_white_no_purchase_in_week": {"newbie", "lapsed"},
    "06_revisit_in_3_days_valuable": {"vip", "revisit"},
    "07_first_purchase_churn_risk": {"onetime"},
    "08_bought_in_7_days": {"vip"},
    "09_revisit_buyers_100_days": {"vip", "revisit"},
    "10_likely_25": {"vip", "browser", "onetime", "revisit", "smallspender"},
    "11_recent_signup_no_purchase": {"newbie"},
    "12_likely_non_buyers": {"browser"},
}
WHY = {
    "01_white_first_visit_no_purchase": "browser has no consent; onetime bought",
    "05_white_no_purchase_in_week": "vip bought 2 days ago; onetime refused kakao ads",
    "06_revisit_in_3_days_valuable": "smallspender's last visit was 5 days ago",
    "07_first_purchase_churn_risk": "revisit's only order is 20 days old, inside the 32-day cycle",
    "09_revisit_buyers_100_days": "smallspender's only order is 8,000 KRW",
}


def test_scores_are_the_hand_computed_ones() -> None:
    compiled = compile_segment(SEGMENTS["10_likely_25"], KST, NOW)
    assert {p.customer_id: compiled.score(p) for p in _store()} == {
        "vip": 69,
        "newbie": 15,
        "browser": 46,
        "onetime": 29,
        "lapsed": 14,
        "revisit": 50,
        "smallspender": 75,
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_seed_segment_finds_the_customers_a_marketer_would_pick(name: str) -> None:
    compiled = compile_segment(SEGMENTS[name], KST, NOW)
    store = _store()
    by_profile = set(compiled.members(store))
    assert by_profile == EXPECTED[name], WHY.get(name, "")
    assert set(compiled.item_matcher.members([dynamodb_item(p) for p in store])) == by_profile


def test_the_seed_lists_one_segment_twice() -> None:
    assert SEGMENTS["02_likely_non_buyers"] == SEGMENTS["12_likely_non_buyers"]
    assert len(SEGMENTS) == 12


def test_a_repurchase_coupon_goes_out_when_the_product_should_be_running_out() -> None:
    due = compile_segment(repurchase_due("P1", cycle_days=30), KST, NOW)
    people = [
        customer("on-time", [order("A", days_ago(30), 20_000, ("P1",))]),
        customer("a-week-late", [order("B", days_ago(37), 20_000, ("P1",))]),
        customer("too-early", [order("C", days_ago(29), 20_000, ("P1",))]),
        customer("long-gone", [order("D", days_ago(38), 20_000, ("P1",))]),
        customer("other-product", [order("E", days_ago(30), 20_000, ("P2",))]),
    ]
    assert set(due.members(people)) == {"on-time", "a-week-late"}
