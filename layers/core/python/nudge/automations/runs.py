"""Automations at work: events start journeys, time slots fire their due steps, send jobs go out.

How time is kept:
- A step that is due later is a *due step* item (DynamoDB) filed under its store and minute slot (the
  due instant rounded up to the minute). One EventBridge Scheduler one-time schedule per store and slot,
  named deterministically, fires the slot: a million reminders over a day need at most 1,440 schedules
  per store, not a million. A slot that exists already is not an error.
- A step due within a minute, or in the past, is checked and queued at once, without a schedule.
- When a slot fires, each of its due steps is checked again — the automation still active, the exit
  conditions against the profile now, the compliance decision now — then queued as a send job, deferred
  to the next allowed instant (a night-time ad goes to 08:00, it is not dropped), or marked as stopped
  with its reason. A step is claimed by a conditional write, so a slot fired twice sends nothing twice;
  its send job's send key is stable as well, so the sender never sends one step twice either way.
- A stopped step (at a slot, or at once when the journey starts) is also a send-ledger record, state
  `suppressed`, under the very send key its job would have had, put only when that key has no record
  yet: "why" and the automation's report read it as they read every send, it is recorded once however
  often the slot or the event comes again, and a late job of the same step finds it done. A deferral is
  no stop: it writes nothing there.
- The due step is written before its schedule: when Scheduler throttles or fails, the event is retried
  (the queue redelivers it) and finds its step already there; nothing is lost.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from compliance.message import Message, prepared
from compliance.reasons import Reason
from compliance.recipient import Recipient
from nudge.automations.definitions import (
    AUTOMATION,
    CUSTOMER_GONE,
    IMMEDIATE_WINDOW,
    Automation,
    LearnedCycles,
    business_key,
    due_at,
    exit_reason,
    reentry_per_key,
    reentry_window,
    repurchase_cycle_days,
    trigger_matches,
    variables_of,
)
from nudge.automations.templates import is_legal_notice
from nudge.catalog import CatalogItems, read
from nudge.profiles.consent import recipient_of
from nudge.profiles.events import CouponIssued, NormalizedEvent
from nudge.profiles.profile import Profile
from nudge.sending.jobs import SendJob
from nudge.sending.reasons import NudgeReason, detailed
from nudge.sending.records import SendRecord, send_id_of
from nudge.sending.records import State as SendState
from nudge.sending.variables import fill
from nudge.stores import Store

SLOT = timedelta(minutes=1)
State = Literal["due", "queued", "deferred", "stopped"]


@dataclass(frozen=True, slots=True)
class DueStep:
    """One step of one journey, waiting for its time."""

    store_id: str
    automation_id: str
    customer_id: str
    business_key: str
    step: int
    occurrence: str  # the triggering event's id: the same on every retry
    trigger_at: datetime
    due_at: datetime
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return "|".join((self.automation_id, self.customer_id, self.business_key, str(self.step)))


def slot_of(instant: datetime) -> datetime:
    """The minute slot a step due at `instant` fires in: rounded *up*, so nothing fires early."""
    utc = instant.astimezone(UTC)
    floor = utc.replace(second=0, microsecond=0)
    return floor if floor == utc else floor + SLOT


# ---------------------------------------------------------------- ports


class DueSteps(Protocol):
    def put(self, step: DueStep, slot: datetime, now: datetime) -> bool:
        """File a due step under its slot; False when it is there already (a retried event)."""
        ...

    def in_slot(self, store_id: str, slot: datetime) -> list[DueStep]:
        """The steps of a slot that are still due."""
        ...

    def mark(self, step: DueStep, slot: datetime, state: State, detail: str, now: datetime) -> bool:
        """Move a due step on (only from `due`); False when someone else already did."""
        ...


class Entries(Protocol):
    def enter(
        self,
        store_id: str,
        automation_id: str,
        customer_id: str,
        business_key: str,
        occurrence: str,
        at: datetime,
        window: timedelta | None,
        per_key: bool = False,
    ) -> bool:
        """Record that a journey starts; False when the re-entry policy forbids it. The same occurrence
        may enter again (a retried event finishes what it started). `window` with `per_key`: once per
        business key within the window (a product's alert); `window` alone: once per customer within it."""
        ...


class SlotScheduler(Protocol):
    def ensure_slot(self, store: Store, slot: datetime, now: datetime) -> None:
        """Make sure the store's schedule for this slot exists (creating it, or finding it there)."""
        ...


class SendQueue(Protocol):
    def enqueue(self, jobs: list[SendJob]) -> None: ...


class Profiles(Protocol):
    def load(self, store_id: str, customer_id: str) -> Profile | None: ...


class AutomationCatalog(CatalogItems, Protocol):
    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]: ...


class StoppedSteps(Protocol):
    def record_stop(self, record: SendRecord) -> bool:
        """Put a stopped step's record in the send ledger unless its send key has a record already (the
        same stop recorded by an earlier try, or the step's job already claimed): False then."""
        ...


@dataclass(frozen=True, slots=True)
class AutomationDependencies:
    catalog: AutomationCatalog
    profiles: Profiles
    due_steps: DueSteps
    entries: Entries
    scheduler: SlotScheduler
    send_queue: SendQueue
    stops: StoppedSteps


# ---------------------------------------------------------------- the fresh check


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Literal["send", "defer", "stop"]
    reason: str  # e.g. "informational", "consent", "quiet_hours", "exited:order_canceled"
    send_at: datetime | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        """The reason as the send ledger keeps it: a refusal's compliance codes one by one, as the sender
        records them (`suppressed:no_consent,frequency_cap` -> no_consent, frequency_cap); else itself."""
        kind, _, detail = self.reason.partition(":")
        return tuple(detail.split(",")) if kind == NudgeReason.SUPPRESSED and detail else (self.reason,)


def _recipient(message: Message, profile: Profile, variables: dict[str, str], store: Store) -> Recipient:
    """The profile as the compliance rules see it when a step fires, the message's variables filled as the
    sender fills them (declared fallbacks and the store's values included)."""
    return recipient_of(profile, fill(prepared(message).variables, variables, profile, store))


def verdict(
    automation: Automation | None, due: DueStep, profile: Profile | None, store: Store, now: datetime
) -> Verdict:
    """Send, defer or stop one due step, decided now."""
    if automation is None:
        return Verdict("stop", NudgeReason.AUTOMATION_DELETED)
    if not automation.active:
        return Verdict("stop", NudgeReason.AUTOMATION_PAUSED)
    if due.step >= len(automation.steps):
        return Verdict("stop", NudgeReason.STEP_REMOVED)
    reason = exit_reason(automation, due.step, due.business_key, due.trigger_at, profile, store.zone, now)
    if reason is not None or profile is None:
        return Verdict("stop", reason or detailed(NudgeReason.EXITED, CUSTOMER_GONE))
    from compliance.decision import Outcome, decide  # the rules engine, loaded when a step is decided

    message = automation.steps[due.step].message
    decision = decide(message, _recipient(message, profile, due.variables, store), store.compliance, now)
    reasons = ",".join(decision.reasons)
    if decision.outcome is Outcome.SEND:
        return Verdict("send", reasons)
    if decision.outcome is Outcome.DEFER and decision.send_at is not None:
        return Verdict("defer", reasons, decision.send_at)
    return Verdict("stop", detailed(NudgeReason.SUPPRESSED, reasons))


def _job(due: DueStep, automation: Automation | None, now: datetime) -> SendJob:
    return SendJob(
        store_id=due.store_id,
        source=f"automation:{due.automation_id}",
        occurrence=due.occurrence,
        customer_id=due.customer_id,
        business_key=due.business_key,
        step=due.step,
        variables=due.variables,
        queued_at=now,
        owed_by_law=automation is not None and is_legal_notice(automation.template),
    )


def _stop(
    due: DueStep, automation: Automation | None, outcome: Verdict, deps: AutomationDependencies, now: datetime
) -> None:
    """Record the stopped step under its job's send key (see the module's docstring)."""
    job = _job(due, automation, now)
    message = (
        automation.steps[due.step].message
        if automation is not None and due.step < len(automation.steps)
        else None
    )
    deps.stops.record_stop(
        SendRecord(
            send_id=send_id_of(job.send_key),
            store_id=job.store_id,
            source=job.source,
            customer_id=job.customer_id,
            occurrence=job.occurrence,
            state=SendState.SUPPRESSED,
            created_at=now,
            reasons=outcome.codes,
            is_ad=message is not None and message.is_ad,
            promotion_group=message.promotion_group if message is not None else None,
            step=due.step,
            owed_by_law=job.owed_by_law,
        )
    )


# ---------------------------------------------------------------- events start journeys


@dataclass(slots=True)
class StartResult:
    started: list[str] = field(default_factory=list)  # automation ids
    not_reentered: list[str] = field(default_factory=list)
    scheduled: int = 0  # steps filed under a slot
    queued: int = 0  # steps sent to the queue at once
    stopped: list[str] = field(default_factory=list)  # steps due now that the fresh check stopped, and why


def _schedule(due: DueStep, store: Store, deps: AutomationDependencies, now: datetime) -> None:
    # Never a slot Scheduler would refuse as past or too close (a deferral's instant comes from the rules).
    slot = max(slot_of(due.due_at), slot_of(now + IMMEDIATE_WINDOW) + SLOT)
    deps.due_steps.put(due, slot, now)  # first the step, then its schedule: a failure retries both
    deps.scheduler.ensure_slot(store, slot, now)


def start_journeys(
    event: NormalizedEvent, store: Store, deps: AutomationDependencies, now: datetime
) -> StartResult:
    """Start every active automation of the store that this event triggers for its customer."""
    result = StartResult()
    candidates = [
        d for d in deps.catalog.documents(store.store_id, AUTOMATION)
        if d.get("status") == "active" and d.get("trigger", {}).get("event") == event.type.value
    ]  # fmt: skip
    if not candidates:
        return result
    profile = deps.profiles.load(store.store_id, event.customer_id)
    if profile is None:
        return result
    for document in candidates:
        automation = Automation.from_document(document)
        if not trigger_matches(automation, event, profile, store.zone):
            continue
        key = business_key(event, profile)
        if not deps.entries.enter(
            store.store_id,
            automation.automation_id,
            event.customer_id,
            key,
            event.event_id,
            event.occurred_at,
            reentry_window(automation),
            per_key=reentry_per_key(automation),
        ):
            result.not_reentered.append(automation.automation_id)
            continue
        result.started.append(automation.automation_id)
        variables = variables_of(event, profile, store.zone, automation)
        cycle_days = None
        if any(step.delay.repurchase_cycle for step in automation.steps):
            order = profile.orders.get(key.partition(":")[2]) if key.startswith("order:") else None
            cycles = read(deps.catalog, store.store_id, LearnedCycles, "learned")
            cycle_days = repurchase_cycle_days(cycles, order.products if order else ())
        expires_at = event.expires_at if isinstance(event, CouponIssued) else None
        for index, step in enumerate(automation.steps):
            # A coupon already expired has no "days before its expiry": the step stops at once.
            expired = step.delay.before_expiry and expires_at is not None and expires_at <= now
            when = (
                now if expired else due_at(event.occurred_at, step.delay, store.zone, cycle_days, expires_at)
            )
            due = DueStep(
                store_id=store.store_id,
                automation_id=automation.automation_id,
                customer_id=event.customer_id,
                business_key=key,
                step=index,
                occurrence=event.event_id,
                trigger_at=event.occurred_at,
                due_at=when,
                variables=variables,
            )
            if expired:
                outcome = Verdict("stop", Reason.EXPIRED)
            elif due.due_at > now + IMMEDIATE_WINDOW:
                _schedule(due, store, deps, now)
                result.scheduled += 1
                continue
            else:
                outcome = verdict(automation, due, profile, store, now)
            if outcome.action == "send":
                deps.send_queue.enqueue([_job(due, automation, now)])
                result.queued += 1
            elif outcome.action == "defer" and outcome.send_at is not None:
                _schedule(replace(due, due_at=outcome.send_at), store, deps, now)
                result.scheduled += 1
            else:
                _stop(due, automation, outcome, deps, now)
                result.stopped.append(f"{automation.automation_id}[{index}]: {outcome.reason}")
    return result


# ---------------------------------------------------------------- slots fire


@dataclass(slots=True)
class SlotResult:
    queued: int = 0
    deferred: int = 0
    stopped: dict[str, int] = field(default_factory=dict)  # reason -> steps
    already_handled: int = 0  # claimed by an earlier (or concurrent) firing of the same slot


def fire_slot(store: Store, slot: datetime, deps: AutomationDependencies, now: datetime) -> SlotResult:
    """Check each step still due in this slot now, and queue, defer or stop it."""
    result = SlotResult()
    automations: dict[str, Automation | None] = {}
    profiles: dict[str, Profile | None] = {}
    for due in deps.due_steps.in_slot(store.store_id, slot):
        if due.automation_id not in automations:
            automations[due.automation_id] = read(deps.catalog, store.store_id, Automation, due.automation_id)
        if due.customer_id not in profiles:
            profiles[due.customer_id] = deps.profiles.load(store.store_id, due.customer_id)
        automation = automations[due.automation_id]
        outcome = verdict(automation, due, profiles[due.customer_id], store, now)
        if outcome.action == "send" and automation is not None:
            # Queue first, then mark: a crash in between re-queues the same send key, which the sender
            # sends once; marking first could lose the step.
            deps.send_queue.enqueue([_job(due, automation, now)])
            if deps.due_steps.mark(due, slot, "queued", outcome.reason, now):
                result.queued += 1
            else:
                result.already_handled += 1
        elif outcome.action == "defer" and outcome.send_at is not None:
            later = replace(due, due_at=outcome.send_at)
            _schedule(later, store, deps, now)
            detail = f"{outcome.reason}->{outcome.send_at.isoformat()}"
            if deps.due_steps.mark(due, slot, "deferred", detail, now):
                result.deferred += 1
            else:
                result.already_handled += 1
        else:
            # The record first, then the mark (as a send job is queued first): a crash in between leaves
            # the step due, and the slot's retry finds its record there and only marks it.
            _stop(due, automation, outcome, deps, now)
            if deps.due_steps.mark(due, slot, "stopped", outcome.reason, now):
                result.stopped[outcome.reason] = result.stopped.get(outcome.reason, 0) + 1
            else:
                result.already_handled += 1
    return result


def slot_request(store_id: str, slot: datetime) -> dict[str, str]:
    """What a slot's schedule delivers to the automation slots queue."""
    return {"store_id": store_id, "slot": slot.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def parse_slot_request(body: dict[str, Any]) -> tuple[str, datetime]:
    return str(body["store_id"]), datetime.fromisoformat(str(body["slot"]).replace("Z", "+00:00"))
