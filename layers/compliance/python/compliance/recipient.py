"""One recipient as the rules see them: consents, night consent, channel friendship, age, recent sends.

Plain frozen dataclasses: one is built per decision, so they must be cheap. No phone number lives here.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from compliance.consent import Consent, ExistingCustomer


@dataclass(frozen=True, slots=True)
class RecentSend:
    at: datetime  # UTC instant the message was sent
    promotion_group: str | None = None
    is_ad: bool = True


@dataclass(frozen=True, slots=True)
class Recipient:
    key: str  # a stable, non-personal key (customer id): the deferral spread is derived from it
    consents: Mapping[str, Consent] = field(default_factory=dict)  # by channel: sms, kakao, push, email
    night_consent: Consent | None = None  # separate night-time consent (§50 ③), with its date
    channel_friend: bool = False
    age_verified: bool = False  # an age-verified adult
    recent_sends: tuple[RecentSend, ...] = ()
    existing_customer: ExistingCustomer | None = None
    variables: Mapping[str, str] = field(default_factory=dict)  # values for #{name} in the content
