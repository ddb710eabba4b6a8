"""EventBridge Scheduler: one-time and recurring schedules whose target is a queue of Nudge's.

Every expression, time zone and name is validated (nudge.schedules) before the API is called: moto
accepts anything, AWS does not. Creating a schedule that already exists is not an error — a retried
request finds it there, which is what it wanted. But Scheduler answers ConflictException both when the
schedule exists and when another request is changing it at that moment (which may end without it), so a
conflict is not taken for "it exists": the schedule is looked up (`create_once`) or updated (`put`), and
created again if it is not there. Throttling and server errors are the client's to retry (adaptive mode),
then the caller's: its queue message comes back.
"""

import hashlib
import json
from datetime import datetime
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from nudge import config
from nudge.schedules import at_expression, validate_expression, validate_name, validate_timezone
from nudge.stores import Store

# Scheduler retries a failed delivery to the queue for up to a day, then dead-letters it.
MAX_RETRY_ATTEMPTS = 185
MAX_EVENT_AGE_SECONDS = 86_400
# A create that conflicts and then finds no schedule is tried again this many times in all; past that the
# caller fails, and its queue message comes back later.
CONFLICT_ATTEMPTS = 3


def _code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])


@cache
def scheduler_client() -> Any:
    # A throttled CreateSchedule is retried with client-side rate limiting before the call fails (and
    # the event that wanted the slot is redelivered by its queue).
    return boto3.client("scheduler", config=Config(retries={"mode": "adaptive", "max_attempts": 8}))


class QueueScheduler:
    """Schedules that send a JSON message to one SQS queue (Scheduler's templated SQS target)."""

    def __init__(
        self, group: str, role_arn: str, queue_arn: str, dead_letter_arn: str, client: Any | None = None
    ) -> None:
        self.group, self.role_arn, self.queue_arn, self.dead_letter_arn = (
            group,
            role_arn,
            queue_arn,
            dead_letter_arn,
        )
        self.client = client or scheduler_client()

    def put(
        self,
        name: str,
        expression: str,
        timezone: str,
        payload: dict[str, Any],
        *,
        one_time: bool,
        start: datetime | None = None,
        end: datetime | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Create the schedule, or replace it if it exists with other settings. True when it was created."""
        zone = validate_timezone(timezone)
        validate_name(name)
        validate_expression(expression, zone, now)
        request = self._request(name, expression, timezone, payload)
        if one_time:
            request["ActionAfterCompletion"] = "DELETE"
        if start is not None:
            request["StartDate"] = start
        if end is not None:
            request["EndDate"] = end
        for _ in range(CONFLICT_ATTEMPTS):
            try:
                self.client.create_schedule(**request)
                return True
            except ClientError as exc:
                if _code(exc) != "ConflictException":
                    raise
            try:
                self.client.update_schedule(**request)
                return False
            except ClientError as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise  # not there after all (the conflict was another request's): create it again
        raise RuntimeError(f"schedule {name}: conflicting requests {CONFLICT_ATTEMPTS} times")

    def create_once(
        self, name: str, expression: str, timezone: str, payload: dict[str, Any], *, now: datetime
    ) -> bool:
        """Create a one-time schedule deleted after it fires. True when created; False when a schedule of
        that name is already there (a ConflictException, and GetSchedule finds it): for a deterministic
        name, that is what was wanted."""
        zone = validate_timezone(timezone)
        validate_name(name)
        validate_expression(expression, zone, now)
        request = self._request(name, expression, timezone, payload)
        request["ActionAfterCompletion"] = "DELETE"
        for _ in range(CONFLICT_ATTEMPTS):
            try:
                self.client.create_schedule(**request)
                return True
            except ClientError as exc:
                if _code(exc) != "ConflictException":
                    raise
            try:
                self.client.get_schedule(Name=name, GroupName=self.group)
                return False
            except ClientError as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise  # not there after all (the conflict was another request's): create it again
        raise RuntimeError(f"schedule {name}: conflicting requests {CONFLICT_ATTEMPTS} times")

    def _request(self, name: str, expression: str, timezone: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A CreateSchedule request targeting the queue, with the retry policy and the dead-letter queue."""
        return {
            "Name": name,
            "GroupName": self.group,
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "Target": {
                "Arn": self.queue_arn,
                "RoleArn": self.role_arn,
                "Input": json.dumps(payload, ensure_ascii=False),
                "RetryPolicy": {
                    "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
                    "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
                },
                "DeadLetterConfig": {"Arn": self.dead_letter_arn},
            },
        }

    def delete(self, name: str) -> None:
        try:
            self.client.delete_schedule(Name=name, GroupName=self.group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise


def campaign_scheduler() -> QueueScheduler:
    return QueueScheduler(
        config.schedule_group(),
        config.scheduler_role_arn(),
        config.campaign_runs_queue_arn(),
        config.schedule_dead_letter_arn(),
    )


def deferred_send_name(send_id: str) -> str:
    """The one-time schedule that brings a deferred send back (gateway_accounts.ScheduledDeferrals): its
    target's input is the send job, which names the customer."""
    return f"send-{send_id}"


class DeferredSends:
    """Deferred sends' schedules, as an erasure cancels them."""

    def __init__(self, group: str, client: Any | None = None) -> None:
        self.group = group
        self.client = client or scheduler_client()

    def cancel(self, send_id: str) -> bool:
        """Delete the send's schedule; False when there is none (it fired, and Scheduler deleted it)."""
        try:
            self.client.delete_schedule(Name=deferred_send_name(send_id), GroupName=self.group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return False
            raise
        return True


def deferred_sends() -> DeferredSends:
    return DeferredSends(config.schedule_group())


def slot_schedule_name(store_id: str, slot: datetime) -> str:
    """`slot-{store}-{yyyymmddhhmm}` (UTC minute); a store id too long for Scheduler's 64 characters is
    replaced by a hash of it."""
    stamp = slot.strftime("%Y%m%d%H%M")
    name = f"slot-{store_id}-{stamp}"
    if len(name) > 64:
        name = f"slot-{hashlib.sha256(store_id.encode()).hexdigest()[:32]}-{stamp}"
    return name


class SlotSchedules:
    """One one-time schedule per store and minute slot, delivering the slot to the automation slots queue.

    A warm function remembers the slots it has made sure of: the next step for the same slot costs no
    API call (the schedule is never deleted before it fires, and a slot is always in the future)."""

    def __init__(self, scheduler: QueueScheduler, remember: int = 4096) -> None:
        self.scheduler = scheduler
        self.remember = remember
        self.known: dict[str, None] = {}
        self.created = 0
        self.calls = 0

    def ensure_slot(self, store: Store, slot: datetime, now: datetime) -> None:
        from nudge.automations.runs import slot_request

        name = slot_schedule_name(store.store_id, slot)
        if name in self.known:
            return
        self.calls += 1
        if self.scheduler.create_once(
            name, at_expression(slot, store.zone), store.timezone, slot_request(store.store_id, slot), now=now
        ):
            self.created += 1
        if len(self.known) >= self.remember:
            self.known.pop(next(iter(self.known)))
        self.known[name] = None


def slot_schedules() -> SlotSchedules:
    return SlotSchedules(
        QueueScheduler(
            config.schedule_group(),
            config.scheduler_role_arn(),
            config.automation_slots_queue_arn(),
            config.schedule_dead_letter_arn(),
        )
    )
