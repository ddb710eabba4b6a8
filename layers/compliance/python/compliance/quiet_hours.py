"""Night windows and the next allowed instant.

Sources: 정보통신망법 §50 ③ (21:00–08:00 needs separate prior consent; 시행령 §61 ② exempts e-mail);
Kakao policy, result code 3022 (FriendTalk / brand message: 08:00–20:50 only, no exception).
Every window applies every day, holidays included, in the store's time zone.
"""

import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY_START = time(8, 0)  # both windows end at 08:00
SPREAD_SECONDS = 300  # deferred sends land between 08:00:00 and 08:04:59, by recipient


@dataclass(frozen=True, slots=True)
class NightWindow:
    name: str
    start: time
    end: time = DAY_START
    consent_exception: bool = False  # True: a separate, dated night-time consent lifts it
    start_seconds: int = field(init=False)  # seconds after midnight, precomputed for the hot path
    end_seconds: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "start_seconds", self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        )
        object.__setattr__(self, "end_seconds", self.end.hour * 3600 + self.end.minute * 60 + self.end.second)


KAKAO_AD_NIGHT = NightWindow("kakao_ad", time(20, 50), consent_exception=False)
AD_NIGHT = NightWindow("ad", time(21, 0), consent_exception=True)

_WINDOWS: dict[str, NightWindow | None] = {
    "brand_message": KAKAO_AD_NIGHT,
    "friendtalk": KAKAO_AD_NIGHT,
    "sms": AD_NIGHT,
    "push": AD_NIGHT,
    "email": None,  # 시행령 §61 ② exempts e-mail
    "alimtalk": None,  # informational only
}


def night_window(channel: str, is_ad: bool) -> NightWindow | None:
    """The window an ad on this channel must avoid; informational messages have none."""
    return _WINDOWS.get(channel) if is_ad else None


def seconds_of_day(local: datetime) -> int:
    return local.hour * 3600 + local.minute * 60 + local.second


def in_window(at: datetime, zone: ZoneInfo, window: NightWindow) -> bool:
    """Is this instant inside the night window, in the store's time zone? (start inclusive, end exclusive)"""
    local = at.astimezone(zone)
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return seconds >= window.start_seconds or seconds < window.end_seconds


def spread(key: str) -> timedelta:
    """A stable offset of 0 to SPREAD_SECONDS-1 seconds for this recipient key (same key, same offset)."""
    return timedelta(seconds=zlib.crc32(key.encode()) % SPREAD_SECONDS)


@lru_cache(maxsize=4096)
def local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a store-zone calendar date (cached: day bounds are hot)."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def next_allowed_instant(at: datetime, zone: ZoneInfo, window: NightWindow, key: str) -> datetime:
    """For an instant inside the window: the window's end (08:00 store time) plus the recipient's spread."""
    local = at.astimezone(zone)
    day = local.date()
    if seconds_of_day(local) >= window.end_seconds:  # evening part: the window ends tomorrow morning
        day += timedelta(days=1)
    return local_instant(day, window.end, zone) + spread(key)


def day_bounds(at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the store-zone calendar day containing `at`, as UTC instants."""
    day = at.astimezone(zone).date()
    return local_instant(day, time(0), zone), local_instant(day + timedelta(days=1), time(0), zone)
