"""Faults the reliability drills inject into the local runtime, the way AWS produces them.

- A crash at a step boundary: a function dies just before one of its AWS requests (the request is never
  sent; everything before it happened). For a queue consumer the batch, or the record, comes back; for a
  webhook the platform sees a 5xx and delivers again.
- Redelivery: SQS is at-least-once; a message that was handled can be delivered again.
- DynamoDB throttling and errors: a function's DynamoDB request is answered, instead of by the table,
  `ProvisionedThroughputExceededException` or `ThrottlingException` (HTTP 400) or `InternalServerError`
  (500), before the table did anything. The answer goes through botocore as AWS's would, so the client's
  retries (botocore's standard mode: 4 attempts for DynamoDB, throttling backoff rand(0, 1) × 1, 2, 4 s,
  and its retry quota) run as they do in Lambda: a fault reaches the code only when every attempt failed
  (rate⁴ of the requests, more once the retry quota runs dry).
- EventBridge Scheduler API errors: `ThrottlingException` (429) and `InternalServerException` (500), which
  the Scheduler client retries (adaptive mode, 9 attempts), and on CreateSchedule `ConflictException`
  (409), which it does not: AWS answers it when a concurrent request is changing the schedule, so the
  schedule may or may not exist afterwards.
botocore's retry backoff, and the Scheduler client's adaptive rate limit, wait on Nudge's clock
(`nudge.clock`): in the local runtime a frozen simulated clock moves on instead of the process sleeping, as
every wait of Nudge's own does.

The plan is process-wide (one runtime at a time) and seeded, so a drill is repeatable.
"""

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.endpoint
import botocore.retries.bucket
import botocore.retries.quota
import botocore.retries.standard
from botocore.awsrequest import AWSResponse
from botocore.exceptions import CapacityNotAvailableError

from nudge import clock as nudge_clock
from nudge_local.emulation import hooks

# Origins that are AWS itself or the harness, never a function that could crash.
_NOT_FUNCTIONS = frozenset({"local", "scheduler", "sqs-event-source"})

# (error code, HTTP status, message) as each service answers them; a DynamoDB error is a throttle nine
# times in ten (an InternalServerError is rarer, and costs botocore's retry quota almost three times as much).
_THROUGHPUT = (
    "ProvisionedThroughputExceededException",
    400,
    "The level of configured provisioned throughput for the table was exceeded.",
)
_THROTTLING = ("ThrottlingException", 400, "Rate of requests exceeds the allowed throughput.")
DYNAMODB_ERRORS = (
    *[_THROUGHPUT] * 9,
    *[_THROTTLING] * 9,
    ("InternalServerError", 500, "Internal server error"),
)
SCHEDULER_ERRORS = (
    ("ThrottlingException", 429, "Rate exceeded"),
    ("InternalServerException", 500, "Unexpected error occurred while processing the request."),
)
SCHEDULER_CONFLICT = ("ConflictException", 409, "Another request is in progress for the schedule.")
UNREACHED = "https://service-error.chaos.invalid/"  # where an attempt answered with an error goes instead


class InjectedCrash(RuntimeError):
    """The function's process died here (a drill's fault, not a bug)."""


@dataclass
class FaultPlan:
    crash_rate: float = 0.0  # per AWS request a function makes
    redeliver_rate: float = 0.0  # per SQS message handled
    seed: int = 0
    dynamodb_error_rate: float = 0.0  # per attempt of a function's DynamoDB request, botocore's retries too
    scheduler_error_rate: float = 0.0  # per attempt of a function's Scheduler request

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self.crashes = 0
        self.redeliveries = 0
        self.errors: Counter[str] = Counter()  # "dynamodb:ThrottlingException" -> attempts answered so

    def roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._random.random() < rate

    def pick(self, choices: tuple[Any, ...]) -> Any:
        with self._lock:
            return self._random.choice(choices)


_plan: FaultPlan | None = None


def _harness() -> str:
    return "local"


_origin: Callable[[], str] = _harness  # who makes the request in progress (install_hooks)


def activate(plan: FaultPlan | None) -> None:
    global _plan
    _plan = plan


def active() -> FaultPlan | None:
    return _plan


def injects_errors(service: str) -> bool:
    """Whether the active plan answers some of this service's requests with errors (fast_calls then lets
    botocore make them, with its retries)."""
    plan = _plan
    if plan is None:
        return False
    return (service == "dynamodb" and plan.dynamodb_error_rate > 0) or (
        service == "scheduler" and plan.scheduler_error_rate > 0
    )


def should_redeliver() -> bool:
    plan = _plan
    if plan is not None and plan.roll(plan.redeliver_rate):
        plan.redeliveries += 1
        return True
    return False


def _maybe_crash(event_name: str, **_: Any) -> None:
    plan = _plan
    if plan is None or _origin() in _NOT_FUNCTIONS:
        return
    if plan.roll(plan.crash_rate):
        plan.crashes += 1
        raise InjectedCrash(f"injected crash before {event_name.split('.', 1)[-1]}")


def _maybe_fail(event_name: str, request: Any = None, **_: Any) -> AWSResponse | None:
    """Answer a function's DynamoDB or Scheduler request with a service error, as the service would."""
    plan = _plan
    if plan is None or request is None or _origin() in _NOT_FUNCTIONS:
        return None
    service, operation = [*event_name.split("."), "", ""][1:3]
    if service == "dynamodb" and plan.roll(plan.dynamodb_error_rate):
        code, status, message = plan.pick(DYNAMODB_ERRORS)
        body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
        headers = {"x-amzn-RequestId": "chaos", "content-type": "application/x-amz-json-1.0"}
    elif service == "scheduler" and plan.roll(plan.scheduler_error_rate):
        choices = (
            (*SCHEDULER_ERRORS, SCHEDULER_CONFLICT) if operation == "CreateSchedule" else SCHEDULER_ERRORS
        )
        code, status, message = plan.pick(choices)
        body = {"Message": message}
        headers = {"x-amzn-RequestId": "chaos", "x-amzn-ErrorType": code, "content-type": "application/json"}
    else:
        return None
    with plan._lock:
        plan.errors[f"{service}:{code}"] += 1
    url = request.url
    # botocore asks every "before-send" handler whatever the first one answered, so moto's in-process
    # stubber (always last) would still do the request: at this address it matches no service and leaves
    # it alone. (The attempt is this request only: botocore makes a new one for its retry.)
    request.url = UNREACHED
    return AWSResponse(url, status, headers, _Raw(json.dumps(body).encode()))


class _Raw:
    """The raw body of an injected answer, as botocore reads one (moto's stubber answers the same way)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body
        self._body = b""

    def read(self, *_: Any) -> bytes:
        body, self._body = self._body, b""
        return body


class _BackoffClock:
    """botocore.endpoint's `time`: what it sleeps between a request's attempts is waited on Nudge's clock."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        nudge_clock.sleep(seconds)


def _acquire(self: Any, amount: float, block: bool) -> bool:
    """botocore's TokenBucket._acquire (adaptive mode's client-side rate limit), waiting on Nudge's clock
    (its bucket reads the time from the same clock) instead of on a condition variable for wall seconds."""
    self._refill()
    if amount > self._current_capacity:
        if not block:
            raise CapacityNotAvailableError()
        while (wait := self._sleep_amount(amount)) > 0:
            self._new_fill_rate_condition.release()
            try:  # at least a millisecond: a simulated clock moves by whole microseconds
                nudge_clock.sleep(max(wait, 0.001))
            finally:
                self._new_fill_rate_condition.acquire()
            self._refill()
    self._current_capacity -= amount
    return True


def _wait_on_nudges_clock() -> None:
    """botocore's waits between attempts, and adaptive mode's rate limit, on Nudge's clock."""
    botocore.endpoint.time = _BackoffClock()
    botocore.retries.bucket.Clock.current_time = lambda self: nudge_clock.timestamp()
    botocore.retries.bucket.Clock.sleep = lambda self, amount: nudge_clock.sleep(amount)
    botocore.retries.bucket.TokenBucket._acquire = _acquire


# Each function's own retry quota. In Lambda every function runs in containers of its own, whose clients
# each hold botocore's retry quota (500 units; a throttled retry costs 5, a 500's 14, a success without retry
# gives 1 back). The local runtime loads Nudge once for all its functions, so they would share one cached
# client, and one quota: an hourly job's throttled retries would drain the quota a webhook's retries need.
_quotas: dict[tuple[int, str], botocore.retries.quota.RetryQuota] = {}
_quotas_lock = threading.Lock()
_Checker = botocore.retries.standard.RetryQuotaChecker
_quota_acquire, _quota_release = _Checker.acquire_retry_quota, _Checker.release_retry_quota


def _own_quota(checker: Any) -> None:
    """Point the client's quota checker at the quota of the function making the request in progress."""
    key = (id(checker), _origin())
    with _quotas_lock:
        quota = _quotas.get(key)
        if quota is None:
            quota = _quotas[key] = botocore.retries.quota.RetryQuota()
    checker._quota = quota


def _acquire_own(self: Any, context: Any) -> bool:
    _own_quota(self)
    return bool(_quota_acquire(self, context))


def _release_own(self: Any, context: Any, http_response: Any, **kwargs: Any) -> None:
    _own_quota(self)
    _quota_release(self, context, http_response, **kwargs)


def install_hooks(origin: Callable[[], str]) -> None:
    """Crash before AWS requests, and answer some with a service error, while a plan is active; `origin`
    names who makes the request in progress (a function's logical id, or one of _NOT_FUNCTIONS): the runtime
    passes the bill's attribution."""
    global _origin
    _origin = origin
    _wait_on_nudges_clock()
    hooks.register(("before-send", _maybe_crash), ("before-send", _maybe_fail))
    _Checker.acquire_retry_quota = _acquire_own
    _Checker.release_retry_quota = _release_own
