"""Seed 001's five "Dog Day" FriendTalk recipes on a small store whose members are worked out by hand.

Now is Friday 2026-03-20 15:00 in Seoul; the promotion started Wednesday 2026-03-18 on /event/dogday.
"""

from nudge.profiles.profile import Profile
from nudge.segments.evaluate import compile_segment
from nudge.segments.language import Segment
from nudge.segments.templates import DOG_DAY, Promotion, promotion_recipes
from tests.unit.segments.helpers import KST, NOW, cart, customer, day_key, days_ago, dynamodb_item, order

TODAY, YESTERDAY = day_key(0), day_key(1)


def _store() -> list[Profile]:
    return [
        # Viewed the promotion 4 times today (3 on the page, 1 under it), never bought; logged in on the 18th.
        customer(
            "minji",
            last_login_at=days_ago(2, hour=9),
            last_visit_at=days_ago(0, hour=10),
            page_views={TODAY: {"/event/dogday": 3, "/event/dogday/snack": 1}},
        ),
        # Just as keen today, but bought 3 days ago; cart filled today; last login the day before the start.
        customer(
            "jiho",
            [order("J-1", days_ago(3), 39_000)],
            last_login_at=days_ago(3, hour=12),
            last_visit_at=days_ago(0, hour=11),
            page_views={TODAY: {"/event/dogday": 3}},
            cart=cart({"P-DOG-BED": 1}, days_ago(0, hour=11)),
        ),
        # Only twice on the promotion page today; last login 3/17 23:00, before the start.
        customer(
            "seoyeon",
            last_login_at=days_ago(3, hour=23),
            last_visit_at=days_ago(0, hour=9),
            page_views={TODAY: {"/event/dogday": 2, "/product/P-DOG-BED": 4}},
        ),
        # Viewed the promotion 5 times yesterday, not today; never logged in.
        customer("doyun", last_visit_at=days_ago(1), page_views={YESTERDAY: {"/event/dogday": 5}}),
        # Put a featured bed in the cart on the 19th.
        customer("hana", last_login_at=days_ago(1), cart=cart({"P-DOG-BED": 2}, days_ago(1))),
        # Snacks in the cart since 3/16, before the promotion; last login 3/10.
        customer("minsu", last_login_at=days_ago(10), cart=cart({"P-DOG-SNACK": 1}, days_ago(4))),
        # Cart on the 19th, last purchase 8 days ago: outside the 7-day exclusion.
        customer(
            "yuna",
            [order("Y-1", days_ago(8), 12_000, ("P-CAT-TOY",))],
            last_login_at=days_ago(0, hour=8),
            cart=cart({"P-DOG-BED": 1, "P-CAT-TOY": 1}, days_ago(1)),
        ),
    ]


def _members(segment: Segment) -> set[str]:
    compiled = compile_segment(segment, KST, NOW)
    store = _store()
    by_profile = set(compiled.members(store))
    by_item = set(compiled.item_matcher.members([dynamodb_item(p) for p in store]))
    assert by_profile == by_item
    return by_profile


RECIPES = promotion_recipes(DOG_DAY)


def test_the_announcement_goes_to_every_member() -> None:
    assert _members(RECIPES["1_all_members"]) == {
        "minji",
        "jiho",
        "seoyeon",
        "doyun",
        "hana",
        "minsu",
        "yuna",
    }


def test_the_come_back_message_skips_everyone_who_logged_in_since_the_promotion_started() -> None:
    # minji (18th), hana (19th) and yuna (today) have been back; a 3/17 23:00 login is before the start.
    assert _members(RECIPES["2_not_back_since_start"]) == {"jiho", "seoyeon", "doyun", "minsu"}


def test_the_nudge_goes_to_todays_visitors_who_viewed_the_promotion_three_times() -> None:
    # jiho qualifies on views but bought 3 days ago; seoyeon viewed it twice; doyun's views were yesterday.
    assert _members(RECIPES["3_page_repeat_viewers"]) == {"minji"}


def test_the_cart_reminder_goes_to_carts_filled_since_the_start_by_non_buyers_of_the_week() -> None:
    # jiho bought 3 days ago; minsu's cart predates the promotion; yuna's purchase was 8 days ago.
    assert _members(RECIPES["4_cart_reminder"]) == {"hana", "yuna"}


def test_the_featured_product_reminder_looks_only_at_what_is_in_the_cart() -> None:
    # minsu's snack counts whenever it was added; a customer who bought 3 days ago is excluded.
    assert _members(RECIPES["5_product_cart_reminder"]) == {"hana", "minsu", "yuna"}


def test_a_promotion_without_featured_products_has_no_product_reminder() -> None:
    recipes = promotion_recipes(Promotion(DOG_DAY.start, "/event/dogday"))
    assert "5_product_cart_reminder" not in recipes and len(recipes) == 4
