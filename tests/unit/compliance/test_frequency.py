"""Frequency: one ad per promotion group per customer per store-zone day; the store's ad budget.

Sources: seed 001 (IFDO: never two messages of one promotion to one person on the same day);
compliance-rules.md "Frequency".
"""

from datetime import datetime, timedelta

import pytest

from compliance import AdBudget, Outcome, Reason, RecentSend, decide

from .helpers import STORE, ad_sms, alimtalk, brand, kst, local, recipient, store

NOON = kst(12)

CAP = [
    # (rule id, recent sends, at, expected outcome)
    ("same_group_same_day", (RecentSend(kst(9), "dogday"),), NOON, Outcome.SUPPRESS),
    ("same_group_yesterday", (RecentSend(kst(20, day=22), "dogday"),), NOON, Outcome.SEND),
    (
        "same_group_just_after_midnight_store_time",
        (RecentSend(kst(0, 0, 1), "dogday"),),
        NOON,
        Outcome.SUPPRESS,
    ),
    (
        "same_group_just_before_midnight_store_time",
        (RecentSend(kst(23, 59, 59, day=22), "dogday"),),
        NOON,
        Outcome.SEND,
    ),
    ("other_group_same_day", (RecentSend(kst(9), "summer"),), NOON, Outcome.SEND),
    ("informational_of_same_group", (RecentSend(kst(9), "dogday", is_ad=False),), NOON, Outcome.SEND),
]


@pytest.mark.parametrize(("rule", "sends", "at", "outcome"), CAP, ids=[c[0] for c in CAP])
def test_frequency_cap(rule: str, sends: tuple[RecentSend, ...], at: datetime, outcome: Outcome) -> None:
    """At most one ad per promotion group per customer per calendar day in the store's time zone."""
    decision = decide(brand(promotion_group="dogday"), recipient(recent_sends=sends), STORE, at)
    assert decision.outcome is outcome, rule
    if outcome is Outcome.SUPPRESS:
        assert decision.reasons == (Reason.FREQUENCY_CAP,)


def test_frequency_cap_applies_to_the_day_a_deferral_lands_on() -> None:
    """A 23:00 ad deferred to tomorrow 08:00 is capped by tomorrow's sends, not today's."""
    today = (RecentSend(kst(10), "dogday"),)
    assert decide(brand(promotion_group="dogday"), recipient(recent_sends=today), STORE, kst(23)).outcome is (
        Outcome.DEFER
    )
    tomorrow_morning = (RecentSend(kst(7, day=24) - timedelta(hours=7), "dogday"),)  # 00:00 on the 24th
    decision = decide(
        brand(promotion_group="dogday"), recipient(recent_sends=tomorrow_morning), STORE, kst(23)
    )
    assert decision.outcome is Outcome.SUPPRESS
    assert decision.reasons == (Reason.QUIET_HOURS, Reason.FREQUENCY_CAP)


BUDGET = [
    # (rule id, budget, recent ad sends (Seoul day of June, hour), expected outcome, expected send-at day)
    ("under_daily_budget", AdBudget(per_day=2), [(23, 9)], Outcome.SEND, 23),
    ("daily_budget_reached_defers_to_tomorrow", AdBudget(per_day=1), [(23, 9)], Outcome.DEFER, 24),
    (
        "weekly_budget_reached_defers_until_a_day_frees",
        AdBudget(per_week=3),
        [(17, 9), (20, 9), (22, 9)],
        Outcome.DEFER,
        24,
    ),
    (
        "weekly_budget_window_is_seven_days",
        AdBudget(per_week=3),
        [(16, 9), (20, 9), (22, 9)],
        Outcome.SEND,
        23,
    ),
    ("both_budgets", AdBudget(per_day=1, per_week=2), [(22, 9), (23, 9)], Outcome.DEFER, 29),
    ("no_budget_configured", AdBudget(), [(23, 9), (23, 10), (23, 11)], Outcome.SEND, 23),
]


@pytest.mark.parametrize(("rule", "budget", "sends", "outcome", "day"), BUDGET, ids=[b[0] for b in BUDGET])
def test_ad_budget(
    rule: str, budget: AdBudget, sends: list[tuple[int, int]], outcome: Outcome, day: int
) -> None:
    """A store budget of ads per customer (per day / per rolling week); over budget → the next day with room,
    at 08:00 + spread."""
    recent = tuple(RecentSend(kst(hour, day=d), f"p{d}{hour}") for d, hour in sends)
    decision = decide(ad_sms(), recipient(recent_sends=recent), store(ad_budget=budget), NOON)
    assert decision.outcome is outcome, rule
    assert decision.send_at is not None and local(decision.send_at).day == day
    if outcome is Outcome.DEFER:
        assert decision.reasons == (Reason.CONSENT, Reason.OVER_BUDGET)
        assert local(decision.send_at).hour == 8


def test_over_budget_suppressed_when_validity_ends_first() -> None:
    recent = (RecentSend(kst(9), "x"),)
    decision = decide(
        ad_sms(valid_until=kst(23, 59)),
        recipient(recent_sends=recent),
        store(ad_budget=AdBudget(per_day=1)),
        NOON,
    )
    assert decision.outcome is Outcome.SUPPRESS
    assert decision.reasons == (Reason.OVER_BUDGET, Reason.EXPIRED)


def test_informational_messages_are_exempt_from_frequency_rules() -> None:
    recent = tuple(RecentSend(kst(h), "dogday") for h in (8, 9, 10))
    decision = decide(
        alimtalk(promotion_group="dogday"),
        recipient(recent_sends=recent, variables={"고객명": "a", "송장번호": "1"}),
        store(ad_budget=AdBudget(per_day=1)),
        NOON,
    )
    assert decision.outcome is Outcome.SEND
