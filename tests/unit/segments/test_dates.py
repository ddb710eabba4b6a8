"""Dates are store-local calendar days: "오늘 기준 0일 이내" is today in Seoul, whatever UTC says, and a
bound ends exactly at a Seoul midnight. Checked second by second around every midnight of two weeks."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from nudge.segments.evaluate import compile_segment
from nudge.segments.language import SegmentInvalid, parse_segment
from tests.unit.segments.helpers import KST, NOW, customer, dynamodb_item

TODAY = NOW.date()  # 2026-03-20

BOUNDS: list[tuple[dict[str, Any], Any]] = [
    ({"within_days": 0}, lambda d: d == TODAY),
    ({"within_days": 7}, lambda d: TODAY - timedelta(days=7) <= d <= TODAY),
    ({"not_within_days": 3}, lambda d: d < TODAY - timedelta(days=3)),
    (
        {"within_days": 10, "not_within_days": 3},
        lambda d: TODAY - timedelta(days=10) <= d < TODAY - timedelta(days=3),
    ),
    ({"before": "2026-03-17"}, lambda d: d < date(2026, 3, 17)),
    ({"on_or_before": "2026-03-17"}, lambda d: d <= date(2026, 3, 17)),
    ({"after": "2026-03-18"}, lambda d: d > date(2026, 3, 18)),
    ({"on_or_after": "2026-03-18"}, lambda d: d >= date(2026, 3, 18)),
    (
        {"on_or_after": "2026-03-12", "before": "2026-03-15"},
        lambda d: date(2026, 3, 12) <= d < date(2026, 3, 15),
    ),
]


def _midnights() -> list[datetime]:
    out = []
    for back in range(-1, 14):
        midnight = datetime.combine(TODAY - timedelta(days=back), time(0), tzinfo=KST)
        out += [midnight + timedelta(seconds=s) for s in (-1, 0, 1)]
    return [at.astimezone(UTC) for at in out if at <= NOW]


@pytest.mark.parametrize(("bounds", "expected"), BOUNDS, ids=[str(b) for b, _ in BOUNDS])
def test_a_last_visit_counts_on_the_seoul_day_it_happened(bounds: dict[str, Any], expected: Any) -> None:
    compiled = compile_segment({"include": [{"field": "traffic.last_visit", **bounds}]}, KST, NOW)
    for at in _midnights():
        profile = customer("c1", last_visit_at=at)
        want = expected(at.astimezone(KST).date())
        assert compiled.matches(profile) is want, at
        assert compiled.item_matcher.matches(dynamodb_item(profile)) is want, at


def test_a_visit_at_0030_in_seoul_is_today_although_it_is_yesterday_in_utc() -> None:
    at = datetime(2026, 3, 20, 0, 30, tzinfo=KST)
    assert at.astimezone(UTC).date() == date(2026, 3, 19)
    compiled = compile_segment({"include": [{"field": "traffic.last_visit", "within_days": 0}]}, KST, NOW)
    assert compiled.matches(customer("early", last_visit_at=at))


def test_someone_who_never_visited_is_not_a_recent_visitor_nor_a_lapsed_one() -> None:
    never = customer("never")
    for bounds in ({"within_days": 30}, {"not_within_days": 30}, {}):
        compiled = compile_segment({"include": [{"field": "traffic.last_visit", **bounds}]}, KST, NOW)
        assert not compiled.matches(never)
        assert not compiled.item_matcher.matches(dynamodb_item(never))


def test_a_date_window_that_no_day_can_satisfy_is_refused_with_its_path() -> None:
    with pytest.raises(SegmentInvalid) as refused:
        parse_segment(
            {
                "include": [{"field": "member.all"}],
                "exclude": [{"field": "purchase.last", "within_days": 3, "not_within_days": 7}],
            }
        )
    assert refused.value.errors == [
        "exclude[0]: within_days must be greater than not_within_days, or no date can match"
    ]
    with pytest.raises(SegmentInvalid) as refused:
        parse_segment(
            {"include": [{"field": "cart.last_added", "after": "2026-03-18", "before": "2026-03-19"}]}
        )
    assert refused.value.errors == ["include[0]: the absolute date bounds leave no date that can match"]
