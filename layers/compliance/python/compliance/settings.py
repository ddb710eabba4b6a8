"""The store settings every compliance rule reads (built once per store, not per decision)."""

from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


class AdBudget(BaseModel):
    """How many ads one customer may get from the store (informational messages are exempt). None = no cap."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_day: Annotated[int, Field(ge=1)] | None = None
    per_week: Annotated[int, Field(ge=1)] | None = None  # the store-zone day and the 6 days before it


class StoreSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=40)]  # the sender name after "(광고)"
    contact_phone: str | None = None  # the registered sender number (별표6: sender contact)
    optout_080_number: Annotated[str, Field(pattern=r"^080-?\d{3,4}-?\d{4}$")] | None = None
    mn_targeting_approved: bool = False  # Kakao approved the channel for brand-message targeting M/N
    timezone: str = "Asia/Seoul"
    ad_budget: AdBudget = AdBudget()
    existing_customer_exemption: bool = False  # §50 ① 1: off by default
    # A Kakao message with an image falls back as an MMS carrying it (when the image meets the MMS rule)
    # rather than as an SMS/LMS. Off by default: an MMS costs several times an LMS.
    fallback_mms: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        # Not a cached_property: model_copy(update={"timezone": …}) would carry the old zone along.
        return _zone(self.timezone)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
