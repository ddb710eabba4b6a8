"""One run of a campaign: who is in the segment *now*, one send job each, on the send queue.

A member the compliance rules would refuse on their consent or channel friendship alone (an ad SMS to a
member who withdrew SMS ad consent, a channel-friends-only Kakao ad to a non-friend) is left out here, not
queued: the sender would claim, read and record a send that cannot happen. The run record keeps how many
were left out and why; reports count them as targeted and suppressed, and "why" explains them. The sender
still decides every queued send in full, consent included (it may have changed since the run).

A run is identified by its occurrence (the scheduled instant, or a run id for "send now"). Retries are
harmless: a run that finished is not repeated; a run that crashed half-way is repeated whole, and the
send jobs it had already queued carry the same send keys, which the sender never sends twice.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from compliance.decision import refusal_at_targeting, screened_channel
from compliance.message import Message
from compliance.settings import StoreSettings
from nudge.campaigns.definitions import Campaign, runs_on
from nudge.profiles.consent import rule_consent
from nudge.profiles.profile import Member, Profile
from nudge.sending.jobs import SendJob

SEND_QUEUE_BATCH = 10


class RunLedger(Protocol):
    def begin_run(self, store_id: str, campaign_id: str, occurrence: str, now: datetime) -> bool: ...

    def finish_run(
        self,
        store_id: str,
        campaign_id: str,
        occurrence: str,
        targeted: int,
        left_out: Mapping[str, int],
        now: datetime,
    ) -> None: ...


class SendQueue(Protocol):
    def enqueue(self, jobs: list[SendJob]) -> None: ...


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a run would reach: the segment's members, and those it would leave out, by reason."""

    members: int
    left_out: dict[str, int]

    @property
    def queued(self) -> int:
        return self.members - sum(self.left_out.values())


def left_out_at_run(message: Message, member: Member, settings: StoreSettings, now: datetime) -> str | None:
    """The reason a run at `now` leaves this member out (a PROFILE_REFUSALS code), or None to queue them."""
    if screened_channel(message) is None:
        return None
    refusal = refusal_at_targeting(
        message, rule_consent(member.consent), member.channel_friend, settings, now
    )
    return None if refusal is None else refusal.value


def audience(message: Message, members: Iterable[Member], settings: StoreSettings, now: datetime) -> Audience:
    """What a run at `now` would do with these members, without queuing anything: the admin's preview."""
    count = 0
    left_out: Counter[str] = Counter()
    for member in members:
        count += 1
        if (reason := left_out_at_run(message, member, settings, now)) is not None:
            left_out[reason] += 1
    return Audience(count, dict(left_out))


@dataclass(frozen=True, slots=True)
class RunResult:
    campaign_id: str
    occurrence: str
    targeted: int  # members in the segment
    skipped: bool  # this occurrence had already run, or falls outside the campaign's dates
    left_out: dict[str, int] = field(default_factory=dict)  # by reason, not queued

    @property
    def queued(self) -> int:
        return self.targeted - sum(self.left_out.values())


def run_campaign(
    campaign: Campaign,
    occurrence: str,
    members: Iterable[Member],
    queue: SendQueue,
    ledger: RunLedger,
    now: datetime,
    settings: StoreSettings,
) -> RunResult:
    if campaign.paused_reason or not runs_on(campaign, now.astimezone(settings.zone).date()):
        return RunResult(campaign.campaign_id, occurrence, 0, skipped=True)
    if not ledger.begin_run(campaign.store_id, campaign.campaign_id, occurrence, now):
        return RunResult(campaign.campaign_id, occurrence, 0, skipped=True)
    targeted = 0
    left_out: Counter[str] = Counter()
    batch: list[SendJob] = []
    for member in members:
        targeted += 1
        if (reason := left_out_at_run(campaign.message, member, settings, now)) is not None:
            left_out[reason] += 1
            continue
        batch.append(
            SendJob(
                store_id=campaign.store_id,
                source=campaign.source,
                occurrence=occurrence,
                customer_id=member.customer_id,
                queued_at=now,
            )
        )
        if len(batch) == SEND_QUEUE_BATCH:
            queue.enqueue(batch)
            batch = []
    if batch:
        queue.enqueue(batch)
    ledger.finish_run(campaign.store_id, campaign.campaign_id, occurrence, targeted, dict(left_out), now)
    return RunResult(campaign.campaign_id, occurrence, targeted, skipped=False, left_out=dict(left_out))


def left_out_reason(
    campaign: Campaign, profile: Profile, run_at: datetime, settings: StoreSettings
) -> str | None:
    """Why the run at `run_at` left this customer out, told from the profile when the two facts the screen
    read have not changed since; None when the screen let them through or the profile cannot tell."""
    channel = screened_channel(campaign.message)
    if channel is None:
        return None
    consent = profile.consents.get(channel)
    if consent is not None and consent.at > run_at:
        return None
    if profile.channel_friend_at is not None and profile.channel_friend_at > run_at:
        return None
    member = Member(profile.customer_id, consent, bool(profile.channel_friend))
    return left_out_at_run(campaign.message, member, settings, run_at)
