"""What a run on the local runtime would cost in AWS, from the calls it actually made.

The local runtime counts Lambda invocations and their durations, every AWS request a function or an AWS
poller (SQS event source, Scheduler) sent, the DynamoDB units those requests consumed, the HTTP API
requests and the bytes logged (counters.py). This module prices them at list prices.

Prices: us-east-1 list prices on-demand, arm64, no free tier, as collected in the project's domain notes
(aws-serverless.md §5); Seoul (ap-northeast-2) is within a few percent for these services except
Scheduler (Tokyo lists $1.25; Seoul is not published separately). Durations are the handlers' in-process
wall times against the emulator, a stand-in for Lambda's billed duration (rounded up to 1 ms as Lambda does).
"""

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from nudge_local.bill.counters import Counters, Tally, function_of, trigger_of

PRICE_REGION = "us-east-1 list prices (ap-northeast-2 to be verified), on-demand, arm64, no free tier"


@dataclass(frozen=True)
class Prices:
    lambda_request: float = 0.20 / 1e6
    lambda_gb_second: float = 0.0000133334  # arm64
    dynamodb_write_unit: float = 0.625 / 1e6
    dynamodb_read_unit: float = 0.125 / 1e6
    scheduler_invocation: float = 1.00 / 1e6
    http_api_request: float = 1.00 / 1e6
    sqs_request: float = 0.40 / 1e6
    # Symmetric and HMAC requests alike (the keys themselves, US$1 a month each, do not grow with traffic).
    kms_request: float = 0.03 / 1e4
    logs_gb: float = 0.50
    # Lambda writes START / END / REPORT lines of about this size for every invocation.
    platform_log_bytes_per_invocation: int = 300


LIST_PRICES = Prices()

# Which side of the bill a piece of work is on. Ingestion: receiving webhooks and tracker batches, and
# everything the events they carry set off in the events queue's consumer (profiles, automation triggers
# and exits, journeys started) — that work happens for every webhook, whether a message follows or not.
# Admin: the marketer's own use of the admin API (set-up, reports). Messaging: everything else — campaign
# runs, minute slots, sending, delivery reports, clicks. Upkeep: work on a fixed schedule whatever the
# traffic (the morning read of the stores' 080 opt-out lists, the hourly Cafe24 reconciliation and AlimTalk
# template sync): a cost per
# month, not per message. (What the reconciliation recovers is handled as its webhook would have been: the
# events queue's work on it is ingestion.)
INGESTION_FUNCTIONS = frozenset({"IngestFunction", "CollectFunction"})
INGESTION_QUEUES = frozenset({"EventsQueue"})
ADMIN_FUNCTIONS = frozenset({"AdminFunction"})
SENDER_FUNCTION = "SenderFunction"  # the function that waits for the gateway's answer to each send
UPKEEP_FUNCTIONS = frozenset(
    {"OptOutSyncFunction", "Cafe24ReconcileFunction", "AlimTalkTemplateSyncFunction"}
)
SIDES = ("ingestion", "messaging", "admin", "upkeep")


def side_of(label: str) -> str:
    """The side of a counted origin ("IngestFunction", "AutomationFunction via EventsQueue", ...)."""
    function = function_of(label)
    if function in INGESTION_FUNCTIONS or trigger_of(label) in INGESTION_QUEUES:
        return "ingestion"
    if function in ADMIN_FUNCTIONS:
        return "admin"
    if function in UPKEEP_FUNCTIONS or trigger_of(label) in UPKEEP_FUNCTIONS:
        return "upkeep"
    return "messaging"


@dataclass
class Bill:
    """US$ by service and by side (see side_of)."""

    lines: Tally = field(default_factory=Tally)  # "lambda requests" -> US$
    sides: Tally = field(default_factory=Tally)  # "ingestion" -> US$
    quantities: dict[str, float] = field(default_factory=dict)
    by_origin: Tally = field(default_factory=Tally)  # function (or AWS poller) -> US$
    # US$ per second a send waits for the gateway (the sender's memory at the GB-second price): the local
    # gateway answers at once, a real one does not, and the bill cannot see the difference.
    gateway_wait_per_second: float = 0.0

    @property
    def total(self) -> float:
        return sum(self.lines.values())

    @property
    def ingestion(self) -> float:
        return self.sides["ingestion"]

    @property
    def messaging(self) -> float:
        return self.sides["messaging"]

    @property
    def admin(self) -> float:
        return self.sides["admin"]

    @property
    def upkeep(self) -> float:
        return self.sides["upkeep"]

    def add(
        self, line: str, dollars: float, *, side: str, quantity: float | None = None, origin: str = ""
    ) -> None:
        self.lines[line] += dollars
        if origin:
            self.by_origin[origin] += dollars
        if quantity is not None:
            self.quantities[line] = self.quantities.get(line, 0.0) + quantity
        self.sides[side] += dollars


class _Function(Protocol):
    @property
    def memory_mb(self) -> int: ...


class Functions(Protocol):
    """What the bill reads of the template (the runtime's Template is one): each function's memory."""

    @property
    def functions(self) -> Mapping[str, _Function]: ...


def bill(counters: Counters, template: Functions, log_bytes: int, prices: Prices = LIST_PRICES) -> Bill:
    out = Bill()
    memory_mb = {name: function.memory_mb for name, function in template.functions.items()}
    out.gateway_wait_per_second = memory_mb.get(SENDER_FUNCTION, 128) / 1024 * prices.lambda_gb_second
    invocations: Counter[str] = Counter()  # by side
    for label, stats in counters.invocations_by_label.items():
        side, name = side_of(label), function_of(label)
        invocations[side] += stats.invocations
        out.add("Lambda requests", stats.invocations * prices.lambda_request, side=side,
                quantity=stats.invocations, origin=name)  # fmt: skip
        billed_ms = sum(math.ceil(ms) for ms in stats.durations_ms)
        gb_seconds = billed_ms / 1000 * memory_mb.get(name, 128) / 1024
        out.add("Lambda duration", gb_seconds * prices.lambda_gb_second, side=side, quantity=gb_seconds)
    for label in set(counters.read_units) | set(counters.write_units):
        if label == "local":
            continue
        side, name = side_of(label), function_of(label)
        reads, writes = counters.read_units[label], counters.write_units[label]
        out.add("DynamoDB reads", reads * prices.dynamodb_read_unit, side=side, quantity=reads, origin=name)
        out.add(
            "DynamoDB writes", writes * prices.dynamodb_write_unit, side=side, quantity=writes, origin=name
        )
    for label, calls in counters.aws_calls_by_origin.items():
        if label == "local":
            continue
        side, name = side_of(label), function_of(label)
        sqs = sum(n for action, n in calls.items() if action.startswith("sqs:"))
        out.add("SQS requests", sqs * prices.sqs_request, side=side, quantity=sqs, origin=name)
        kms = sum(n for action, n in calls.items() if action.startswith("kms:"))
        out.add("KMS requests", kms * prices.kms_request, side=side, quantity=kms, origin=name)
        fired = calls.get("scheduler:Invocation", 0)
        out.add("Scheduler invocations", fired * prices.scheduler_invocation, side=side, quantity=fired,
                origin=name)  # fmt: skip
    for function, requests in counters.api_requests.items():
        out.add("HTTP API requests", requests * prices.http_api_request, side=side_of(function),
                quantity=requests, origin=function)  # fmt: skip
    # Logs are not split by function locally; they are shared pro rata to invocations.
    total_invocations = sum(invocations.values())
    total_bytes = log_bytes + total_invocations * prices.platform_log_bytes_per_invocation
    logs = total_bytes / 1024**3 * prices.logs_gb
    for side in SIDES:
        share = invocations[side] / total_invocations if total_invocations else 0.0
        out.add("CloudWatch Logs", logs * share, side=side, quantity=total_bytes * share)
    return out


def _price_list(p: Prices) -> str:
    per_million = [
        ("Lambda", p.lambda_request, "requests"),
        ("DynamoDB", p.dynamodb_write_unit, "write units"),
        ("DynamoDB", p.dynamodb_read_unit, "read units"),
        ("Scheduler", p.scheduler_invocation, "invocations"),
        ("HTTP API", p.http_api_request, "requests"),
        ("SQS", p.sqs_request, "requests"),
        ("KMS", p.kms_request, "requests"),
    ]
    parts = [f"{service} US${price * 1e6:.3f}/M {unit}" for service, price, unit in per_million]
    parts += [f"Lambda US${p.lambda_gb_second:.10f}/GB-s (arm64)", f"Logs US${p.logs_gb:.2f}/GB"]
    return " · ".join(parts)


def per_million(dollars: float, count: int) -> float | None:
    return dollars / count * 1e6 if count else None


def render(result: Bill, *, messages_sent: int, webhooks_received: int) -> list[str]:
    """The cost lines `nudge local demo` prints."""
    lines = [f"AWS cost of this run ({PRICE_REGION})", f"  prices: {_price_list(LIST_PRICES)}"]
    for line, dollars in sorted(result.lines.items(), key=lambda kv: -kv[1]):
        quantity = result.quantities.get(line, 0.0)
        lines.append(f"  {line:<24} {quantity:>16,.1f}  US${dollars:,.6f}")
    lines.append(f"  {'total':<24} {'':>16}  US${result.total:,.6f}")
    if result.by_origin:
        parts = ", ".join(f"{origin} {d / result.total:.0%}" for origin, d in result.by_origin.most_common(6))
        lines.append(f"  by who made AWS do it (logs not included): {parts}")
    message_cost = per_million(result.messaging, messages_sent)
    webhook_cost = per_million(result.ingestion, webhooks_received)
    lines.append(
        "  per 1,000,000 messages sent: "
        + (f"US${message_cost:,.2f}" if message_cost is not None else "- (no message sent)")
        + f"   (messaging side US${result.messaging:,.6f} / {messages_sent:,} messages)"
    )
    if message_cost is not None and result.gateway_wait_per_second:
        per_100_ms = result.gateway_wait_per_second * 0.1 * 1e6
        lines.append(
            "    not in it: a real gateway's answer time (the local one answers at once): each 100 ms a "
            f"send waits adds about US${per_100_ms:,.2f} per 1,000,000 messages"
        )
    lines.append(
        "  per 1,000,000 webhooks received: "
        + (f"US${webhook_cost:,.2f}" if webhook_cost is not None else "- (no webhook received)")
        + f"   (ingestion side US${result.ingestion:,.6f} / {webhooks_received:,} requests)"
    )
    lines.append(
        f"  the marketer's admin API use (set-up, reports): US${result.admin:,.6f}, in neither figure"
    )
    lines.append(
        f"  upkeep (the stores' 080 opt-out lists each morning, the Cafe24 reconciliation each hour): "
        f"US${result.upkeep:,.6f}, in neither figure"
    )
    return lines
