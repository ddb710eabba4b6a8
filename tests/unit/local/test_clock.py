"""The simulated clock: Nudge reads it, it never goes backwards, and it can tick with wall time."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from nudge import clock as nudge_clock
from nudge_local.runtime.clock import ClockError, SimulatedClock, parse_duration, parse_instant

from .conftest import START


def test_refuses_to_go_backwards():
    clock = SimulatedClock(START)
    clock.set(START)  # the same instant is fine
    with pytest.raises(ClockError):
        clock.set(START - timedelta(seconds=1))
    with pytest.raises(ClockError):
        clock.advance(timedelta(seconds=-1))
    assert clock.now() == START


def test_set_and_advance():
    clock = SimulatedClock(START)
    assert clock.advance(parse_duration("PT3H")) == START + timedelta(hours=3)
    clock.set(parse_instant("2026-03-23T16:00:00+09:00"))
    assert clock.now() == datetime(2026, 3, 23, 7, tzinfo=UTC)


def test_naive_instants_are_refused():
    with pytest.raises(ClockError):
        SimulatedClock(datetime(2026, 3, 20))
    with pytest.raises(ClockError):
        parse_instant("2026-03-20T09:00:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("PT3H", timedelta(hours=3)), ("P3D", timedelta(days=3)), ("P1DT30M", timedelta(days=1, minutes=30)),
     ("PT0.5S", timedelta(seconds=0.5))],
)  # fmt: skip
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P", "PT", "3 hours", "P1M", "-PT1H"])
def test_bad_durations(text):
    with pytest.raises(ClockError):
        parse_duration(text)


def test_ticking_clock_follows_wall_time():
    clock = SimulatedClock(START, ticking=True)
    time.sleep(0.02)
    assert clock.now() > START


def test_runtime_installs_its_clock_into_nudge(runtime):
    assert nudge_clock.now() == START
    runtime.advance("PT1H")
    assert nudge_clock.now() == START + timedelta(hours=1)
    runtime.close()
    assert abs(nudge_clock.now() - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_function_that_waits_moves_the_frozen_clock_on_and_time_still_never_goes_back(runtime):
    nudge_clock.sleep(2.5)  # what the sender's rate limiter does between two slots
    assert runtime.clock.now() == START + timedelta(seconds=2.5)
    runtime.advance_to(START + timedelta(seconds=1))  # asked for, but the wait already passed it
    assert runtime.clock.now() == START + timedelta(seconds=2.5)
    runtime.advance_to(START + timedelta(seconds=10))
    assert runtime.clock.now() == START + timedelta(seconds=10)
    with pytest.raises(ClockError):
        runtime.advance_to(START + timedelta(seconds=5))  # before what was asked last
