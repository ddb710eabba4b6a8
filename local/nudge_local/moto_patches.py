"""Changes to the embedded emulator that keep its cost independent of how much data it holds.

DynamoDB: moto backs up every table a TransactWriteItems touches with a deep copy of the whole table, so each
webhook (Nudge writes its delivery record and the profile in one transaction) costs time proportional to
the number of items already stored: a month of a 5,000-customer store would take hours locally. This
replacement keeps DynamoDB's semantics — every condition is checked first, all writes or none, a
CancellationReason per operation, at most one operation per item — and snapshots only the items it
writes, to put them back if a write fails half-way.

SQS: moto recomputes every queue attribute, message counts included, for each message sent, and reads
the clock through datetime arithmetic for every message it counts; a queue holding a campaign's few
thousand send jobs made each further send slower. The counts here read the clock once per pass.
"""

import copy
import time
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.sqs.models import Message, Queue

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
_OPERATIONS = ("ConditionCheck", "Put", "Delete", "Update")


def _key(backend: DynamoDBBackend, kind: str, operation: dict[str, Any]) -> dict[str, Any]:
    if kind != "Put":
        return operation["Key"]
    table = backend.get_table(operation["TableName"])
    item = operation["Item"]
    key = {table.hash_key_attr: item[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = item[table.range_key_attr]
    return key


def _condition_error(backend: DynamoDBBackend, operation: dict[str, Any], key: dict[str, Any]) -> Any:
    """None when the operation's condition holds, else its cancellation reason."""
    expression = operation.get("ConditionExpression")
    if expression is None:
        return (None, None, None)
    current = backend.get_item(operation["TableName"], key)
    condition = get_filter_expression(
        expression, operation.get("ExpressionAttributeNames"), operation.get("ExpressionAttributeValues")
    )
    if condition.expr(current):
        return (None, None, None)
    old = None
    if operation.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
        old = current.to_json()["Attributes"]
    return ("ConditionalCheckFailed", "The conditional request failed", old)


def _apply(backend: DynamoDBBackend, kind: str, operation: dict[str, Any], key: dict[str, Any]) -> None:
    table = operation["TableName"]
    names, values = operation.get("ExpressionAttributeNames"), operation.get("ExpressionAttributeValues")
    if kind == "Put":
        backend.put_item(table, operation["Item"])
    elif kind == "Delete":
        backend.delete_item(table, key)
    elif kind == "Update":
        backend.update_item(
            table, key, update_expression=operation["UpdateExpression"],
            expression_attribute_names=names, expression_attribute_values=values,
        )  # fmt: skip


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > MAX_TRANSACTION_ITEMS:
        raise TooManyTransactionsException()
    planned: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    for entry in transact_items:
        if len(entry) != 1:
            raise TransactWriteSingleOpException
        ((kind, operation),) = entry.items()
        if kind not in _OPERATIONS:
            raise ValueError("Unsupported transaction operation")
        key = _key(self, kind, operation)
        identity = (str(operation["TableName"]), str(dict(sorted(key.items()))))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        planned.append((kind, operation, key))
    reasons = [_condition_error(self, operation, key) for _, operation, key in planned]
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    snapshots = [
        (operation["TableName"], key, copy.deepcopy(self.get_item(operation["TableName"], key)))
        for kind, operation, key in planned
        if kind != "ConditionCheck"
    ]
    try:
        for kind, operation, key in planned:
            _apply(self, kind, operation, key)
    except Exception as error:
        for table, key, before in reversed(snapshots):
            if before is None:
                self.delete_item(table, key)
            else:
                self.put_item(table, before.to_json()["Attributes"])
        if isinstance(error, MockValidationException):
            raise  # an invalid update expression is a ValidationException of the whole request
        reasons = [(type(error).__name__, str(error), None) for _ in planned]
        raise TransactionCanceledException(reasons) from error


def _now_ms() -> float:
    # What moto's unix_time_millis() computes, without building two datetimes per call.
    return time.time() * 1000.0


def _visible_messages(self: Queue) -> list[Message]:
    now = _now_ms()
    return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]


def _not_visible_count(self: Queue) -> int:
    now = _now_ms()
    return sum(1 for m in self._messages if not now > m.visible_at)


def _delayed_count(self: Queue) -> int:
    now = _now_ms()
    return sum(1 for m in self._messages if now < m.delayed_until)


def install() -> None:
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Queue.messages = property(_visible_messages)  # type: ignore[method-assign,assignment]
    Queue.approximate_number_of_messages_not_visible = property(_not_visible_count)  # type: ignore
    Queue.approximate_number_of_messages_delayed = property(_delayed_count)  # type: ignore
