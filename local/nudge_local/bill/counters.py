"""What the local runtime counts, for the cost model and the benchmarks.

Function invocations and their durations, and every AWS API request the process sends to the emulated
AWS, by IAM-style action ("dynamodb:PutItem") and by who sent it: a function (its logical id), a pump
acting for AWS ("scheduler", "sqs-event-source" — AWS bills those polls and deliveries too), or the
local harness itself ("local": tests, the demo). `aws_calls` totals the first two kinds only — what
production would pay for. Provisioning and the pumps' emulation bookkeeping (listing schedules, empty
receives, resetting visibility) are not counted. ConsumedCapacity is summed when a caller asked for it.

Requests are counted with a botocore event hook registered for every botocore session, including the ones
Powertools creates for itself, so nothing needs to pass a session around.
"""

import contextlib
import os
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from nudge_local.bill.capacity import (
    IndexShape,
    index_write_units,
    read_units,
    request_units,
    typed_item_size,
)
from nudge_local.emulation import hooks, speedups
from nudge_local.emulation.item_sizes import STORED_SIZE, stored_size_lock

_origin: ContextVar[str] = ContextVar("nudge_local_origin", default="local")
# The queue whose message started the work in progress: the same function costs the webhooks when it reads
# the events they made, and the messages when it sends (cost.py decides which side is which).
_trigger: ContextVar[str] = ContextVar("nudge_local_trigger", default="")
VIA = " via "
_active: "Counters | None" = None
_paused: ContextVar[bool] = ContextVar("nudge_local_paused", default=False)


class Tally(dict[str, float]):
    """Amounts by name (capacity units, US$): a Counter of floats, which collections.Counter is not typed
    for. A missing name reads as 0.0 and is not added."""

    def __missing__(self, key: str) -> float:
        return 0.0

    def most_common(self, n: int) -> list[tuple[str, float]]:
        return sorted(self.items(), key=lambda item: item[1], reverse=True)[:n]


@dataclass
class FunctionStats:
    invocations: int = 0
    errors: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    durations_ms: list[float] = field(default_factory=list)

    def record(self, duration_ms: float, failed: bool) -> None:
        self.invocations += 1
        self.errors += int(failed)
        self.total_ms += duration_ms
        self.max_ms = max(self.max_ms, duration_ms)
        self.durations_ms.append(duration_ms)


@dataclass
class Counters:
    functions: dict[str, FunctionStats] = field(default_factory=dict)
    # The same invocations by "Function via Queue" (see _labelled): which side of the bill they are on.
    invocations_by_label: dict[str, FunctionStats] = field(default_factory=dict)
    # "dynamodb:PutItem" -> requests made by functions and pumps (what AWS would bill); the harness's
    # own requests are only in aws_calls_by_origin["local"].
    aws_calls: Counter[str] = field(default_factory=Counter)
    aws_calls_by_origin: dict[str, Counter[str]] = field(default_factory=dict)
    consumed_capacity: Tally = field(default_factory=Tally)  # table -> units, when reported
    # DynamoDB read / write units by origin, computed from each request and answer (capacity.py): moto's
    # own ConsumedCapacity figures are placeholders.
    read_units: Tally = field(default_factory=Tally)
    write_units: Tally = field(default_factory=Tally)
    # HTTP API requests by the function they reached (API Gateway bills each one).
    api_requests: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def invocations(self) -> dict[str, int]:
        return {name: stats.invocations for name, stats in self.functions.items()}

    def calls_by_service(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for action, n in self.aws_calls.items():
            out[action.split(":", 1)[0]] += n
        return out

    def record_invocation(self, function: str, duration_ms: float, failed: bool) -> None:
        with self._lock:
            self.functions.setdefault(function, FunctionStats()).record(duration_ms, failed)
            self.invocations_by_label.setdefault(_labelled(function), FunctionStats()).record(
                duration_ms, failed
            )

    def record_call(self, action: str) -> None:
        origin = _labelled(_origin.get())
        with self._lock:
            # The harness's own reads (a test scanning a table) are not what production would pay for.
            if origin != "local":
                self.aws_calls[action] += 1
            self.aws_calls_by_origin.setdefault(origin, Counter())[action] += 1

    def record_capacity(self, consumed: Any) -> None:
        items = consumed if isinstance(consumed, list) else [consumed]
        with self._lock:
            for item in items:
                if isinstance(item, dict) and "TableName" in item:
                    self.consumed_capacity[item["TableName"]] += float(item.get("CapacityUnits", 0))

    def record_units(self, read: float, write: float) -> None:
        origin = _labelled(_origin.get())
        with self._lock:
            self.read_units[origin] += read
            self.write_units[origin] += write

    def record_api_request(self, function: str) -> None:
        with self._lock:
            self.api_requests[function] += 1

    def billed_units(self) -> tuple[float, float]:
        """DynamoDB (read, write) units that production would pay for: all but the harness's own."""
        with self._lock:
            reads = sum(n for origin, n in self.read_units.items() if origin != "local")
            writes = sum(n for origin, n in self.write_units.items() if origin != "local")
        return reads, writes

    def reset(self) -> None:
        with self._lock:
            self.read_units.clear()
            self.write_units.clear()
            self.api_requests.clear()
            self.functions.clear()
            self.invocations_by_label.clear()
            self.aws_calls.clear()
            self.aws_calls_by_origin.clear()
            self.consumed_capacity.clear()


def current_origin() -> str:
    return _origin.get()


def _labelled(origin: str) -> str:
    """ "AutomationFunction via EventsQueue": who did the work, and which queue's message started it."""
    trigger = _trigger.get()
    return f"{origin}{VIA}{trigger}" if trigger and origin != "local" else origin


def function_of(label: str) -> str:
    return label.split(VIA, 1)[0]


def trigger_of(label: str) -> str:
    return label.split(VIA, 1)[1] if VIA in label else ""


@contextlib.contextmanager
def _bound(variable: ContextVar[Any], value: Any) -> Iterator[None]:
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


def triggered_by(queue: str) -> contextlib.AbstractContextManager[None]:
    """Label the work inside the block with the queue whose message started it."""
    return _bound(_trigger, queue)


def origin(name: str) -> contextlib.AbstractContextManager[None]:
    """Attribute the AWS requests made inside the block to `name`."""
    return _bound(_origin, name)


def paused() -> contextlib.AbstractContextManager[None]:
    """Requests made inside the block are not counted (provisioning, the pumps' own bookkeeping)."""
    return _bound(_paused, True)


def record(action: str) -> None:
    """Count a request explicitly (the pumps count only the receives that returned messages)."""
    if _active is not None:
        _active.record_call(action)


def activate(counters: "Counters | None") -> None:
    global _active
    _active = counters


def _action(event_name: str) -> str:
    # "before-send.dynamodb.PutItem" -> "dynamodb:PutItem"
    _, service, operation = event_name.split(".", 2)
    return f"{service}:{operation}"


def _before_send(event_name: str, **_: Any) -> None:
    # One count per HTTP attempt: AWS bills retried requests too. Returning None lets the send proceed.
    if _active is not None and not _paused.get():
        _active.record_call(_action(event_name))


def _after_call(parsed: Any = None, **_: Any) -> None:
    if (
        _active is not None
        and not _paused.get()
        and isinstance(parsed, dict)
        and "ConsumedCapacity" in parsed
    ):
        _active.record_capacity(parsed["ConsumedCapacity"])


_DYNAMODB_PARAMS = "nudge_local_dynamodb_params"
_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})


_INDEX_BEFORE = "nudge_local_index_before"


def _moto_table(name: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    from nudge_local.emulation.accounts import emulated_account

    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    try:
        return dynamodb_backends[emulated_account()][region].get_table(name)
    except Exception:  # no such table: nothing to size
        return None


def _written_keys(params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(table, key) of every item a write request names; the key may carry the whole item (a Put)."""
    out: list[tuple[str, dict[str, Any]]] = []
    if "TableName" in params:
        out.append((params["TableName"], params.get("Key") or params.get("Item") or {}))
    for entry in params.get("TransactItems") or []:
        for kind in ("Put", "Update", "Delete"):
            if kind in entry:
                out.append(
                    (entry[kind]["TableName"], entry[kind].get("Key") or entry[kind].get("Item") or {})
                )
    for table, requests in (params.get("RequestItems") or {}).items():
        for request in requests:
            if isinstance(request, dict):
                put, delete = request.get("PutRequest"), request.get("DeleteRequest")
                out.append((table, (put or {}).get("Item") or (delete or {}).get("Key") or {}))
    return out


def _moto_key(table: Any, key: dict[str, Any]) -> tuple[Any, Any] | None:
    """moto's (hash, range) key for an item's key in DynamoDB JSON (None: it lacks the table's key)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    except KeyError:
        return None
    return hash_key, range_key


_Snapshot = list[tuple[Any, tuple[Any, Any], dict[str, Any] | None]]  # (moto table, moto key, item JSON)


def _index_snapshot(params: dict[str, Any]) -> _Snapshot:
    """The items a write is about to change in tables with global secondary indexes, as they are now:
    moto does not tell what the indexes consumed, so the change is sized before and after."""
    out = []
    for name, key in _written_keys(params):
        table = _moto_table(name)
        moto_key = _moto_key(table, key) if table is not None and table.global_indexes else None
        if moto_key is None:
            continue
        item = table.get_item(*moto_key)
        out.append((table, moto_key, item.to_json()["Attributes"] if item else None))
    return out


def _index_units(snapshot: _Snapshot) -> int:
    units = 0
    for table, moto_key, before in snapshot:
        item = table.get_item(*moto_key)
        after = item.to_json()["Attributes"] if item else None
        shapes = [
            IndexShape(
                tuple(index.schema_key_attrs),
                index.projection.get("ProjectionType", "ALL"),
                tuple(index.projection.get("NonKeyAttributes") or ()),
            )
            for index in table.global_indexes
        ]
        units += index_write_units(shapes, tuple(table.table_key_attrs), before, after)
    return units


_KEY_CONDITION = re.compile(r"([#\w.]+)\s*=\s*(:\w+)")


def _stored_size(table: Any, key: dict[str, Any]) -> int | None:
    """The size of the item stored under this key (None: no such item). Kept on moto's item until a write
    changes it (moto_patches clears it on an update; a put makes a new item): only while the speed-ups are
    installed (emulation/speedups.py), since plain moto updates an item in place and keeps the size."""
    moto_key = _moto_key(table, key)
    item = None if moto_key is None else table.get_item(*moto_key)
    if item is None:
        return None
    if not speedups.installed():
        return typed_item_size(item.to_json()["Attributes"])
    with stored_size_lock:
        size = getattr(item, STORED_SIZE, None)
        if size is None:
            size = typed_item_size(item.to_json()["Attributes"])
            setattr(item, STORED_SIZE, size)
    return size


def _query_hash_value(table: Any, params: dict[str, Any]) -> dict[str, Any] | None:
    """The base table's hash key value a Query names in its key condition (`pk = :pk`), if it does."""
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    for name, value in _KEY_CONDITION.findall(params.get("KeyConditionExpression") or ""):
        if names.get(name, name) == table.hash_key_attr and value in values:
            return values[value]
    return None


def _projected_read_units(operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> float | None:
    """The read units of a read with a ProjectionExpression, which returns only some attributes but costs
    the size of the whole items it read, as in AWS (None: not such a read, or its items cannot be found).
    The keys come from the request (GetItem, BatchGetItem) or the key condition and the answer (a Query
    of the table itself)."""
    consistent = bool(params.get("ConsistentRead"))
    if operation == "GetItem" and "ProjectionExpression" in params and parsed.get("Item") is not None:
        table = _moto_table(params.get("TableName", ""))
        size = _stored_size(table, params.get("Key") or {}) if table is not None else None
        return None if size is None else read_units(size, consistent=consistent)
    if operation == "BatchGetItem":
        asked_items = params.get("RequestItems") or {}
        if not any("ProjectionExpression" in asked for asked in asked_items.values()):
            return None
        units = 0.0
        for name, asked in asked_items.items():
            table = _moto_table(name)
            left = ((parsed.get("UnprocessedKeys") or {}).get(name) or {}).get("Keys") or []
            table_consistent = bool(asked.get("ConsistentRead"))
            if table is None:
                return None
            for key in asked.get("Keys") or []:
                size = None if key in left else _stored_size(table, key)
                if size is not None:
                    units += read_units(size, consistent=table_consistent)
        return units
    if operation == "Query" and "ProjectionExpression" in params and "IndexName" not in params:
        table = _moto_table(params.get("TableName", ""))
        hash_value = _query_hash_value(table, params) if table is not None else None
        if hash_value is None:
            return None
        sizes = [
            _stored_size(table, {table.hash_key_attr: hash_value, **item})
            for item in parsed.get("Items") or []
        ]
        known = [size for size in sizes if size is not None]
        if len(known) < len(sizes):
            return None  # the projection left out the sort key: sized as returned
        return read_units(sum(known), consistent=consistent)
    return None


def _dynamodb_params(params: dict[str, Any], context: dict[str, Any], model: Any = None, **_: Any) -> None:
    # The request context travels from parameter building to after-call; the answer alone cannot tell
    # a consistent read or the size of a written item.
    context[_DYNAMODB_PARAMS] = params
    if _active is not None and not _paused.get() and model is not None and model.name in _WRITES:
        context[_INDEX_BEFORE] = _index_snapshot(params)


def _dynamodb_units(parsed: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
    if _active is None or _paused.get() or not isinstance(parsed, dict):
        return
    try:
        params = context.get(_DYNAMODB_PARAMS) or {}
        read, write = request_units(model.name, params, parsed)
        projected = _projected_read_units(model.name, params, parsed)
        if projected is not None:
            read = projected
        write += _index_units(context.pop(_INDEX_BEFORE, []))
    except (TypeError, ValueError, KeyError):
        # Not DynamoDB JSON: a boto3 resource-level call, which only the harness makes (not billed).
        return
    if read or write:
        _active.record_units(read, write)


def install_hooks() -> None:
    hooks.register(
        ("before-send", _before_send),
        ("after-call", _after_call),
        ("before-parameter-build.dynamodb", _dynamodb_params),
        ("after-call.dynamodb", _dynamodb_units),
    )
