"""Opt-outs Nudge learns from a gateway rather than from the store: a delivery result saying the person
blocked the channel or is on the store's 080 list (`nudge.gateway_reports`), and the store's 080 free
opt-out list itself, read every hour (`sync_080`).

Either way the channel's ad consent is withdrawn through the same write path as a webhook (dated when the
person refused, with the gateway as its source, recorded once however often it is seen, publishing
`consent.changed`), and the consent-result notice (시행령 §62-2: within 14 days; Nudge sends it at once)
goes out exactly once: from the store's ready-made consent-result automation when it runs one (it answers
every `consent.changed`), otherwise from Nudge itself (`nudge.sending.send_notice`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from compliance.message import Message
from compliance.notices import result_notice
from nudge.automations import AUTOMATION
from nudge.events import ConsentChanged, ConsentChannel
from nudge.gateways import OptOut
from nudge.ingest import IngestDependencies, apply_delivery
from nudge.platforms.delivery import Delivery
from nudge.privacy import InvalidPhoneNumber, normalize_phone
from nudge.stores import Store

# Sends an informational notice (store id, customer id, idempotency key, message): the consent result.
Notice = Callable[[str, str, str, Message], object]
# The list is read again from this long before the newest refusal already seen: an entry NHN registers a
# little late is still read, and one read twice changes nothing.
SYNC_OVERLAP = timedelta(hours=1)
CONSENT_RESULT_TEMPLATE = "consent_result"  # nudge.automation_templates


class AutomationCatalog(Protocol):
    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]: ...


def automation_sends_notice(catalog: AutomationCatalog, store_id: str) -> bool:
    """Whether the store runs the ready-made consent-result automation: then the `consent.changed` event a
    withdrawal publishes brings the notice, and a notice of Nudge's own would be a second one."""
    return any(
        document.get("template") == CONSENT_RESULT_TEMPLATE and document.get("status") == "active"
        for document in catalog.documents(store_id, AUTOMATION)
    )


def withdraw(
    store: Store,
    customer_id: str,
    channel: str,
    source: str,
    key: str,
    refused_at: datetime,
    ingest: IngestDependencies,
    notice: Notice | None,
    catalog: AutomationCatalog | None,
    now: datetime,
) -> bool:
    """Withdraw the channel's ad consent as of `refused_at`; False when there is none to withdraw (never
    given, already withdrawn, or given again after this refusal): no write and no second notice."""
    profile = ingest.profiles.load(store.store_id, customer_id)
    consent = profile.consents.get(channel) if profile is not None else None
    if consent is None or not consent.granted or consent.at > refused_at:
        return False
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
    if notice is not None and (catalog is None or not automation_sends_notice(catalog, store.store_id)):
        message = result_notice(store.compliance, channel, "opt_out", refused_at, now)
        notice(store.store_id, customer_id, key, message)
    return True


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
    catalog: AutomationCatalog,
    now: datetime,
) -> SyncResult:
    """Record every refusal on the store's 080 list since the last sync as a withdrawal of SMS ad consent
    (the 080 number is the one every ad SMS of the store ends with)."""
    number = store.compliance.optout_080_number
    if number is None:
        return SyncResult(0, 0, 0)
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
            withdrawn += withdraw(
                store, customer_id, "sms", f"080:{number}", key, entry.at, ingest, notice, catalog, now
            )
    if entries:
        latest = max(entry.at for entry in entries)
        if newest is None or latest > newest:
            cursors.put(store.store_id, CURSOR, latest)
    return SyncResult(len(entries), withdrawn, unknown)
