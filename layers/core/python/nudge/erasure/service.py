"""Erasing one customer of a store: the admin API's `DELETE /admin/stores/{store_id}/customers/{id}` and a
platform's member-deletion webhook (Shopify's `customers/redact`; Cafe24's member-withdrawn event, 90147,
when it is mapped) both come here.

What names a customer, and what becomes of it (docs/privacy.md has the whole list):
- the profile (number, name, e-mail, consents, orders, cart, visits): deleted, last of the customer's data
  so that a retry still finds what the profile points to;
- the order index entries of the profile's orders: deleted;
- due automation steps and journey entries (pending reminders): deleted, so nothing fires;
- send records: kept for the reports and for exactly-once, without what names the customer (their id, the
  job's variables, the links' destinations, the gateway's message id); a deferred send's schedule, whose
  input is the send job, is deleted first;
- an audit record (the erasure record) that names no one: the store, a keyed hash of the customer id (the
  `reference`), when, who asked, and how many items of each kind were removed.

Why a keyed hash and not the customer id: a store's member id (a Cafe24 login id, a Shopify customer id, a
guest's digest of their number) identifies the person to the store, so keeping it would keep personal data
about someone who asked for it to go. An unkeyed hash would not help (member ids are few and guessable).
The keyed hash (HMAC under a key derived from the pseudonym KMS key, one per store) lets the store, through
Nudge, answer "was member X erased, and when?" and re-apply erasures after a backup is restored, while the
record alone, or a copy of the table, names nobody.

Nothing half-done: the audit record is written first (state `erasing`), each step is idempotent and its
count is added as it finishes, and the record says `erased` only at the end; a failure anywhere fails the
request, and the same request again finishes the work. A second request answers the same record (200);
a customer Nudge never knew is erased all the same (nothing to remove, the record says so): the answer
does not tell whether Nudge knew them.

Events that arrive after the erasure (nudge.ingest.service.apply_delivery): one that happened at or before
`erased_at` (a platform's retry, a late or reordered delivery) is ignored and creates nothing; one that
happened after it is new activity of a member the store still has (a Cafe24 login id can be registered
again) and starts a new profile, which a later erasure removes (and moves `erased_at` on).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from nudge.ports import AUTOMATION, StoreDirectory
from nudge.sending.records import SendRecord, State
from nudge.store_settings import get_store

# What an erasure counts, in the order it removes them.
REMOVED = (
    "order_index",
    "profile",
    "journey_steps",
    "journey_entries",
    "deferred_sends",
    "send_records",
    "product_watchers",
)
ErasureState = Literal["erasing", "erased"]


@dataclass(frozen=True, slots=True)
class Erasure:
    """The audit record of a customer's erasure: no personal data."""

    store_id: str
    reference: str  # keyed hash of the customer id (see the module's docstring)
    state: ErasureState
    erased_at: datetime  # events that happened at or before this are not applied
    requested_by: str  # the admin API's caller (IAM principal), or the platform's webhook
    removed: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "store_id": self.store_id,
            "reference": self.reference,
            "state": self.state,
            "erased_at": self.erased_at.isoformat(),
            "requested_by": self.requested_by,
            "removed": {kind: int(self.removed.get(kind, 0)) for kind in REMOVED},
        }


class ErasureLog(Protocol):
    def reference(self, store_id: str, customer_id: str) -> str:
        """The customer's keyed hash in this store."""
        ...

    def get(self, store_id: str, reference: str) -> Erasure | None: ...

    def begin(self, store_id: str, reference: str, requested_by: str, now: datetime) -> None:
        """Create the record (`erasing`, erased at `now`), or mark an existing one `erasing` again."""
        ...

    def count(self, store_id: str, reference: str, removed: Mapping[str, int]) -> None:
        """Add to the record's counts."""
        ...

    def finish(
        self, store_id: str, reference: str, requested_by: str, now: datetime, *, renewed: bool
    ) -> Erasure:
        """Mark the record `erased`; `renewed`: a new profile had appeared since an earlier erasure, so the
        record now says this request (`erased_at` now, `requested_by`)."""
        ...


class CustomerProfiles(Protocol):
    def erase(self, store_id: str, customer_id: str, order_ids: Iterable[str] = ()) -> tuple[int, int]:
        """Delete the customer's order index entries, then the profile: (entries, profiles) deleted."""
        ...


class CustomerJourneys(Protocol):
    def erase_customer(
        self, store_id: str, customer_id: str, automation_ids: list[str]
    ) -> tuple[int, int]:
        """Delete the customer's due steps and journey entries: (steps, entries) deleted."""
        ...


class CustomerSends(Protocol):
    def customer_records(self, store_id: str, customer_id: str) -> list[SendRecord]: ...

    def erase(self, send_id: str, now: datetime) -> bool:
        """Take what names the customer out of the record; False when it is gone."""
        ...


class DeferredSends(Protocol):
    def cancel(self, send_id: str) -> bool:
        """Delete a deferred send's schedule; False when there is none."""
        ...


class CustomerInterests(Protocol):
    def forget_customer(self, store_id: str, customer_id: str) -> int:
        """Delete the products the customer was noted as carting or viewing (nudge.products); how many."""
        ...


class Automations(Protocol):
    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class ErasureDependencies:
    stores: StoreDirectory
    catalog: Automations
    log: ErasureLog
    profiles: CustomerProfiles
    journeys: CustomerJourneys
    sends: CustomerSends
    deferrals: DeferredSends
    interests: CustomerInterests | None = None  # the product catalog's watchers (back in stock, price drop)


def erase_customer(
    deps: ErasureDependencies,
    store_id: str,
    customer_id: str,
    requested_by: str,
    now: datetime,
    order_ids: Iterable[str] = (),
) -> Erasure:
    """Erase the customer (idempotent; see the module's docstring). `order_ids`: orders the platform names
    as theirs (Shopify's `orders_to_redact`), taken out of the order index whatever the profile says."""
    get_store(deps.stores, store_id)
    reference = deps.log.reference(store_id, customer_id)
    before = deps.log.get(store_id, reference)
    deps.log.begin(store_id, reference, requested_by, now)
    removed: dict[str, int] = {}

    def counted(**kinds: int) -> None:
        deps.log.count(store_id, reference, kinds)
        for kind, n in kinds.items():
            removed[kind] = removed.get(kind, 0) + n

    # The profile first: from now on nothing is sent to the customer, no journey starts and no step fires
    # (they all read the profile); its orders' index entries go before it, while the profile still lists them.
    order_index, profiles = deps.profiles.erase(store_id, customer_id, order_ids)
    counted(order_index=order_index, profile=profiles)
    automation_ids = [d["automation_id"] for d in deps.catalog.documents(store_id, AUTOMATION)]
    steps, entries = deps.journeys.erase_customer(store_id, customer_id, automation_ids)
    counted(journey_steps=steps, journey_entries=entries)
    records = deps.sends.customer_records(store_id, customer_id)
    # A deferred send's schedule carries the job (the customer id, the variables): cancelled before its record
    # leaves the index, so that a retry after a failure in between still finds it.
    cancelled = sum(deps.deferrals.cancel(r.send_id) for r in records if r.state is State.DEFERRED)
    counted(deferred_sends=cancelled)
    counted(send_records=sum(deps.sends.erase(r.send_id, now) for r in records))
    if deps.interests is not None:
        counted(product_watchers=deps.interests.forget_customer(store_id, customer_id))
    renewed = before is not None and before.state == "erased" and any(removed.values())
    return deps.log.finish(store_id, reference, requested_by, now, renewed=renewed)
