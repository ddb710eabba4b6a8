"""What AWS does on its own, driven by the simulated clock: EventBridge Scheduler firing schedules, and
Lambda's SQS event source mappings polling queues. moto stores schedules but never fires them, and has
no Lambda runtime without Docker, so these two loops stand in for the services.
"""

import contextlib
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from moto.scheduler.exceptions import ScheduleGroupNotFound, ScheduleNotFound
from moto.scheduler.models import scheduler_backends
from moto.sqs.models import sqs_backends

from nudge_local.bill import counters
from nudge_local.emulation import aws, chaos, speedups
from nudge_local.emulation.accounts import emulated_account
from nudge_local.runtime import iam
from nudge_local.runtime.clock import SimulatedClock
from nudge_local.runtime.functions import FunctionError, FunctionHost, LogSink
from nudge_local.runtime.schedule_expressions import ExpressionError, is_one_time, occurrences
from nudge_local.runtime.template import SqsEventSource, Template

# A bound on work per pass: a rate(1 minute) schedule left alone for a year would otherwise loop for ages.
MAX_FIRINGS_PER_PASS = 10_000
MAX_DRAIN_ROUNDS = 1_000


class PumpLimitExceeded(RuntimeError):
    pass


def _has_visible_messages(queue_url: str) -> bool:
    """Whether a receive could return anything now (moto's own test of a message's visibility), read from
    the emulation's state; True when the queue is not found there, so that the API call decides."""
    backend = sqs_backends[emulated_account()][aws.AWS_ENV["AWS_DEFAULT_REGION"]]
    queue = backend.queues.get(queue_url.rsplit("/", 1)[-1])
    return queue is None or speedups.has_visible_messages(queue)


class DeliveryError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Firing:
    schedule_arn: str
    scheduled_time: datetime
    target_arn: str
    attempts: int
    outcome: str  # "delivered", "dead-lettered", "dropped" (no DLQ), "function-failed"
    error: str | None = None


def _scheduler_backend() -> Any:
    return scheduler_backends[emulated_account()][aws.AWS_ENV["AWS_DEFAULT_REGION"]]


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromtimestamp(float(value), UTC)


def _queue_url(template: Template, arn: str) -> str:
    # arn:aws:sqs:<region>:<account>:<name>; a moto server answers with URLs on its own endpoint.
    _, _, _, region, account, name = arn.split(":", 5)
    return f"{aws.queue_base(region)}/{account}/{name}"


class SchedulerPump:
    """EventBridge Scheduler: fires due schedules of every group at their instants, in order."""

    def __init__(self, template: Template, host: FunctionHost, clock: SimulatedClock, sink: LogSink) -> None:
        self.template = template
        self.host = host
        self.clock = clock
        self.sink = sink
        self.first_seen: dict[str, datetime] = {}
        self.fired: set[tuple[str, datetime]] = set()
        self.firings: list[Firing] = []
        self._details: dict[tuple[str, Any], dict[str, Any]] = {}

    # ------------------------------------------------------------------ reading moto's schedules

    def schedules(self) -> list[dict[str, Any]]:
        """Every schedule, in full: read from the emulation's own state, as Scheduler itself knows its
        schedules (moto's ListSchedules answers 50 per page, and the pump asks at every step of the clock).
        Each version of a schedule is read once, as GetSchedule would answer it."""
        out = []
        for group in list(_scheduler_backend().schedule_groups.values()):
            for schedule in list(group.schedules.values()):
                key = (schedule.arn, schedule.last_modified_date)
                if key not in self._details:
                    # A copy (the emulation's own target dict stays its own), without the absent fields.
                    answer = json.loads(json.dumps(schedule.to_dict()))
                    self._details[key] = {k: v for k, v in answer.items() if v is not None}
                out.append(self._details[key])
        return out

    def observe(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Note when each schedule was first seen: a recurring schedule without StartDate counts from then."""
        now = now or self.clock.now()
        found = self.schedules()
        for schedule in found:
            self.first_seen.setdefault(schedule["Arn"], now)
        return found

    def due(
        self, until: datetime, schedules: list[dict[str, Any]] | None = None
    ) -> list[tuple[datetime, dict]]:
        """(instant, schedule) pairs not fired yet with instant <= until, earliest first."""
        out: list[tuple[datetime, dict[str, Any]]] = []
        for schedule in schedules if schedules is not None else self.observe():
            if schedule.get("State", "ENABLED") != "ENABLED":
                continue
            arn = schedule["Arn"]
            expression = schedule["ScheduleExpression"]
            timezone = schedule.get("ScheduleExpressionTimezone") or "UTC"
            start, end = _utc(schedule.get("StartDate")), _utc(schedule.get("EndDate"))
            limit = min(until, end) if end and not is_one_time(expression) else until
            if is_one_time(expression):
                after, anchor = datetime.min.replace(tzinfo=UTC), None
            elif start is not None:
                # "Invocations might occur on, or after, the StartDate".
                after, anchor = start - timedelta(microseconds=1), start
            else:
                after = anchor = self.first_seen.setdefault(arn, self.clock.now())
            try:
                for instant in occurrences(expression, timezone, after, limit, anchor=anchor):
                    if (arn, instant) not in self.fired:
                        out.append((instant, schedule))
                        if len(out) > MAX_FIRINGS_PER_PASS:
                            raise PumpLimitExceeded(
                                f"more than {MAX_FIRINGS_PER_PASS} due firings; advance in smaller steps"
                            )
            except ExpressionError as error:
                # AWS would have refused the schedule; moto accepts anything (aws-serverless.md §4).
                self.sink.write(f"[scheduler] skipping {schedule['Name']}: {error}\n")
        out.sort(key=lambda item: (item[0], item[1]["Arn"]))
        return out

    def next_due(self, until: datetime) -> datetime | None:
        due = self.due(until)
        return due[0][0] if due else None

    # ------------------------------------------------------------------ firing

    def fire_due(self, now: datetime | None = None) -> int:
        """Fire everything due up to `now`; returns how many firings happened."""
        now = now or self.clock.now()
        due = self.due(now)
        for instant, schedule in due:
            self.fire(schedule, instant)
        return len(due)

    def fire(self, schedule: dict[str, Any], instant: datetime) -> Firing:
        self.fired.add((schedule["Arn"], instant))
        target = schedule["Target"]
        retry = target.get("RetryPolicy") or {}
        max_retries = int(retry.get("MaximumRetryAttempts", 185))
        execution_id = str(uuid.uuid4())
        firing: Firing | None = None
        error: DeliveryError | None = None
        attempt = 0
        # A schedule that invokes a function directly is labelled with it (cost.side_of puts a scheduled
        # function's invocations on its side); one that feeds a queue stays plain "scheduler".
        function = self.template.function_by_arn(target["Arn"]) if ":lambda:" in target["Arn"] else None
        origin = "scheduler" if function is None else f"scheduler{counters.VIA}{function.logical_id}"
        # Scheduler acts as the schedule's role: its delivery and its dead-letter event are checked so.
        with counters.origin(origin), iam.as_scheduler(target.get("RoleArn", "")):
            # Retries are immediate locally; AWS backs off within MaximumEventAgeInSeconds.
            for attempt in range(1, max_retries + 2):
                counters.record("scheduler:Invocation")  # Scheduler bills each target invocation
                payload = self._input(target.get("Input"), schedule["Arn"], instant, execution_id, attempt)
                try:
                    outcome = self._deliver(target["Arn"], payload)
                    firing = Firing(schedule["Arn"], instant, target["Arn"], attempt, outcome)
                    break
                except DeliveryError as failure:
                    error = failure
            if firing is None:
                assert error is not None
                firing = self._dead_letter(schedule, instant, execution_id, attempt, error)
        self.firings.append(firing)
        if is_one_time(schedule["ScheduleExpression"]) and schedule.get("ActionAfterCompletion") == "DELETE":
            # moto never does this itself; Scheduler does it without an API request.
            with contextlib.suppress(ScheduleNotFound, ScheduleGroupNotFound):
                _scheduler_backend().delete_schedule(schedule["GroupName"], schedule["Name"])
        return firing

    @staticmethod
    def _input(raw: str | None, arn: str, instant: datetime, execution_id: str, attempt: int) -> str:
        if raw is None:
            return "{}"
        # EventBridge Scheduler's context attributes, substituted in templated targets' Input.
        return (
            raw.replace("<aws.scheduler.schedule-arn>", arn)
            .replace("<aws.scheduler.scheduled-time>", instant.strftime("%Y-%m-%dT%H:%M:%SZ"))
            .replace("<aws.scheduler.execution-id>", execution_id)
            .replace("<aws.scheduler.attempt-number>", str(attempt))
        )

    def _deliver(self, target_arn: str, payload: str) -> str:
        if target_arn.startswith("arn:aws:lambda:"):
            try:  # Lambda authorizes the schedule's role before it looks for the function
                iam.authorize("lambda:InvokeFunction", target_arn, operation="Invoke")
            except ClientError as error:
                raise DeliveryError(error.response["Error"]["Code"], str(error)) from error
            function = self.template.function_by_arn(target_arn)
            if function is None:
                raise DeliveryError("ResourceNotFoundException", f"Function not found: {target_arn}")
            try:
                event = json.loads(payload)
            except ValueError as error:
                raise DeliveryError("InvalidRequestContentException", "Input is not valid JSON") from error
            return self._invoke_async(function.logical_id, event)
        if target_arn.startswith("arn:aws:sqs:"):
            try:
                aws.client("sqs").send_message(
                    QueueUrl=_queue_url(self.template, target_arn), MessageBody=payload
                )
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "ClientError")
                raise DeliveryError(code, str(error)) from error
            return "delivered"
        raise DeliveryError("UnsupportedTarget", f"the local scheduler cannot deliver to {target_arn}")

    def _invoke_async(self, logical_id: str, event: Any) -> str:
        """Scheduler invokes Lambda asynchronously: once Lambda accepts the event, delivery succeeded.

        A failing handler is Lambda's business from then on — its own retries (default 2), then the
        function's on-failure destination or dead-letter queue if the template gives one — not the
        schedule's RetryPolicy and DLQ, which only see failures to hand the event to Lambda.
        """
        function = self.host.function(logical_id)
        last: FunctionError | None = None
        for _ in range(function.async_max_retries + 1):
            try:
                self.host.invoke(logical_id, event)
                return "delivered"
            except FunctionError as error:
                last = error
        assert last is not None
        if function.async_failure_arn and function.async_failure_arn.startswith("arn:aws:sqs:"):
            # Lambda sends the record to the function's on-failure destination with the function's role.
            record = {
                "version": "1.0",
                "timestamp": self.clock.now().isoformat(),
                "requestContext": {
                    "requestId": str(uuid.uuid4()),
                    "functionArn": function.arn + ":$LATEST",
                    "condition": "RetriesExhausted",
                    "approximateInvokeCount": function.async_max_retries + 1,
                },
                "requestPayload": event,
                "responseContext": {
                    "statusCode": 200,
                    "executedVersion": "$LATEST",
                    "functionError": "Unhandled",
                },
                "responsePayload": {"errorType": last.error_type, "errorMessage": last.error_message},
            }
            with iam.as_lambda_for(logical_id):
                aws.client("sqs").send_message(
                    QueueUrl=_queue_url(self.template, function.async_failure_arn),
                    MessageBody=json.dumps(record),
                )
        return "function-failed"

    def _dead_letter(
        self,
        schedule: dict[str, Any],
        instant: datetime,
        execution_id: str,
        attempts: int,
        error: DeliveryError,
    ) -> Firing:
        target = schedule["Target"]
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not dlq:
            return Firing(schedule["Arn"], instant, target["Arn"], attempts, "dropped", error.code)
        group_arn = schedule["Arn"].replace(":schedule/", ":schedule-group/").rsplit("/", 1)[0]

        def attribute(value: str) -> dict[str, str]:
            return {"DataType": "String", "StringValue": value}

        # The dead-letter event: the target's input as the body, what went wrong as message attributes.
        body = self._input(target.get("Input"), schedule["Arn"], instant, execution_id, attempts)
        try:
            aws.client("sqs").send_message(
                QueueUrl=_queue_url(self.template, dlq),
                MessageBody=body,
                MessageAttributes={
                    "ERROR_CODE": attribute(error.code),
                    "ERROR_MESSAGE": attribute(error.message[:1000]),
                    "EXHAUSTED_RETRY_CONDITION": attribute("MaximumRetryAttempts"),
                    "RETRY_ATTEMPTS": attribute(str(attempts - 1)),
                    "SCHEDULE_ARN": attribute(schedule["Arn"]),
                    "GROUP_ARN": attribute(group_arn),
                    "TARGET_ARN": attribute(target["Arn"]),
                    "INVOCATION_ID": attribute(execution_id),
                },
            )
        except ClientError as refused:  # e.g. the schedule's role may not send there: the event is lost
            lost = f"{error.code}; dead-letter queue: {refused.response.get('Error', {}).get('Code')}"
            return Firing(schedule["Arn"], instant, target["Arn"], attempts, "dropped", lost)
        return Firing(schedule["Arn"], instant, target["Arn"], attempts, "dead-lettered", error.code)


@dataclass
class SqsEventSourcePump:
    """Lambda's SQS event source mapping: batches to the function, deletes what succeeded."""

    template: Template
    host: FunctionHost
    sink: LogSink
    batches: int = 0
    failed_batches: int = 0
    _urls: dict[str, str] = field(default_factory=dict)

    def _receive(self, source: SqsEventSource) -> list[dict[str, Any]]:
        queue = self.template.queues[source.queue]
        # Lambda reads the queue's attributes with the function's role (a mapping whose role cannot is
        # refused); the pump reads them from the emulation itself, below.
        iam.authorize("sqs:GetQueueAttributes", queue.arn, operation="GetQueueAttributes")
        if not _has_visible_messages(queue.url):
            return []  # an idle poll asks the emulation's state, not the API: most polls of a month are idle
        sqs = aws.client("sqs")
        messages: list[dict[str, Any]] = []
        while len(messages) < source.batch_size:
            with counters.paused():
                got = sqs.receive_message(
                    QueueUrl=queue.url,
                    MaxNumberOfMessages=min(10, source.batch_size - len(messages)),
                    MessageSystemAttributeNames=["All"],
                    MessageAttributeNames=["All"],
                    WaitTimeSeconds=0,
                ).get("Messages", [])
            if not got:
                break
            # Only receives that returned messages count: how often an idle poller polls is AWS's business.
            counters.record("sqs:ReceiveMessage")
            messages.extend(got)
        return messages

    def _event(self, source: SqsEventSource, messages: list[dict[str, Any]]) -> dict[str, Any]:
        queue = self.template.queues[source.queue]
        records = []
        for message in messages:
            attributes = {k: v for k, v in (message.get("Attributes") or {}).items() if k != "AWSTraceHeader"}
            records.append(
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": attributes,
                    "messageAttributes": {
                        name: {
                            "stringValue": value.get("StringValue"),
                            "binaryValue": value.get("BinaryValue"),
                            "stringListValues": value.get("StringListValues", []),
                            "binaryListValues": value.get("BinaryListValues", []),
                            "dataType": value["DataType"],
                        }
                        for name, value in (message.get("MessageAttributes") or {}).items()
                    },
                    "md5OfBody": message.get("MD5OfBody")
                    or hashlib.md5(message["Body"].encode()).hexdigest(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": queue.arn,
                    "awsRegion": self.template.region,
                }
            )
        return {"Records": records}

    def _failed_ids(self, source: SqsEventSource, response: Any, ids: set[str]) -> set[str]:
        if not source.report_batch_item_failures:
            return set()
        if not isinstance(response, dict) or not response.get("batchItemFailures"):
            return set()
        failed = set()
        for item in response["batchItemFailures"]:
            identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not identifier or identifier not in ids:
                # Lambda treats a malformed or unknown identifier as a failure of the whole batch.
                return ids
            failed.add(identifier)
        return failed

    def poll(self, source: SqsEventSource) -> int:
        """One batch for one event source; returns how many messages it handled (0 when idle)."""
        with counters.triggered_by(source.queue):
            return self._poll(source)

    def _poll(self, source: SqsEventSource) -> int:
        # The mapping receives and deletes with its function's execution role, as Lambda does.
        with counters.origin("sqs-event-source"), iam.as_lambda_for(source.function):
            messages = self._receive(source)
        if not messages:
            return 0
        queue = self.template.queues[source.queue]
        sqs = aws.client("sqs")
        ids = {m["MessageId"] for m in messages}
        with counters.origin("sqs-event-source"), iam.as_lambda_for(source.function):
            self.batches += 1
            try:
                response = self.host.invoke(source.function, self._event(source, messages))
                failed = self._failed_ids(source, response, ids)
            except FunctionError:
                failed = ids
            # SQS is at-least-once: a drill may leave a handled message on the queue to come again.
            done = [m for m in messages if m["MessageId"] not in failed and not chaos.should_redeliver()]
            for start in range(0, len(done), 10):
                chunk = done[start : start + 10]
                sqs.delete_message_batch(
                    QueueUrl=queue.url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
                    ],
                )
        again = {m["MessageId"] for m in messages if m not in done} - failed
        if again:
            with counters.paused():
                for message in messages:
                    if message["MessageId"] in again:
                        sqs.change_message_visibility(
                            QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                        )
        if failed:
            self.failed_batches += 1
            # Visible again at once instead of after the queue's visibility timeout (wall-clock seconds in
            # moto); after maxReceiveCount receives moto itself moves the message to the dead-letter queue.
            with counters.paused():
                for message in messages:
                    if message["MessageId"] in failed:
                        sqs.change_message_visibility(
                            QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                        )
        return len(messages)

    def drain(self, max_rounds: int = MAX_DRAIN_ROUNDS) -> int:
        """Poll every enabled event source until all their queues are empty; returns messages handled."""
        handled = 0
        for _ in range(max_rounds):
            progress = sum(self.poll(source) for source in self.template.sqs_sources if source.enabled)
            if not progress:
                return handled
            handled += progress
        raise PumpLimitExceeded(f"queues still not drained after {max_rounds} rounds")
