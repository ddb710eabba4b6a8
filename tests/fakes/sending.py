"""The send ledger (nudge.sending.service.SendLedger, and what reports and clicks write and read of it), the
gateway accounts' rate limit and the deferrals, in memory with DynamoSendLedger's conditional writes."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from nudge.sending.jobs import SendJob
from nudge.sending.records import Claim, ClaimStatus, SendRecord, State
from nudge.stores import Store

if TYPE_CHECKING:
    from nudge.automations.runs import StoppedSteps
    from nudge.reports.delivery import ReportLedger
    from nudge.reports.service import SendHistory
    from nudge.sending.links import ClickLedger
    from nudge.sending.service import Deferrals, RateLimiter, SendLedger


class Crash(BaseException):
    """What a Lambda timeout or an out-of-memory kill looks like to the code: nothing after it runs."""


class InMemoryLedger:
    def __init__(self) -> None:
        self.records: dict[str, SendRecord] = {}
        self.finish_calls = 0
        self.recent_calls = 0

    def claim(self, record: SendRecord, now: datetime, lease: timedelta) -> Claim:
        current = self.records.get(record.send_id)
        if current is None:
            first = replace(record, attempt=1, lease_until=now + lease, created_at=now)
            self.records[record.send_id] = first
            return Claim(ClaimStatus.NEW, first)
        if current.state in (State.SENT, State.DELIVERED, State.FAILED, State.SUPPRESSED):
            return Claim(ClaimStatus.DONE, current)
        if current.state is State.DEFERRED:
            if current.deferred_until is not None and current.deferred_until > now:
                return Claim(ClaimStatus.NOT_DUE, current)
            status = ClaimStatus.NEW
        elif current.lease_until is not None and current.lease_until > now:
            return Claim(ClaimStatus.BUSY, current)
        else:
            status = ClaimStatus.TAKEOVER
        taken = replace(current, attempt=current.attempt + 1, lease_until=now + lease, state=State.SENDING)
        self.records[record.send_id] = taken
        return Claim(status, taken)

    def record_stop(self, record: SendRecord) -> bool:
        if record.send_id in self.records:
            return False
        self.records[record.send_id] = record
        return True

    def finish(self, record: SendRecord, now: datetime) -> bool:
        self.finish_calls += 1
        current = self.records[record.send_id]
        if current.attempt != record.attempt or current.state is not State.SENDING:
            return False
        self.records[record.send_id] = record
        return True

    def recent(self, store_id: str, customer_id: str, since: datetime) -> list[SendRecord]:
        self.recent_calls += 1
        return [
            r
            for r in self.records.values()
            if r.store_id == store_id and r.customer_id == customer_id and (r.created_at or since) >= since
        ]

    # ------------------------------------------------------------ what reports and clicks read and write
    def get_many(self, send_ids: list[str]) -> dict[str, SendRecord]:
        return {i: self.records[i] for i in send_ids if i in self.records}

    def for_source(self, store_id: str, source: str) -> list[SendRecord]:
        return [r for r in self.records.values() if (r.store_id, r.source) == (store_id, source)]

    def recent_many(
        self, store_id: str, customer_ids: list[str], since: datetime
    ) -> dict[str, list[SendRecord]]:
        return {c: self.recent(store_id, c, since) for c in dict.fromkeys(customer_ids)}

    def update_report(
        self, send_id: str, *, state: State, code: str | None, fell_back: bool, at: datetime
    ) -> SendRecord | None:
        record = self.records.get(send_id)
        if record is None or record.state not in (State.SENT, State.SENDING, state):
            return record
        self.records[send_id] = replace(record, state=state, code=code, fell_back=fell_back, delivered_at=at)
        return self.records[send_id]

    def record_click(self, send_id: str, at: datetime) -> SendRecord | None:
        record = self.records.get(send_id)
        if record is None:
            return None
        self.records[send_id] = replace(record, clicked_at=record.clicked_at or at, clicks=record.clicks + 1)
        return self.records[send_id]


@dataclass
class CountingLimiter:
    """No waiting: the accounts each call was for."""

    calls: list[str] = field(default_factory=list)

    def acquire(self, account_id: str, per_second: int) -> None:
        self.calls.append(account_id)


@dataclass
class RecordingDeferrals:
    deferred: list[tuple[SendJob, datetime]] = field(default_factory=list)

    def defer(self, job: SendJob, send_id: str, at: datetime, store: Store) -> None:
        self.deferred.append((job, at))


if TYPE_CHECKING:  # mypy holds each fake to the Protocols it stands in for
    _ledger: SendLedger = InMemoryLedger()
    _stops: StoppedSteps = InMemoryLedger()
    _history: SendHistory = InMemoryLedger()
    _reports: ReportLedger = InMemoryLedger()
    _clicks: ClickLedger = InMemoryLedger()
    _limiter: RateLimiter = CountingLimiter()
    _deferrals: Deferrals = RecordingDeferrals()
