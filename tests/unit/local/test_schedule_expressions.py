"""AWS schedule expressions: at(), rate() and six-field cron() with ?, L, W and #, in a time zone."""

from datetime import UTC, datetime

import pytest

from nudge_local.runtime.schedule_expressions import ExpressionError, occurrences, validate


def times(expression, after, until, tz="Asia/Seoul"):
    return [t.isoformat() for t in occurrences(expression, tz, after, until)]


MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


def test_at_is_local_time_in_its_zone():
    before = datetime(2026, 3, 23, 6, 59, 59, tzinfo=UTC)
    assert times("at(2026-03-23T16:00:00)", MARCH, before) == []
    assert times("at(2026-03-23T16:00:00)", MARCH, APRIL) == ["2026-03-23T07:00:00+00:00"]


def test_cron_lists_ranges_steps_and_names():
    found = times("cron(0/30 9-10 ? * MON-FRI *)", MARCH, datetime(2026, 3, 2, 12, tzinfo=UTC))
    # Mon 2 March 2026, 09:00-10:30 KST = 00:00-01:30 UTC.
    assert found == [f"2026-03-02T0{h}:{m}:00+00:00" for h in (0, 1) for m in ("00", "30")]


@pytest.mark.parametrize(
    ("expression", "first"),
    [
        ("cron(0 12 L * ? *)", "2026-03-31T12:00:00+00:00"),  # last day of the month
        ("cron(0 12 15W * ? *)", "2026-03-16T12:00:00+00:00"),  # 15 March 2026 is a Sunday
        ("cron(0 12 ? * 6L *)", "2026-03-27T12:00:00+00:00"),  # last Friday
        ("cron(0 12 ? * MON#2 *)", "2026-03-09T12:00:00+00:00"),  # second Monday
        ("cron(0 12 ? * 1 *)", "2026-03-01T12:00:00+00:00"),  # 1 = Sunday
        ("cron(0 12 1,15 MAR ? 2026)", "2026-03-01T12:00:00+00:00"),
    ],
)
def test_cron_special_characters(expression, first):
    found = times(expression, MARCH, APRIL, tz="UTC")
    assert found[0] == first


def test_rate_counts_from_its_anchor():
    anchor = datetime(2026, 3, 1, 0, 10, tzinfo=UTC)
    found = list(occurrences("rate(20 minutes)", "UTC", anchor, datetime(2026, 3, 1, 1, tzinfo=UTC)))
    assert [t.strftime("%H:%M") for t in found] == ["00:30", "00:50"]


@pytest.mark.parametrize(
    "expression",
    ["at(not-a-date)", "cron(* * * * * *)", "cron(0 12 * *)", "rate(0 minutes)x", "cron(61 * * * ? *)"],
)
def test_invalid_expressions(expression):
    with pytest.raises(ExpressionError):
        validate(expression)


def test_invalid_time_zone():
    with pytest.raises(ExpressionError):
        validate("rate(1 hour)", "Mars/Olympus")
