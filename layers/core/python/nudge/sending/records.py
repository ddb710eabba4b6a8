"""The send ledger's record of one send, its states and a claim on it: what the sender, the reports, the
click redirect and "why" read, apart from the sending itself."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class State(StrEnum):
    SENDING = "sending"  # claimed; the gateway may or may not have it
    SENT = "sent"  # the gateway accepted it
    DELIVERED = "delivered"  # the delivery report says so
    FAILED = "failed"  # refused by the gateway, or the report says it failed (with the code)
    SUPPRESSED = "suppressed"  # the compliance layer (or the source, or the profile) says no
    DEFERRED = "deferred"  # to be decided again at `deferred_until`


DONE_STATES = frozenset({State.SENT, State.DELIVERED, State.FAILED, State.SUPPRESSED})


def send_id_of(send_key: str) -> str:
    """A short, stable id for a send key: the idempotency key, the correlation field, the link token."""
    return hashlib.sha256(send_key.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class SendRecord:
    send_id: str
    store_id: str
    source: str
    customer_id: str
    occurrence: str
    state: State
    attempt: int = 0
    lease_until: datetime | None = None
    deferred_until: datetime | None = None
    reasons: tuple[str, ...] = ()
    code: str | None = None  # the gateway's result code of a failure
    kind: str | None = None  # ALIMTALK | BRAND_MESSAGE | SMS | LMS
    is_ad: bool = False
    promotion_group: str | None = None
    fallback_planned: bool = False
    fallback_by_nudge: bool = False  # the gateway does not send the fallback: Nudge does, on the report
    job: str | None = None  # the job (JSON), kept when Nudge may have to send the fallback
    fell_back: bool = False
    gateway_message_id: str | None = None
    links: tuple[str, ...] = ()
    created_at: datetime | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    clicked_at: datetime | None = None
    clicks: int = 0
    step: int | None = None  # an automation's step (0-based), so "why" can tell its messages apart
    # Sent by an automation made from a legal-notice template, as its send job says (SendJob.owed_by_law):
    # one of the facts nudge.sending.notices.is_owed_by_law reads, kept whatever becomes of the automation.
    owed_by_law: bool = False


class ClaimStatus(StrEnum):
    NEW = "new"  # never tried: go ahead
    TAKEOVER = "takeover"  # an earlier attempt's lease ran out: ask the gateway before sending
    DONE = "done"  # already sent, refused or suppressed
    BUSY = "busy"  # another attempt holds a live lease
    NOT_DUE = "not_due"  # deferred to a later instant (the scheduled copy of the job will come)


@dataclass(frozen=True, slots=True)
class Claim:
    status: ClaimStatus
    record: SendRecord
