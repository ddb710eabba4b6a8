"""The purchase-likelihood score: 0–100, and more recent / more orders / more spend / more intent never
lowers it — a marketer raising a threshold must never lose their best customers to a quirk."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from nudge.segments.score import score

recency = st.none() | st.integers(0, 1_000)
signals = st.fixed_dictionaries(
    {
        "days_since_purchase": recency,
        "orders": st.integers(0, 50),
        "spend": st.floats(0, 5e7, allow_nan=False),
        "days_since_visit": recency,
        "visits": st.integers(0, 200),
        "cart_items": st.integers(0, 20),
        "page_repeats": st.integers(0, 30),
    }
)


def _more_recent(days: int | None, by: int) -> int:
    return 0 if days is None else max(0, days - by)  # "never" becomes "today" at best


@given(signals)
def test_the_score_is_between_0_and_100(s: dict[str, Any]) -> None:
    assert 0 <= score(**s) <= 100


@given(signals, st.integers(0, 400))
def test_a_more_recent_purchase_or_visit_never_lowers_the_score(s: dict[str, Any], by: int) -> None:
    for key in ("days_since_purchase", "days_since_visit"):
        assert score(**{**s, key: _more_recent(s[key], by)}) >= score(**s)


@given(signals, st.integers(0, 20), st.floats(0, 1e7, allow_nan=False))
def test_more_orders_or_more_spend_never_lowers_the_score(
    s: dict[str, Any], extra: int, spend: float
) -> None:
    assert score(**{**s, "orders": s["orders"] + extra}) >= score(**s)
    assert score(**{**s, "spend": s["spend"] + spend}) >= score(**s)


@given(signals, st.integers(0, 20))
def test_more_visits_cart_items_or_page_repeats_never_lower_the_score(s: dict[str, Any], extra: int) -> None:
    for key in ("visits", "cart_items", "page_repeats"):
        assert score(**{**s, key: s[key] + extra}) >= score(**s)


def test_a_customer_who_never_did_anything_scores_0_and_a_perfect_one_100() -> None:
    assert score(None, 0, 0.0, None, 0, 0, 0) == 0
    assert score(0, 10, 1_000_000.0, 0, 20, 3, 5) == 100


def test_a_non_buyer_can_reach_50_on_intent_alone() -> None:
    # Visited today, 20 visits, 3 items in the cart, one page viewed 5 times: the "likely non-buyer" target.
    assert score(None, 0, 0.0, 0, 20, 3, 5) == 50
