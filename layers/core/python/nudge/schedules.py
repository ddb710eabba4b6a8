"""EventBridge Scheduler expressions, validated here because the emulator accepts anything and AWS does not.

Formats (EventBridge Scheduler user guide, "Schedule types"): `at(yyyy-mm-ddThh:mm:ss)` in the schedule's
time zone, `cron(minutes hours day-of-month month day-of-week year)` with exactly one of day-of-month
and day-of-week being `?`, and `rate(value unit)`. Schedule names are 1–64 of `[0-9a-zA-Z-_.]`.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON = re.compile(r"^cron\((.+)\)$")
NAME = re.compile(r"^[0-9a-zA-Z._-]{1,64}$")
MAX_TIMEZONE_LENGTH = 50

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# (name, lowest, highest, extra characters allowed in that field)
_CRON_FIELDS = (
    ("minutes", 0, 59, ""),
    ("hours", 0, 23, ""),
    ("day-of-month", 1, 31, "?LW"),
    ("month", 1, 12, ""),
    ("day-of-week", 1, 7, "?L#"),
    ("year", 1970, 2199, ""),
)


class InvalidSchedule(ValueError):
    pass


def validate_timezone(name: str) -> ZoneInfo:
    if not name or len(name) > MAX_TIMEZONE_LENGTH:
        raise InvalidSchedule(f"time zone must be an IANA name of at most {MAX_TIMEZONE_LENGTH} characters")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidSchedule(f"unknown IANA time zone {name!r}") from exc


def validate_name(name: str) -> str:
    if not NAME.match(name):
        raise InvalidSchedule(f"schedule name {name!r} must be 1-64 characters of 0-9 a-z A-Z . _ -")
    return name


def at_expression(instant: datetime, zone: ZoneInfo) -> str:
    """The at() expression that fires at `instant`, written in the schedule's time zone."""
    return f"at({instant.astimezone(zone).strftime('%Y-%m-%dT%H:%M:%S')})"


def parse_at(expression: str, zone: ZoneInfo) -> datetime:
    match = AT.match(expression)
    if not match:
        raise InvalidSchedule(f"{expression!r} is not at(yyyy-mm-ddThh:mm:ss)")
    try:
        return datetime.fromisoformat(match.group(1)).replace(tzinfo=zone)
    except ValueError as exc:
        raise InvalidSchedule(f"{expression!r} is not a real date and time") from exc


def _cron_value(token: str, low: int, high: int, names: list[str] | None, offset: int) -> int:
    if names and token.upper() in names:
        return names.index(token.upper()) + offset
    if not token.isdigit():
        raise ValueError(token)
    value = int(token)
    if not low <= value <= high:
        raise ValueError(token)
    return value


def _validate_cron_field(text: str, name: str, low: int, high: int, extra: str) -> None:
    names = _MONTHS if name == "month" else _DAYS if name == "day-of-week" else None
    offset = 1
    if text in ("*", "?") and (text == "*" or "?" in extra):
        return
    for part in text.split(","):
        try:
            if name == "day-of-month" and (part in ("L", "LW") or re.fullmatch(r"\d{1,2}W", part)):
                if part.endswith("W") and part != "LW":
                    _cron_value(part[:-1], low, high, None, offset)
                continue
            if name == "day-of-week" and "#" in part:
                day, nth = part.split("#")
                _cron_value(day, low, high, names, offset)
                if not nth.isdigit() or not 1 <= int(nth) <= 5:
                    raise ValueError(part)
                continue
            if name == "day-of-week" and part.endswith("L") and len(part) > 1:
                _cron_value(part[:-1], low, high, names, offset)
                continue
            base, _, step = part.partition("/")
            if step and (not step.isdigit() or int(step) == 0):
                raise ValueError(part)
            if base in ("*",) and step:
                continue
            first, _, last = base.partition("-")
            start = _cron_value(first, low, high, names, offset)
            if last and _cron_value(last, low, high, names, offset) < start:
                raise ValueError(part)
        except ValueError as exc:
            raise InvalidSchedule(f"cron {name} field {text!r} is not valid (allowed {low}-{high})") from exc


def validate_expression(expression: str, zone: ZoneInfo | None = None, now: datetime | None = None) -> str:
    """Raise InvalidSchedule unless AWS would accept `expression`; an at() must also lie in the future."""
    if AT.match(expression):
        instant = parse_at(expression, zone or ZoneInfo("UTC"))
        if now is not None and instant <= now:
            raise InvalidSchedule(f"{expression!r} is in the past; send it now instead")
        return expression
    rate = RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise InvalidSchedule(f"{expression!r}: use 'rate(1 hour)' or 'rate(N hours)' with N > 1")
        return expression
    cron = CRON.match(expression)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != len(_CRON_FIELDS):
            raise InvalidSchedule(
                f"{expression!r} needs 6 fields: minutes hours day-of-month month day-of-week year"
            )
        for text, (name, low, high, extra) in zip(fields, _CRON_FIELDS, strict=True):
            _validate_cron_field(text, name, low, high, extra)
        if (fields[2] == "?") == (fields[4] == "?"):
            raise InvalidSchedule(f"{expression!r}: exactly one of day-of-month and day-of-week must be '?'")
        return expression
    raise InvalidSchedule(f"{expression!r} is not at(...), cron(...) or rate(...)")
