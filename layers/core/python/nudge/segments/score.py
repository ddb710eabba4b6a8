"""The purchase-likelihood score (구매 가능성 점수), 0–100, for every profile.

Half of the points are RFM (how recently, how often and how much the customer bought), half are intent
(how recently and how often they visit, what sits in their cart, which page they keep coming back to).
The split lets a customer who never bought reach 50 on intent alone — the seeds' "구매 가능성이 있는
미구매 고객" campaigns target exactly those — while a loyal buyer who stopped visiting still scores.

Every part is a non-decreasing function of one signal, capped, so more recent / more orders / more spend /
more intent never lowers the score (tests/unit/segments/test_score.py checks it with hypothesis). The item
evaluator calls the same `score` function with the same inputs, so both evaluation paths agree exactly.
"""

import math

SECONDS_PER_DAY = 86_400
PAGE_REPEAT_DAYS = 7  # "page repeats" look at today and the 6 days before (store zone)

# (points, horizon): the part falls linearly from `points` (today) to 0 (at `horizon` days or more).
PURCHASE_RECENCY = (25.0, 180)
VISIT_RECENCY = (15.0, 30)
# (points, cap): linear in the count up to the cap.
ORDERS = (15.0, 10)
VISITS = (5.0, 20)
CART_ITEMS = (15.0, 3)
PAGE_REPEATS = (15.0, 5)
# Spend is logarithmic: the 10th 10,000 KRW matters less than the first; 1,000,000 KRW earns all points.
SPEND = (10.0, 1_000_000)


def days_since(instant: int | None, now: int) -> int | None:
    """Whole days elapsed since a Unix-seconds instant (0 for the future: clocks disagree a little)."""
    return None if instant is None else max(0, (now - instant) // SECONDS_PER_DAY)


def _recency(days: int | None, part: tuple[float, int]) -> float:
    points, horizon = part
    return 0.0 if days is None or days >= horizon else points * (1 - days / horizon)


def _count(n: int, part: tuple[float, int]) -> float:
    points, cap = part
    return points * min(max(n, 0), cap) / cap


def score(
    days_since_purchase: int | None,
    orders: int,
    spend: float,
    days_since_visit: int | None,
    visits: int,
    cart_items: int,
    page_repeats: int,
) -> int:
    """The score from its signals (None = never). Positional and plain so the item evaluator calls it
    per profile without building objects."""
    points, full = SPEND
    total = (
        _recency(days_since_purchase, PURCHASE_RECENCY)
        + _count(orders, ORDERS)
        + (points * min(1.0, math.log10(1 + spend) / math.log10(1 + full)) if spend > 0 else 0.0)
        + _recency(days_since_visit, VISIT_RECENCY)
        + _count(visits, VISITS)
        + _count(cart_items, CART_ITEMS)
        + _count(page_repeats, PAGE_REPEATS)
    )
    return min(100, int(total + 0.5))
