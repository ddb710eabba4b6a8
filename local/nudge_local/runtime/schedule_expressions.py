"""EventBridge Scheduler expressions: at(), cron() and rate(), evaluated in the schedule's time zone.

`occurrences(expression, tz, after, until)` lists the instants (UTC) in (after, until] at which AWS would
invoke the target. AWS cron has six fields — minutes hours day-of-month month day-of-week year — with
day-of-week 1-7 = SUN-SAT, exactly one of the two day fields '?', and L, W, # for "last", "nearest
weekday" and "n-th weekday of the month".
"""

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nudge.schedules import InvalidSchedule, validate_expression, validate_timezone


class ExpressionError(ValueError):
    pass


_AT = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """`*`, `5`, `1-5`, `MON-FRI`, `0/15`, `10-50/10`, `1,15` (and combinations) as a set."""
    out: set[int] = set()

    def number(text: str) -> int:
        text = text.upper()
        if names and text in names:
            return names[text]
        if not text.isdigit():
            raise ExpressionError(f"not a value: {text!r}")
        return int(text)

    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = number(first), number(last)
        else:
            start = number(base)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise ExpressionError(f"out of range {low}-{high}: {part!r}")
        if start <= end:
            out.update(range(start, end + 1, step))
        else:  # wrap-around ranges such as FRI-MON
            out.update(v for v in range(start, high + 1) if (v - start) % step == 0)
            out.update(v for v in range(low, end + 1) if (v - start + high - low + 1) % step == 0)
    return out


def _aws_weekday(day: date) -> int:
    return (day.isoweekday() % 7) + 1  # SUN=1 … SAT=7


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    dom: str
    months: frozenset[int]
    dow: str
    years: frozenset[int] | None

    @classmethod
    def parse(cls, body: str) -> "Cron":
        fields = body.split()
        if len(fields) != 6:
            raise ExpressionError(f"cron needs 6 fields (min hour dom month dow year): {body!r}")
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ExpressionError("exactly one of day-of-month and day-of-week must be '?'")
        return cls(
            frozenset(_values(minute, 0, 59)),
            frozenset(_values(hour, 0, 23)),
            dom.upper(),
            frozenset(_values(month, 1, 12, _MONTHS)),
            dow.upper(),
            None if year == "*" else frozenset(_values(year, 1970, 2199)),
        )

    def _dom_matches(self, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        for part in self.dom.split(","):
            if part in ("*", "?"):
                return True
            if part == "L":
                if day.day == last:
                    return True
            elif part == "LW":
                if day == _nearest_weekday(day.replace(day=last)):
                    return True
            elif part.endswith("W"):
                target = day.replace(day=min(int(part[:-1]), last))
                if day == _nearest_weekday(target):
                    return True
            elif day.day in _values(part, 1, 31):
                return True
        return False

    def _dow_matches(self, day: date) -> bool:
        weekday = _aws_weekday(day)
        for part in self.dow.split(","):
            if part in ("*", "?"):
                return True
            if "#" in part:
                name, nth = part.split("#")
                if weekday in _values(name, 1, 7, _DAYS) and (day.day - 1) // 7 + 1 == int(nth):
                    return True
            elif part.endswith("L") and part != "L":
                last = calendar.monthrange(day.year, day.month)[1]
                if weekday in _values(part[:-1], 1, 7, _DAYS) and day.day + 7 > last:
                    return True
            elif part == "L":
                if weekday == 7:
                    return True
            elif weekday in _values(part, 1, 7, _DAYS):
                return True
        return False

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        return self._dom_matches(day) if self.dow == "?" else self._dow_matches(day)


def _nearest_weekday(day: date) -> date:
    """The weekday nearest to `day` within the same month (the W rule)."""
    if day.weekday() < 5:
        return day
    last = calendar.monthrange(day.year, day.month)[1]
    if day.weekday() == 5:  # Saturday -> Friday, unless that leaves the month
        return day - timedelta(days=1) if day.day > 1 else day + timedelta(days=2)
    return day + timedelta(days=1) if day.day < last else day - timedelta(days=2)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """A wall-clock time in `zone`, or None if it does not exist (skipped by a DST change)."""
    local = datetime.combine(day, at, tzinfo=zone)
    round_trip = local.astimezone(UTC).astimezone(zone)
    return local if round_trip.replace(tzinfo=None) == local.replace(tzinfo=None) else None


def validate(expression: str, timezone: str = "UTC") -> None:
    """Would AWS accept this schedule? The rules live in one place, nudge.schedules, which Nudge's own
    adapters call before creating a schedule; here they decide what the pump refuses to fire."""
    try:
        validate_expression(expression, validate_timezone(timezone))
    except InvalidSchedule as error:
        raise ExpressionError(str(error)) from error


def is_one_time(expression: str) -> bool:
    return bool(_AT.match(expression))


def occurrences(
    expression: str, timezone: str, after: datetime, until: datetime, *, anchor: datetime | None = None
) -> Iterator[datetime]:
    """Instants (UTC, ascending) in (after, until]. rate() counts from `anchor` (defaults to `after`)."""
    zone = ZoneInfo(timezone or "UTC")
    if until <= after:
        return
    at = _AT.match(expression)
    if at:
        instant = datetime.fromisoformat(at.group(1)).replace(tzinfo=zone).astimezone(UTC)
        if after < instant <= until:
            yield instant
        return
    rate = _RATE.match(expression)
    if rate:
        unit = rate.group(2).rstrip("s")
        period = timedelta(**{f"{unit}s": int(rate.group(1))})
        if period <= timedelta(0):
            raise ExpressionError(f"rate must be positive: {expression!r}")
        start = anchor or after
        skipped = max(0, int((after - start) / period))
        instant = start + period * skipped
        while instant <= until:
            if instant > after:
                yield instant.astimezone(UTC)
            instant += period
        return
    match = _CRON.match(expression)
    if not match:
        raise ExpressionError(f"not an at(), cron() or rate() expression: {expression!r}")
    cron = Cron.parse(match.group(1))
    day = after.astimezone(zone).date()
    last_day = until.astimezone(zone).date()
    seen: set[datetime] = set()
    while day <= last_day:
        if cron.day_matches(day):
            for hour in sorted(cron.hours):
                for minute in sorted(cron.minutes):
                    local = _local(day, time(hour, minute), zone)
                    if local is None:
                        continue
                    instant = local.astimezone(UTC)
                    if after < instant <= until and instant not in seen:
                        seen.add(instant)
                        yield instant
        day += timedelta(days=1)
