"""Schedule expressions are checked before EventBridge Scheduler sees them: the emulator accepts garbage
(moto does not validate expressions or time zones), AWS refuses it at deploy time."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from nudge.schedules import (
    InvalidSchedule,
    at_expression,
    parse_at,
    validate_expression,
    validate_name,
    validate_timezone,
)

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 3, 1, tzinfo=UTC)

ACCEPTED = [
    "at(2026-03-23T16:00:00)",
    "cron(0 10 ? * MON-FRI *)",
    "cron(0/15 9-17 * * ? 2026)",
    "cron(30 19 ? 3 TUE,THU 2026)",
    "cron(0 10 ? * 2#1 *)",
    "cron(0 10 L * ? *)",
    "rate(5 minutes)",
    "rate(1 hour)",
    "rate(2 days)",
]
REFUSED = [
    ("at(not-a-date)", "not at"),
    ("at(2026-02-30T10:00:00)", "not a real date"),
    ("at(2026-02-28T10:00:00)", "in the past"),
    ("cron(0 25 * * ? *)", "hours field"),
    ("cron(0 10 * * MON *)", "exactly one of"),
    ("cron(0 10 ? * MON)", "6 fields"),
    ("cron(61 10 ? * MON *)", "minutes field"),
    ("rate(1 hours)", "rate(1 hour)"),
    ("rate(0 minutes)", "rate"),
    ("every day at 4pm", "not at(...)"),
]


@pytest.mark.parametrize("expression", ACCEPTED)
def test_expressions_aws_accepts_pass(expression: str) -> None:
    assert validate_expression(expression, SEOUL, NOW) == expression


@pytest.mark.parametrize(("expression", "reason"), REFUSED, ids=[e for e, _ in REFUSED])
def test_expressions_aws_would_refuse_are_refused_with_the_reason(expression: str, reason: str) -> None:
    with pytest.raises(InvalidSchedule, match=reason.replace("(", r"\(").replace(")", r"\)")):
        validate_expression(expression, SEOUL, NOW)


def test_at_expression_is_written_in_the_store_time_zone_and_reads_back() -> None:
    instant = datetime(2026, 3, 23, 7, 0, tzinfo=UTC)  # 16:00 in Seoul
    expression = at_expression(instant, SEOUL)
    assert expression == "at(2026-03-23T16:00:00)"
    assert parse_at(expression, SEOUL) == instant


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "Asia/Seoul" * 6])
def test_unknown_or_overlong_time_zones_are_refused(zone: str) -> None:
    with pytest.raises(InvalidSchedule):
        validate_timezone(zone)


@pytest.mark.parametrize("name", ["slot dogday 0323", "a" * 65, "", "slot/1"])
def test_schedule_names_outside_aws_rules_are_refused(name: str) -> None:
    with pytest.raises(InvalidSchedule):
        validate_name(name)
