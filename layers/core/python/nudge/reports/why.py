"""Why a customer was (or was not) sent a message: the decision chain a marketer or a customer-service
agent asks for ("why did I get this at 8 a.m.?", "why did she not get the Dog Day message?").

For every message Nudge decided about, from the send ledger: the source (campaign or automation step), how
the customer came to be targeted, the compliance decision at send time with its reason codes (consent,
night window, frequency, the one-per-promotion-per-day rule, …), the exactly-once claim, and what the
gateway answered (delivered, failed with its code, fell back to SMS, clicked). For every campaign that ran
without a message to this customer: that its run left them out for their consent or channel friendship
(nudge.campaigns.runs), or that they were not in its segment when it ran, and whether they are now.
Personal data is masked.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nudge.privacy import mask_name, mask_phone
from nudge.profiles.profile import Profile
from nudge.sending.records import SendRecord, State
from nudge.sending.service import CONSENT_RESULT_NOTICE

# What each reason code means, in the words the report and this explanation use.
REASONS: dict[str, str] = {
    "no_consent": "no advertising consent for this channel",
    "consent_withdrawn": "the customer refused or withdrew advertising consent for this channel",
    "not_channel_friend": "not a friend of the store's Kakao channel",
    "is_channel_friend": "a channel friend, and the message targets non-friends only",
    "targeting_not_approved": "M/N targeting without the channel's approval",
    "age_gate": "an adults-only message to a customer without age verification",
    "quiet_hours": "inside the night window without night consent: deferred to the next allowed moment",
    "expired": "the message's validity ended before an allowed moment",
    "frequency_cap": "already received a message of this promotion today",
    "over_budget": "the store's advertising budget for this customer was used up",
    "missing_variable": "a personalisation value was missing and the message declared no fallback",
    "no_phone": "no phone number on the profile",
    "no_profile": "no profile for this customer",
    "store_deleted": "the store was removed",
    "source_deleted": "the campaign or automation was deleted before the send",
    "source_paused": "the automation was paused before the send",
    "step_missing": "the automation no longer has this step",
    "source_invalid": "the campaign's or automation's message is no longer valid",
}


@dataclass(frozen=True, slots=True)
class Source:
    """A campaign or automation as the explanation names it."""

    source: str  # campaign:<id> | automation:<id>
    name: str
    segment_id: str | None = None
    ran: bool = False  # a campaign that has run at least once
    left_out: str | None = None  # the reason its last run left this customer out before any send
    last_run: datetime | None = None  # when it last ran: campaigns not sent are told in that order
    steps: int = 1  # an automation's steps: its messages are told apart by step when it has several


def _reason_text(code: str) -> str:
    base = code.split(":", 1)[0]
    return REASONS.get(code) or REASONS.get(base) or code.replace("_", " ")


def _unnamed(source: str) -> str:
    """A source that is not a campaign or automation in the catalog: a notice Nudge sends itself (the
    consent-result notice after a gateway-side opt-out), or one that was deleted."""
    if source.startswith(("campaign:", "automation:")):
        return f"{source} (deleted)"
    if source == CONSENT_RESULT_NOTICE:
        return "consent-result notice (Nudge's own, after an opt-out read from the gateway)"
    return source.split(":", 1)[0].replace("-", " ")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _chain(record: SendRecord, source: Source | None) -> list[dict[str, Any]]:
    automation = record.source.startswith("automation:")
    chain: list[dict[str, Any]] = [
        {
            "step": "targeted",
            "detail": (
                "the automation's trigger matched and its exit conditions still passed when the step fired"
                if automation
                else "owed by law (시행령 §62-2): the customer's opt-out reached Nudge through the gateway"
                if record.source == CONSENT_RESULT_NOTICE
                else "in the campaign's segment when the run evaluated it"
            ),
            "at": _iso(record.created_at),
        }
    ]
    decision = {
        State.SUPPRESSED: "suppressed",
        State.DEFERRED: "deferred",
    }.get(record.state, "send")
    chain.append(
        {
            "step": "compliance",
            "decision": decision,
            "reasons": [{"code": code, "meaning": _reason_text(code)} for code in record.reasons],
            **({"deferred_until": _iso(record.deferred_until)} if record.deferred_until else {}),
        }
    )
    chain.append(
        {
            "step": "exactly once",
            "detail": f"send key claimed once; {record.attempt} attempt(s)",
        }
    )
    if record.sent_at is not None or record.code is not None:
        gateway: dict[str, Any] = {"step": "gateway", "kind": record.kind, "sent_at": _iso(record.sent_at)}
        if record.state is State.DELIVERED:
            gateway["result"] = "delivered"
            gateway["delivered_at"] = _iso(record.delivered_at)
        elif record.code is not None:
            gateway["result"] = "failed"
            gateway["code"] = record.code
        else:
            gateway["result"] = "accepted"
        if record.fell_back:
            gateway["fell_back"] = "sent as SMS/LMS instead of Kakao"
        chain.append(gateway)
    if record.clicks:
        chain.append({"step": "clicked", "at": _iso(record.clicked_at), "clicks": record.clicks})
    return chain


def explain(
    profile: Profile | None,
    customer_id: str,
    records: Iterable[SendRecord],
    sources: dict[str, Source],
    in_segment_now: Callable[[str], bool],
) -> dict[str, Any]:
    records = sorted(records, key=lambda r: r.created_at or datetime.min)
    messages = []
    for record in records:
        source = sources.get(record.source)
        entry: dict[str, Any] = {
            "source": record.source,
            "name": source.name if source else _unnamed(record.source),
            "occurrence": record.occurrence,
            "state": record.state.value,
            "chain": _chain(record, source),
        }
        if record.step is not None and (source is None or source.steps > 1):
            entry["step"] = record.step + 1  # an automation's step, counted from 1 as the marketer sees them
        messages.append(entry)
    reached = {r.source for r in records}
    not_sent = []
    for source in sorted(
        sources.values(), key=lambda s: (s.last_run or datetime.min.replace(tzinfo=UTC), s.name)
    ):
        if source.source.startswith("campaign:") and source.ran and source.source not in reached:
            now = in_segment_now(source.segment_id) if source.segment_id else False
            why = (
                f"{_reason_text(source.left_out)} when it ran: its runs leave such customers out before any "
                "send, in the segment or not"
                if source.left_out
                else "not in the campaign's segment when it ran"
            )
            entry = {"source": source.source, "name": source.name, "why": why, "in_segment_now": now}
            if source.left_out:
                entry["reason"] = source.left_out
            not_sent.append(entry)
    consents = {}
    if profile is not None:
        for channel, consent in sorted(profile.consents.items()):
            consents[channel] = {
                "granted": consent.granted,
                "at": consent.at.isoformat(),
                "source": consent.source,
            }
    return {
        "customer_id": customer_id,
        "known": profile is not None,
        "phone": mask_phone(profile.phone if profile else None),
        "name": mask_name(profile.name if profile else None),
        "consents": consents,
        "channel_friend": profile.channel_friend if profile else None,
        "messages": messages,
        "campaigns_not_sent": not_sent,
    }
