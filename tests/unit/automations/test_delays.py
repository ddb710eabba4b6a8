"""When a step is due: durations, "N days later at HH:MM" in the store's zone, business days."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from nudge.automations.definitions import (
    Delay,
    LearnedCycles,
    add_business_days,
    due_at,
    is_business_day,
    repurchase_cycle_days,
)
from nudge.automations.runs import slot_of

KST = ZoneInfo("Asia/Seoul")


def test_review_request_delivered_friday_night_is_due_monday_at_16() -> None:
    delivered = datetime(2026, 3, 20, 23, 30, tzinfo=KST)
    due = due_at(delivered, Delay(days=3, at=time(16, 0)), KST)
    assert due == datetime(2026, 3, 23, 16, 0, tzinfo=KST)


def test_days_count_from_the_store_zone_date_not_the_utc_date() -> None:
    # 00:30 KST on 3/21 is still 3/20 in UTC: the store's calendar decides.
    just_after_midnight = datetime(2026, 3, 21, 0, 30, tzinfo=KST)
    assert due_at(just_after_midnight, Delay(days=1, at=time(9, 0)), KST) == datetime(
        2026, 3, 22, 9, 0, tzinfo=KST
    )


def test_a_duration_is_counted_from_the_trigger_instant() -> None:
    start = datetime(2026, 3, 20, 23, 30, tzinfo=KST)
    assert due_at(start, Delay(hours=1), KST) == datetime(2026, 3, 21, 0, 30, tzinfo=KST)
    assert due_at(start, Delay(days=1, hours=2, minutes=5), KST) == datetime(2026, 3, 22, 1, 35, tzinfo=KST)


def test_business_days_skip_the_weekend() -> None:
    delivered = datetime(2026, 3, 20, 23, 30, tzinfo=KST)  # Friday
    due = due_at(delivered, Delay(days=3, at=time(16, 0), business_days=True), KST)
    assert due == datetime(2026, 3, 25, 16, 0, tzinfo=KST)  # Mon, Tue, Wed


def test_business_days_skip_seollal_2026() -> None:
    # Seollal 2026 is Mon 2/16 - Wed 2/18; delivered Friday 2/13.
    open_days = [is_business_day(date(2026, 2, d)) for d in (13, 16, 17, 18, 19)]
    assert open_days == [True, False, False, False, True]
    assert add_business_days(date(2026, 2, 13), 2) == date(2026, 2, 20)


def test_business_days_skip_substitute_holidays() -> None:
    # 3/1/2026 (삼일절) is a Sunday, so Monday 3/2 is its substitute holiday.
    assert not is_business_day(date(2026, 3, 2))
    assert add_business_days(date(2026, 2, 27), 1) == date(2026, 3, 3)


def test_chuseok_and_a_holiday_calendar_can_be_given() -> None:
    # Chuseok 2026 is Thu 9/24 - Sat 9/26.
    assert add_business_days(date(2026, 9, 23), 1) == date(2026, 9, 28)
    closed = {date(2026, 9, 28)}  # a store's courier that also rests on Monday
    assert add_business_days(date(2026, 9, 23), 1, lambda d: is_business_day(d) and d not in closed) == date(
        2026, 9, 29
    )


@pytest.mark.parametrize(
    ("delay", "message"),
    [
        ({"days": 1, "at": "16:00", "hours": 2}, "not both"),
        ({"business_days": True, "hours": 3}, "days >= 1"),
        ({"days": 1, "at": "16:00:30"}, "wall-clock"),
        ({"days": 900}, "less than or equal"),
        ({"minutes": -5}, "greater than or equal"),
        ({"days": 1, "at": "25:00"}, "time"),
    ],
)
def test_an_impossible_delay_is_refused(delay: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Delay.model_validate(delay)


def test_slots_round_up_to_the_minute_so_nothing_fires_early() -> None:
    assert slot_of(datetime(2026, 3, 23, 16, 0, tzinfo=KST)) == datetime(2026, 3, 23, 16, 0, tzinfo=KST)
    assert slot_of(datetime(2026, 3, 23, 16, 0, 1, tzinfo=KST)) == datetime(2026, 3, 23, 16, 1, tzinfo=KST)


def test_a_repurchase_delay_uses_the_shortest_learned_cycle_of_what_was_bought() -> None:
    cycles = LearnedCycles.from_document(
        {"store": {"days": 40}, "products": {"P-7": {"days": 20}, "P-8": {"days": 25}}}
    )
    assert repurchase_cycle_days(cycles, ["P-8", "P-7"]) == 20
    assert repurchase_cycle_days(cycles, ["P-9"]) == 40  # not learned: the store's cycle
    assert repurchase_cycle_days(None, ["P-7"]) == 32  # nothing learned yet: seed 004's average
    paid = datetime(2026, 4, 8, 15, 0, tzinfo=KST)
    delay = Delay(repurchase_cycle=True, at=time(10, 0))
    assert due_at(paid, delay, KST, 20) == datetime(2026, 4, 28, 10, 0, tzinfo=KST)


@pytest.mark.parametrize(
    ("text", "delay"),
    [
        ("1 hour", Delay(hours=1)),
        ("2 hours 30 minutes", Delay(hours=2, minutes=30)),
        ("3 days later at 16:00", Delay(days=3, at=time(16, 0))),
        ("3 business days later at 16:00", Delay(days=3, at=time(16, 0), business_days=True)),
        ("1 day at 9:00", Delay(days=1, at=time(9, 0))),
        ("now", Delay()),
    ],
)
def test_a_delay_may_be_written_as_text(text: str, delay: Delay) -> None:
    assert Delay.model_validate(text) == delay


@pytest.mark.parametrize("text", ["soon", "", "3 days at 25:00", "1 fortnight"])
def test_a_delay_text_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        Delay.model_validate(text)
