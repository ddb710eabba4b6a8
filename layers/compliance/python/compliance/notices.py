"""The consent lifecycle notices as informational messages, ready for `validate_message` and `decide`.

- The result notice (§50 ⑦, 시행령 §62-2): within 14 days of an opt-in, opt-out or withdrawal; Nudge sends
  it at once. Sender name, the fact and date of the request, the result.
- The re-confirmation notice (§50 ⑧, 시행령 §62-3): before the 2-year anniversary of the consent. Sender
  name, the fact and date of consent, how to keep or withdraw it.
Both are informational: no consent needed, no night window, and they must not carry any promotion.
"""

from datetime import datetime
from typing import Literal

from compliance.consent import Consent, reconfirmation_text, result_text
from compliance.message import Message
from compliance.settings import StoreSettings

NoticeChannel = Literal["sms", "email", "push"]


def reconfirmation_notice(
    store: StoreSettings,
    channel: str,
    consent: Consent,
    *,
    keep: str = "별도의 조치 없이 수신동의가 유지됩니다.",
    withdraw: str | None = None,
    via: NoticeChannel = "sms",
) -> Message:
    """The 2-year re-confirmation notice for one channel's consent. `withdraw` defaults to the store's free
    080 number. The default `keep` line treats silence as keeping consent: the decree is silent on it, so
    a store that wants an explicit answer passes its own `keep` text."""
    start = consent.reconfirmed_at or consent.granted_at
    if start is None:
        raise ValueError("a consent without a date cannot be re-confirmed")
    if withdraw is None:
        if store.optout_080_number is None:
            raise ValueError("give `withdraw` or set the store's 080 number")
        withdraw = f"{store.optout_080_number}(무료)로 전화하시면 철회됩니다."
    text = reconfirmation_text(store.name, channel, start, store.zone, keep, withdraw)
    return Message(message_class="informational", channel=via, content=text)


def result_notice(
    store: StoreSettings,
    channel: str,
    action: Literal["opt_in", "opt_out", "withdrawal"],
    requested_at: datetime,
    processed_at: datetime,
    *,
    via: NoticeChannel = "sms",
) -> Message:
    """The opt-in / opt-out / withdrawal result notice."""
    text = result_text(store.name, channel, action, requested_at, processed_at, store.zone)
    return Message(message_class="informational", channel=via, content=text)
