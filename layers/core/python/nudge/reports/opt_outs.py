"""Opt-outs Nudge learns from a gateway rather than from the store: a delivery result saying the person
blocked the channel or is on the store's 080 list (`nudge.reports.delivery`), and the store's 080 free
opt-out list itself, read every morning (`sync_080`; NHN refuses an ad SMS to a listed number meanwhile).

Either way the channel's ad consent is withdrawn through the same write path as a webhook (dated when the
person refused, with the gateway as its source, recorded once however often it is seen, publishing
`consent.changed`), and the consent-result notice (시행령 §62-2: within 14 days; Nudge sends it at once)
goes out exactly once, from here (`nudge.sending.service.send_notice`): the source names the gateway
(`gateway:nhn:3020`, `gateway:nhn:080:080-123-4567`), and the consent-result automation leaves such a
withdrawal to this notice (`nudge.profiles.events.GATEWAY_OPTOUT_SOURCE`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from compliance.message import Message
from compliance.notices import result_notice
from nudge.ingest.platforms.delivery import Delivery
from nudge.ingest.service import IngestDependencies, apply_delivery
from nudge.privacy import InvalidPhoneNumber, normalize_phone
from nudge.profiles.events import GATEWAY_OPTOUT_SOURCE, ConsentChanged, ConsentChannel
from nudge.sending.gateway import OptOut
from nudge.stores import Store

# Sends an informational notice (store id, customer id, idempotency key, message): the consent result.
Notice = Callable[[str, str, str, Message], object]
# The list is read again from this long before the newest refusal already seen: an entry NHN registers a
# little late is still read, and one read twice changes nothing (its withdrawal is already recorded).
SYNC_OVERLAP = timedelta(hours=1)


def withdraw(
    store: Store,
    customer_id: str,
    channel: str,
    source: str,
    key: str,
    refused_at: datetime,
    ingest: IngestDependencies,
    notice: Notice | None,
    now: datetime,
) -> bool:
    """Withdraw the channel's ad consent as of `refused_at` (`key` names this sight of the refusal) and
    send the consent-result notice; True when this call withdrew it.

    The notice is keyed by the withdrawal it answers (source and instant), not by the sight: seeing the same
    opt-out again — a redelivered report, the 080 list read again after a crash between the withdrawal and
    its notice — finds the consent withdrawn by this source and makes sure that one notice went (a send key
    is sent once). Consent never given, withdrawn otherwise, or given again after this refusal: nothing."""
    profile = ingest.profiles.load(store.store_id, customer_id)
    consent = profile.consents.get(channel) if profile is not None else None
    if consent is None or consent.at > refused_at:
        return False
    if consent.granted:
        event = ConsentChanged(
            event_id=key,
            store_id=store.store_id,
            customer_id=customer_id,
            occurred_at=refused_at,
            source=source,
            channel=ConsentChannel(channel),
            granted=False,
        )
        apply_delivery(Delivery(key=key, customer_id=customer_id, events=[event]), store, ingest, now)
        withdrawn_at, withdrew = refused_at, True
    elif consent.source == source:
        withdrawn_at, withdrew = consent.at, False  # recorded at an earlier sight of this opt-out
    else:
        return False
    if notice is not None:
        message = result_notice(store.compliance, channel, "opt_out", withdrawn_at, now)
        # The profile keeps the instant to the second, in UTC: the key must read the same from either side.
        instant = withdrawn_at.astimezone(UTC).replace(microsecond=0).isoformat()
        notice(store.store_id, customer_id, f"{source}:{instant}", message)
    return withdrew


class OptOutList(Protocol):
    def opt_outs(self, unsubscribe_no: str, since: datetime | None) -> list[OptOut]: ...


class PhoneDirectory(Protocol):
    def customers_with_phone(self, store_id: str, phone: str) -> list[str]:
        """The store's customers whose profile has this phone number (E.164)."""
        ...


class SyncCursors(Protocol):
    def get(self, store_id: str, name: str) -> datetime | None: ...

    def put(self, store_id: str, name: str, at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class SyncResult:
    listed: int  # entries read from the gateway's list this time
    withdrawn: int  # profiles whose SMS ad consent this sync withdrew
    unknown: int  # listed numbers no profile of the store has

    def as_dict(self) -> dict[str, int]:
        return {"listed": self.listed, "withdrawn": self.withdrawn, "unknown": self.unknown}


CURSOR = "optout-080"


def sync_080(
    store: Store,
    gateway: OptOutList,
    phones: PhoneDirectory,
    cursors: SyncCursors,
    ingest: IngestDependencies,
    notice: Notice | None,
    now: datetime,
) -> SyncResult:
    """Record every refusal on the store's 080 list since the last sync as a withdrawal of SMS ad consent
    (the 080 number is the one every ad SMS of the store ends with)."""
    number = store.compliance.optout_080_number
    if number is None or store.gateway is None:
        return SyncResult(0, 0, 0)
    source = f"{GATEWAY_OPTOUT_SOURCE}{store.gateway.provider}:080:{number}"
    newest = cursors.get(store.store_id, CURSOR)
    entries = gateway.opt_outs(number, None if newest is None else newest - SYNC_OVERLAP)
    withdrawn = unknown = 0
    for entry in entries:
        try:
            customers = phones.customers_with_phone(store.store_id, normalize_phone(entry.phone))
        except InvalidPhoneNumber:
            customers = []
        unknown += not customers
        for customer_id in customers:
            key = f"080:{number}:{entry.at.isoformat()}:{customer_id}"
            withdrawn += withdraw(store, customer_id, "sms", source, key, entry.at, ingest, notice, now)
    if entries:
        latest = max(entry.at for entry in entries)
        if newest is None or latest > newest:
            cursors.put(store.store_id, CURSOR, latest)
    return SyncResult(len(entries), withdrawn, unknown)
