"""One run of a campaign: who is in the segment *now*, one send job each, on the send queue.

A run is identified by its occurrence (the scheduled instant, or a run id for "send now"). Retries are
harmless: a run that finished is not repeated; a run that crashed half-way is repeated whole, and the
send jobs it had already queued carry the same send keys, which the sender never sends twice.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from nudge.campaigns import Campaign, runs_on
from nudge.send_jobs import SendJob

SEND_QUEUE_BATCH = 10


class RunLedger(Protocol):
    def begin_run(self, store_id: str, campaign_id: str, occurrence: str, now: datetime) -> bool: ...

    def finish_run(
        self, store_id: str, campaign_id: str, occurrence: str, targeted: int, now: datetime
    ) -> None: ...


class SendQueue(Protocol):
    def enqueue(self, jobs: list[SendJob]) -> None: ...


@dataclass(frozen=True, slots=True)
class RunResult:
    campaign_id: str
    occurrence: str
    targeted: int
    skipped: bool  # this occurrence had already run, or falls outside the campaign's dates


def run_campaign(
    campaign: Campaign,
    occurrence: str,
    members: Iterable[str],
    queue: SendQueue,
    ledger: RunLedger,
    now: datetime,
    zone: ZoneInfo,
) -> RunResult:
    if not runs_on(campaign, now.astimezone(zone).date()):
        return RunResult(campaign.campaign_id, occurrence, 0, skipped=True)
    if not ledger.begin_run(campaign.store_id, campaign.campaign_id, occurrence, now):
        return RunResult(campaign.campaign_id, occurrence, 0, skipped=True)
    targeted = 0
    batch: list[SendJob] = []
    for customer_id in members:
        batch.append(
            SendJob(
                store_id=campaign.store_id,
                source=campaign.source,
                occurrence=occurrence,
                customer_id=customer_id,
                queued_at=now,
            )
        )
        if len(batch) == SEND_QUEUE_BATCH:
            queue.enqueue(batch)
            targeted += len(batch)
            batch = []
    if batch:
        queue.enqueue(batch)
        targeted += len(batch)
    ledger.finish_run(campaign.store_id, campaign.campaign_id, occurrence, targeted, now)
    return RunResult(campaign.campaign_id, occurrence, targeted, skipped=False)
