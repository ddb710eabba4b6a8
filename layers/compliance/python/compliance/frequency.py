"""How often one customer gets ads: one per promotion group per day, and the store's ad budget.

Sources: seed 001 (IFDO: never two messages of one promotion to one person on the same day);
compliance-rules.md "Frequency". Days are calendar days in the store's time zone; informational messages
are exempt from both.
"""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from compliance.quiet_hours import local_instant
from compliance.recipient import RecentSend
from compliance.settings import AdBudget

MIDNIGHT = time(0)
BUDGET_LOOKAHEAD_DAYS = 8  # a weekly budget always frees a day within a week


def check(
    sends: tuple[RecentSend, ...], group: str | None, budget: AdBudget, day: date, zone: ZoneInfo
) -> tuple[bool, bool]:
    """(promotion already sent that day, budget full that day) in one pass over the recent sends."""
    per_day, per_week = budget.per_day, budget.per_week
    start = local_instant(day, MIDNIGHT, zone)
    end = local_instant(day + timedelta(days=1), MIDNIGHT, zone)
    week_start = local_instant(day - timedelta(days=6), MIDNIGHT, zone) if per_week is not None else end
    capped, today, week = False, 0, 0
    for send in sends:
        if not send.is_ad:
            continue
        at = send.at
        if start <= at < end:
            today += 1
            if group is not None and send.promotion_group == group:
                capped = True
        if week_start <= at < end:
            week += 1
    full = (per_day is not None and today >= per_day) or (per_week is not None and week >= per_week)
    return capped, full


def next_budget_day(sends: tuple[RecentSend, ...], budget: AdBudget, after: date, zone: ZoneInfo) -> date:
    """The first day after `after` with room in the budget."""
    day = after + timedelta(days=1)
    for _ in range(BUDGET_LOOKAHEAD_DAYS):
        if not check(sends, None, budget, day, zone)[1]:
            return day
        day += timedelta(days=1)
    return day
