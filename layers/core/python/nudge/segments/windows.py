"""Store-local calendar math shared by both evaluators.

A segment is resolved once against "now" and the store's time zone: every date bound becomes a range of
Unix seconds [start, end) and every per-day window a list of YYYYMMDD keys. After that neither evaluator
touches a time zone again, which is what makes them fast and makes them agree.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nudge.profiles.profile import PAGE_VIEW_HISTORY_DAYS


def store_today(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def day_start(day: date, zone: ZoneInfo) -> int:
    """Unix seconds of the store-local midnight that starts `day` (DST-safe: zoneinfo resolves it)."""
    return int(datetime.combine(day, time(0), tzinfo=zone).timestamp())


def day_key(day: date) -> str:
    return day.strftime("%Y%m%d")


def recent_days(now: datetime, zone: ZoneInfo, count: int) -> list[str]:
    """The keys of today and the `count - 1` days before it, newest first."""
    today = store_today(now, zone)
    return [day_key(today - timedelta(days=i)) for i in range(count)]


def date_range(
    today: date,
    within_days: int | None,
    not_within_days: int | None,
    first: date | None,
    last: date | None,
) -> tuple[date | None, date | None]:
    """The first and last store-local date a set of bounds allows (None: open on that side).

    `within_days: N` is today-N … today ("오늘 기준 N일 이내", today = 0); `not_within_days: N` is any
    day before today-N. `first` / `last` are the absolute bounds, already made inclusive.
    """
    lows = [d for d in (first, within_days is not None and today - timedelta(days=within_days)) if d]
    highs = [d for d in (last,) if d]
    if within_days is not None:
        highs.append(today)
    if not_within_days is not None:
        highs.append(today - timedelta(days=not_within_days + 1))
    return (max(lows) if lows else None, min(highs) if highs else None)


def instant_range(first: date | None, last: date | None, zone: ZoneInfo) -> tuple[int | None, int | None]:
    """[start, end) in Unix seconds covering the store-local days first … last."""
    start = None if first is None else day_start(first, zone)
    end = None if last is None else day_start(last + timedelta(days=1), zone)
    return start, end


def history_days(today: date, first: date | None, last: date | None) -> list[str]:
    """YYYYMMDD keys of the days first … last that per-day history can hold (it is kept
    PAGE_VIEW_HISTORY_DAYS days, and nothing is recorded for days after today), newest first."""
    oldest = today - timedelta(days=PAGE_VIEW_HISTORY_DAYS)
    lo = max(first or oldest, oldest)
    hi = min(last or today, today)
    return [day_key(hi - timedelta(days=i)) for i in range((hi - lo).days + 1)] if hi >= lo else []
