"""Why a customer was (or was not) sent a message: the decision chain a marketer or a customer-service
agent asks for ("why did I get this at 8 a.m.?", "why did she not get the Dog Day message?").

For every message Nudge decided about, from the send ledger: the source (campaign or automation step), how
the customer came to be targeted, the compliance decision at send time with its reason codes (consent,
night window, frequency, the one-per-promotion-per-day rule, …), the exactly-once claim, and what the
gateway answered (delivered, failed with its code, fell back to SMS, clicked). An automation's step
stopped when it fell due, before any send job (nudge.automations.runs), is told as such: `stopped`, when,
and why (the exit condition met, the automation paused or deleted, the step removed); or, refused by the
rules then, `suppressed` with the compliance reasons. For every campaign that ran
without a message to this customer: that its run left them out for their consent or channel friendship
(nudge.campaigns.runs), or that they were not in its segment when it ran, and whether they are now.
Every reason code is told in English and in Korean (`meaning`, `meaning_ko`: nudge.sending.reasons).
Personal data is masked.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nudge.privacy import mask_name, mask_phone
from nudge.profiles.profile import Profile
from nudge.sending.notices import CONSENT_RESULT_NOTICE, is_owed_by_law
from nudge.sending.reasons import ends_journey, meaning
from nudge.sending.records import SendRecord, State


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


def _unnamed(source: str) -> str:
    """A source that is not a campaign or automation in the catalog: a notice Nudge sends itself (the
    consent-result notice after a gateway-side opt-out), or one that was deleted."""
    if source.startswith(("campaign:", "automation:")):
        return f"{source} (deleted)"
    if source == CONSENT_RESULT_NOTICE:
        return "consent-result notice (Nudge's own, after an opt-out read from the gateway)"
    return source.split(":", 1)[0].replace("-", " ")


def _reason(code: str) -> dict[str, str]:
    text = meaning(code)
    return {"code": code, "meaning": text.en, "meaning_ko": text.ko}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _stopped_when_due(record: SendRecord) -> bool:
    """An automation's step stopped before it was queued: no sender ever claimed its send key (attempt 0)."""
    return record.state is State.SUPPRESSED and record.attempt == 0


def _state(record: SendRecord) -> str:
    if _stopped_when_due(record) and any(ends_journey(code) for code in record.reasons):
        return "stopped"
    return record.state.value


def _stop_chain(record: SendRecord) -> list[dict[str, Any]]:
    """A step stopped when it fell due: what became of it then, and that nothing of it is ever sent."""
    reasons = [_reason(code) for code in record.reasons]
    checked = "checked again when the step fell due, before any send job was queued: nothing was sent"
    if _state(record) == "stopped":
        decided: dict[str, Any] = {"step": "stopped", "detail": f"the journey ended; {checked}"}
    else:
        decided = {"step": "compliance", "decision": "suppressed", "detail": checked}
    return [
        {"step": "targeted", "detail": "the automation's trigger matched: the journey started"},
        {**decided, "at": _iso(record.created_at), "reasons": reasons},
        {
            "step": "exactly once",
            "detail": "recorded under the step's send key: a late job of it sends nothing",
        },
    ]


def _chain(record: SendRecord, source: Source | None) -> list[dict[str, Any]]:
    if _stopped_when_due(record):
        return _stop_chain(record)
    automation = record.source.startswith("automation:")
    chain: list[dict[str, Any]] = [
        {
            "step": "targeted",
            "detail": (
                "the automation's trigger matched and its exit conditions still passed when the step fired"
                if automation
                # Nudge's own notice (an automation's legal notice is told as the automation's message).
                else "owed by law (시행령 §62-2): the customer's opt-out reached Nudge through the gateway"
                if is_owed_by_law(record)
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
            "reasons": [_reason(code) for code in record.reasons],
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
            "state": _state(record),
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
                f"{meaning(source.left_out).en} when it ran: its runs leave such customers out before any "
                "send, in the segment or not"
                if source.left_out
                else "not in the campaign's segment when it ran"
            )
            entry = {"source": source.source, "name": source.name, "why": why, "in_segment_now": now}
            if source.left_out:
                text = meaning(source.left_out)
                entry |= {"reason": source.left_out, "meaning": text.en, "meaning_ko": text.ko}
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
