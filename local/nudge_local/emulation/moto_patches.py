"""Changes to the embedded emulator that keep its cost independent of how much data it holds.

DynamoDB: moto backs up every table a TransactWriteItems touches with a deep copy of the whole table, so each
webhook (Nudge writes its delivery record and the profile in one transaction) costs time proportional to
the number of items already stored: a month of a 5,000-customer store would take hours locally. This
replacement keeps DynamoDB's semantics — every condition is checked first, all writes or none, a
CancellationReason per operation, at most one operation per item — and snapshots only the items it
writes, to put them back if a write fails half-way.

Queries: moto answers a Query by sorting every item of the table and testing each one, for the table's
own key as for a global secondary index, so the send ledger's per-send queries made a month quadratic.
Here a Query only looks at the items with the asked hash key: the table's own bucket, or a map per
indexed attribute kept up to date by every write (put, update, delete — transactions and batches go
through these). moto's own code still filters, sorts, pages and projects what it is given.

Projections: moto deep-copies every item a Query found, whole, then converts the whole item to plain
Python once per projected attribute (a profile read for a segment projects several of a profile's many).
Here a Query's answers are not copied (they are only read from there on), and a projection of names and
paths through maps (a segment's days of page views) holds the stored values at the paths' ends; one with
a list index converts the named top-level attributes once.

Conditions: moto parses a condition expression from its text for every conditional write, twice for a
PutItem; the parse of one text with the same names and values is kept and reused.

Updates: moto parses an update expression twice per UpdateItem, and its validator deep-copies the parsed
tree with copy.deepcopy before filling it in — most of an UpdateItem's time. The parse of one text is kept
and shared (it is only read until the validator copies it), and the validator's copy is made node by node;
anything in a tree that is not a node, a list or a plain value is still copied by copy.deepcopy.

Items: moto checks an item's 400 KB limit by adding up the whole item's size again at each attribute it
stores, and sizes a map by copying each member first, so writing a profile took time quadratic in its
attributes. Here the same sum is checked once, over the members as they are.

Answers: moto writes every DynamoDB and SQS answer through a generic serializer that walks the operation's
model for each value (milliseconds for a page of items). The item operations' answers are already DynamoDB
JSON, and SQS's message operations' answers plain strings and maps, so they are written with json.dumps;
everything else (errors, table descriptions with dates, binary values) still goes through moto's
serializer.

Per request: moto lists its response class's methods with inspect.getmembers and converts the action's
and the parameters' names from CamelCase character by character, for every request; both answers depend
only on their input and are kept. botocore builds its User-Agent string twice per request; the embedded
emulation never reads it, so the local runtime's requests carry a fixed one. (Signing stays: moto reads
the Region from the signature's scope.) moto draws every answer's request id (and each received
message's receipt handle) one random character per call; here with one call per string, from the same
seedable generator. Together about half a millisecond of each of a month's hundreds of thousands of AWS
requests.

SQS: moto recomputes every queue attribute, message counts included, for each message sent, and reads
the clock through datetime arithmetic for every message it counts; a queue holding a campaign's few
thousand send jobs made each further send slower. The counts here read the clock once per pass. A
receive read each returned message's retention period from that same whole attribute map; here it reads
the queue's retention period itself.
"""

import base64
import copy
import functools
import json
import string
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

import moto.core.responses
import moto.core.utils
import moto.dynamodb.comparisons
import moto.dynamodb.models
import moto.dynamodb.models.table
import moto.dynamodb.parsing.validators
import moto.dynamodb.responses
import moto.sqs.models
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.useragent import UserAgentString
from botocore.utils import merge_dicts
from moto.core.responses import ActionResult
from moto.dynamodb.comparisons import ConditionExpressionParser, get_filter_expression
from moto.dynamodb.exceptions import (
    ItemSizeTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize, find_nested_key
from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]  # module opts out of typing
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]  # same
from moto.dynamodb.responses import DynamoHandler
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.moto_random import MotoRandom
from moto.sqs.models import Message, Queue, SQSBackend
from moto.sqs.responses import SQSResponse

from nudge_local.emulation.item_sizes import STORED_SIZE, stored_size_lock

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
        # moto annotates the two maps as dicts, and its own transact_write_items passes them as op.get(...).
        backend.update_item(
            table, key, update_expression=operation["UpdateExpression"],
            expression_attribute_names=names, expression_attribute_values=values,  # type: ignore[arg-type]
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


_candidates = threading.local()  # the items this thread's Query may look at, for one table
_maps_built = threading.Lock()
_original_query = Table.query
_original_all_items = Table.all_items
_original_put = Table.put_item
_original_delete = Table.delete_item
_original_update = DynamoDBBackend.update_item


def _indexed_attributes(table: Table) -> set[str]:
    return {
        key["AttributeName"]
        for index in table.global_indexes
        for key in index.schema
        if key["KeyType"] == "HASH"
    }


def _attribute_maps(table: Table) -> dict[str, dict[DynamoType, dict[Any, Item]]]:
    """attribute -> value -> {item key: item}, for every global secondary index hash key (built once)."""
    maps = getattr(table, "_nudge_attribute_maps", None)
    if maps is None:
        # A report's reads run concurrently: one thread builds the maps, and the others see them only
        # once whole.
        with _maps_built:
            maps = getattr(table, "_nudge_attribute_maps", None)
            if maps is None:
                maps = {name: {} for name in _indexed_attributes(table)}
                table._nudge_placed = {}  # type: ignore[attr-defined]
                for item in _original_all_items(table):
                    _place(table, item, maps)
                table._nudge_attribute_maps = maps  # type: ignore[attr-defined]
    return maps


def _indexed(table: Table) -> bool:
    """Whether a write must be filed in the table's maps: they exist, or are being built (then once they
    are whole: the build may have read the table before this write)."""
    if getattr(table, "_nudge_attribute_maps", None) is not None:
        return True
    if _maps_built.locked():
        with _maps_built:
            return getattr(table, "_nudge_attribute_maps", None) is not None
    return False


def _item_key(item: Item) -> Any:
    return (item.hash_key, item.range_key)


def _unplace(table: Table, key: Any) -> None:
    maps = table._nudge_attribute_maps  # type: ignore[attr-defined]
    for name, value in table._nudge_placed.pop(key, ()):  # type: ignore[attr-defined]
        bucket = maps[name].get(value)
        if bucket is not None:
            bucket.pop(key, None)


def _place(
    table: Table, item: Item, maps: dict[str, dict[DynamoType, dict[Any, Item]]] | None = None
) -> None:
    """File the item under its index values (`maps`: the maps being built, where nothing is filed yet)."""
    key = _item_key(item)
    if maps is None:
        maps = table._nudge_attribute_maps  # type: ignore[attr-defined]
        _unplace(table, key)
    placed = []
    for name, by_value in maps.items():
        value = item.attrs.get(name)
        if value is not None:
            by_value.setdefault(value, {})[key] = item
            placed.append((name, value))
    table._nudge_placed[key] = placed  # type: ignore[attr-defined]


def _put_item(self: Table, *args: Any, **kwargs: Any) -> Item:
    item = _original_put(self, *args, **kwargs)
    if _indexed(self):
        _place(self, item)
    return item


def _delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
    item = _original_delete(self, hash_key, range_key)
    if item is not None and _indexed(self):
        _unplace(self, _item_key(item))
    return item


def _update_item(
    self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
) -> Any:
    answer = _original_update(self, table_name, key, *args, **kwargs)
    table = self.get_table(table_name)
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    item = table.get_item(hash_value, range_value)
    if item is not None:
        # Updated in place: the size kept on it is stale, its indexed attributes may have changed.
        with stored_size_lock:
            item.__dict__.pop(STORED_SIZE, None)
        if _indexed(table):
            _place(table, item)
    return answer


def _all_items(self: Table) -> list[Item]:
    if getattr(_candidates, "table", None) is self:
        return _candidates.items
    return _original_all_items(self)


def _query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    # moto's backend passes index_name as the eighth argument (after projection_expressions).
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    items: list[Item] | None = None
    if not index_name and hash_key is not None:
        bucket = self.items.get(hash_key)
        # moto types Table.items as hash -> {range -> Item}; without a range key the value is the Item itself.
        items = [] if bucket is None else list(bucket.values()) if self.range_key_attr else [bucket]  # type: ignore[list-item]
    elif index_name and kwargs.get("hash_key_conditions"):
        name, value = kwargs["hash_key_conditions"][0]
        maps = _attribute_maps(self)
        if name in maps:
            items = list(maps[name].get(value, {}).values())
    _candidates.share = True
    try:
        if items is None:
            return _original_query(self, hash_key, *args, **kwargs)
        _candidates.table, _candidates.items = self, items
        return _original_query(self, hash_key, *args, **kwargs)
    finally:
        _candidates.table = _candidates.items = None
        _candidates.share = False


class _QueryCopies:
    """The `copy` module as moto's table code sees it: a Query's list of answers is not deep-copied (every
    item is only read from there on: filtered, projected into new items, written out as JSON), so a
    segment's read of a few thousand profiles does not copy each profile whole. Everything else — scans,
    backups — is copied as before."""

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if type(value) is list and getattr(_candidates, "share", False):
            return list(value)
        return copy.deepcopy(value, memo)


_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


# One Query projects each of its items with the same list: (that list, the answer for it). One tuple,
# read and replaced whole, so concurrent Queries (a segment's shards) never pair one's list with another's
# answer.
_last_paths: tuple[Any, bool] = (None, False)


def _map_paths_only(paths: list[list[str]]) -> bool:
    """Paths of map keys only (no list index), none of them inside another (DynamoDB refuses overlapping
    paths; moto decides how)."""
    global _last_paths
    last_list, last_answer = _last_paths
    if last_list is paths:
        return last_answer
    given = {tuple(path) for path in paths}
    inner = {tuple(path[:i]) for path in paths for i in range(1, len(path))}
    answer = not inner & given and not any("[" in name for path in paths for name in path)
    _last_paths = (paths, answer)
    return answer


def _at(value: DynamoType | None, names: list[str]) -> DynamoType | None:
    for name in names:
        if value is None or value.type != "M":
            return None
        value = value.value.get(name)
    return value


def _as_stored(value: DynamoType | dict[str, Any]) -> DynamoType:
    if isinstance(value, DynamoType):
        return value
    node = DynamoType.__new__(DynamoType)
    node.type, node.value = "M", {name: _as_stored(child) for name, child in value.items()}
    return node


_original_project = Item.project


def _project(self: Item, projection_expressions: list[list[str]]) -> Item:
    # Only what the projection names is taken (a profile read for a segment asks for a few of a profile's
    # many attributes); a path with a list index ("od[0]") converts the top-level attributes it names.
    tops = {expression[0] for expression in projection_expressions}
    if all(len(e) == 1 for e in projection_expressions) and all(
        name in self.attrs or "[" not in name for name in tops
    ):
        # Top-level names only: the projected item holds the stored values themselves (only read from here
        # on); an absent name is simply not there, as in DynamoDB.
        attrs = LimitedSizeDict.__new__(LimitedSizeDict)
        for name in tops & self.attrs.keys():
            dict.__setitem__(attrs, name, self.attrs[name])
        # moto annotates BaseModel.__new__ as returning a BaseModel, not the class asked for.
        projected: Item = Item.__new__(Item)  # type: ignore[assignment]
        projected.hash_key, projected.range_key, projected.attrs = self.hash_key, self.range_key, attrs
        return projected
    if _map_paths_only(projection_expressions):
        # Paths through maps (a day of page views, one channel's consent): the projected item holds the
        # stored values at the paths' ends, in new maps for the levels above them.
        picked: dict[str, Any] = {}
        for path in projection_expressions:
            value = _at(self.attrs.get(path[0]), path[1:])
            if value is not None:
                level = picked
                for name in path[:-1]:
                    level = level.setdefault(name, {})
                level[path[-1]] = value
        attrs = LimitedSizeDict.__new__(LimitedSizeDict)
        for name, value in picked.items():
            dict.__setitem__(attrs, name, _as_stored(value))
        projected = Item.__new__(Item)  # type: ignore[assignment]
        projected.hash_key, projected.range_key, projected.attrs = self.hash_key, self.range_key, attrs
        return projected
    # A list index in a path: moto's own path finding, on the named top-level attributes only.
    named = {top.partition("[")[0] for top in tops} & self.attrs.keys()
    whole = {name: _deserializer.deserialize(self.attrs[name].to_regular_json()) for name in named}
    result: dict[str, Any] = {}
    for expression in projection_expressions:
        merge_dicts(result, find_nested_key(expression, whole))
    return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=_serializer.serialize(result)["M"])


class _RememberedParse:
    """What moto's ConditionExpressionParser gives, parsed once per (expression, names, values)."""

    _known: ClassVar[dict[str, tuple[Any, list[str], list[str]]]] = {}
    LIMIT = 20_000

    def __init__(self, expr: str | None, names: dict[str, str] | None, values: Any) -> None:
        self._args = (expr, names, values)
        self._key = json.dumps([expr, names, values], sort_keys=True, default=str)
        self.expr_attr_names_found: list[str] = []
        self.expr_attr_values_found: list[str] = []

    def parse(self) -> Any:
        known = self._known.get(self._key)
        if known is None:
            parser = ConditionExpressionParser(*self._args)
            known = (parser.parse(), parser.expr_attr_names_found, parser.expr_attr_values_found)
            if len(self._known) < self.LIMIT:
                self._known[self._key] = known
        self.expr_attr_names_found = list(known[1])
        self.expr_attr_values_found = list(known[2])
        return known[0]


_PLAIN = frozenset({str, int, float, bool, type(None)})
_NODE_TYPES: set[type] = set()  # moto's node classes seen so far (an ABC's isinstance is slow)


def _tree_copy(value: Any, memo: dict[int, Any]) -> Any:
    """copy.deepcopy for moto's expression trees: nodes and lists copied directly (parent links kept
    inside the copy), plain values shared, anything else handed to copy.deepcopy with the same memo."""
    if type(value) in _PLAIN:
        return value
    known = memo.get(id(value))
    if known is not None:
        return known
    if type(value) is list:
        copied: list[Any] = []
        memo[id(value)] = copied
        copied.extend(_tree_copy(v, memo) for v in value)
        return copied
    kind = type(value)
    if kind in _NODE_TYPES or _new_node_type(kind):
        node = object.__new__(kind)
        memo[id(value)] = node
        fields = node.__dict__
        for name, field_value in value.__dict__.items():
            fields[name] = field_value if type(field_value) in _PLAIN else _tree_copy(field_value, memo)
        return node
    return copy.deepcopy(value, memo)


def _new_node_type(kind: type) -> bool:
    """Whether `kind` is one of moto's expression-tree nodes met for the first time (then remembered)."""
    if not issubclass(kind, Node):
        return False
    _NODE_TYPES.add(kind)
    return True


def _deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    return _tree_copy(value, {} if memo is None else memo)


_parsed_updates: dict[str, Node] = {}
_PARSED_UPDATES_LIMIT = 4096


def _parse_update(cls: type[UpdateExpressionParser], expression: str) -> Any:
    tree = _parsed_updates.get(expression)
    if tree is None:
        tree = _original_parse_update(expression)  # an invalid text raises here, and is not kept
        if len(_parsed_updates) < _PARSED_UPDATES_LIMIT:
            _parsed_updates[expression] = tree
    # Shared, not copied: the parse is only read (its clauses listed) until moto's validator copies it
    # before filling it in.
    return tree


_original_parse_update = UpdateExpressionParser.make


# Operations whose successful answers hold only DynamoDB JSON, strings and numbers.
_PLAIN_ANSWERS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactWriteItems", "TransactGetItems",
})  # fmt: skip
# SQS's message operations: their answers are strings, flags and the messages' attribute maps as sent (a
# binary attribute's bytes are written in base64, see _blob).
_PLAIN_SQS_ANSWERS = frozenset({
    "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessageBatch", "ChangeMessageVisibilityBatch",
})  # fmt: skip
_JSON_1_0 = "application/x-amz-json-1.0"
_original_dynamodb_serialized = DynamoHandler.serialized
_original_sqs_serialized = SQSResponse.serialized


def _top_level_set(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if v is not None}


def _all_set(value: Any) -> Any:
    # moto's serializer leaves out a member that is None at any depth (a FIFO queue's SendMessageBatch
    # entries hold a SequenceNumber of None).
    if isinstance(value, dict):
        return {k: _all_set(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_all_set(v) for v in value]
    return value


def _blob(value: Any) -> str:
    # Bytes in these answers are blobs (DynamoDB's B and BS values, SQS's binary attributes), which a JSON
    # protocol writes as base64, as moto's serializer does; anything else goes to that serializer.
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(type(value).__name__)


# A moto handler's `serialized`: (status, headers, body).
_Serialized = Callable[[Any, ActionResult], tuple[int, dict[str, Any], str | bytes]]


def _written_as_json(
    original: _Serialized,
    actions: frozenset[str],
    json_request: Callable[[Any], bool],
    unset_left_out: Callable[[dict[str, Any]], dict[str, Any]],
) -> _Serialized:
    """A handler's `serialized` that writes these actions' dict answers with json.dumps (what moto's
    serializer writes for them, without walking the operation's model per value); anything else, and an
    answer json.dumps cannot write, goes to moto's serializer. `unset_left_out` drops the None members as
    that serializer does: DynamoDB's answers have them at the top only (items hold no None)."""

    def serialized(self: Any, action_result: ActionResult) -> tuple[int, dict[str, Any], str | bytes]:
        result = action_result.result
        if isinstance(result, dict) and self._get_action() in actions and json_request(self):
            try:
                body = json.dumps(unset_left_out(result), separators=(",", ":"), default=_blob)
            except TypeError:
                return original(self, action_result)
            return 200, {"Content-Type": _JSON_1_0, **self.response_headers}, body
        return original(self, action_result)

    return serialized


def _asked_in_json(handler: SQSResponse) -> bool:
    # SQS still answers its older query protocol in XML, when asked in it.
    return "json" in handler.headers.get("Content-Type", "")


_ITEM_SIZE_LIMIT = 405_000  # moto's: DynamoDB's 400 KB, measured by moto to lie between 409 and 410 KB


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    # moto's stored-attribute dict adds up the whole item's size again at every attribute it is given, so
    # building an item took time quadratic in its attributes; the sum is the same checked once at the end.
    self.hash_key = hash_key
    self.range_key = range_key
    stored = LimitedSizeDict()
    size = 0
    for name, value in attrs.items():
        typed = DynamoType(value)
        size += bytesize(name) + typed.size()
        dict.__setitem__(stored, name, typed)
    if size > _ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = stored


_original_size = DynamoType.size


def _typed_size(self: DynamoType) -> int:
    # moto sizes a map by wrapping each of its members in a new DynamoType first, which copies the
    # member's whole subtree; the members are DynamoTypes already.
    if self.is_map():
        return sum(
            bytesize(name) + (member.size() if type(member) is DynamoType else DynamoType(member).size())
            for name, member in self.value.items()
        )
    return _original_size(self)


def _now_ms() -> float:
    # What moto's unix_time_millis() computes, without building two datetimes per call.
    return time.time() * 1000.0


def _visible(message: Message, now: float) -> bool:
    return now > message.visible_at and not now < message.delayed_until


def _visible_messages(self: Queue) -> list[Message]:
    now = _now_ms()
    return [m for m in self._messages if _visible(m, now)]


def has_visible_messages(queue: Queue) -> bool:
    """Whether a receive from this queue could return anything now (the same test as a receive's)."""
    now = _now_ms()
    return any(_visible(m, now) for m in queue._messages)


def _not_visible_count(self: Queue) -> int:
    now = _now_ms()
    return sum(1 for m in self._messages if not now > m.visible_at)


def _delayed_count(self: Queue) -> int:
    now = _now_ms()
    return sum(1 for m in self._messages if now < m.delayed_until)


def _within_retention(self: SQSBackend, queue_name: str, message: Message) -> bool:
    # moto reads the retention period from the queue's whole attribute map, built twice, counting every
    # message of the queue for the approximate counts: for each message a receive returns.
    # (The ignores: moto sets a queue's attributes with setattr, and declares a message's sent_timestamp as
    # None until it is sent.)
    retention = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
    return retention + message.sent_timestamp / 1000 > time.time()  # type: ignore[operator]


def _random_string(
    self: MotoRandom, length: int = 20, include_digits: bool = True, lower_case: bool = False
) -> str:
    # The same characters from the same seedable generator, drawn with one call instead of one per
    # character: every answer's request id is 52 of them.
    pool = string.ascii_letters + (string.digits if include_digits else "")
    drawn = "".join(self.choices(pool, k=length))
    return drawn.lower() if lower_case else drawn


def _receipt_handle() -> str:
    return "".join(mock_random.choices(string.ascii_lowercase, k=185))  # moto's length and characters


_LOCAL_USER_AGENT = "nudge-local"


def _fixed_user_agent(self: UserAgentString) -> str:
    return _LOCAL_USER_AGENT


def _remember_per_request_answers() -> None:
    original = moto.core.utils.camelcase_to_underscores
    remembered = functools.lru_cache(maxsize=4096)(original)
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.") and getattr(module, "camelcase_to_underscores", None) is original:
            module.camelcase_to_underscores = remembered  # type: ignore[attr-defined]
    moto.core.responses.method_names_from_class = functools.cache(moto.core.utils.method_names_from_class)
    UserAgentString.to_string = _fixed_user_agent


def install() -> None:
    """Called by speedups.install() only: once per process, after moto's version was checked."""
    # Replacing moto's methods and properties is what this module is for: mypy's method-assign (and, where
    # the replacement's type differs from moto's annotation, assignment) is silenced for each.
    _remember_per_request_answers()
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    DynamoDBBackend.update_item = _update_item  # type: ignore[method-assign]
    Table.put_item = _put_item  # type: ignore[method-assign]
    Table.delete_item = _delete_item  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]
    Table.query = _query  # type: ignore[method-assign]
    DynamoHandler.serialized = _written_as_json(  # type: ignore[method-assign,assignment]
        _original_dynamodb_serialized, _PLAIN_ANSWERS, lambda handler: True, _top_level_set
    )
    SQSResponse.serialized = _written_as_json(  # type: ignore[method-assign,assignment]
        _original_sqs_serialized, _PLAIN_SQS_ANSWERS, _asked_in_json, _all_set
    )
    moto.dynamodb.parsing.validators.deepcopy = _deepcopy  # type: ignore[assignment]  # moto passes no _nil
    UpdateExpressionParser.make = classmethod(_parse_update)
    Item.project = _project  # type: ignore[method-assign]
    Item.__init__ = _item_init  # type: ignore[method-assign]
    DynamoType.size = _typed_size  # type: ignore[method-assign]
    moto.dynamodb.models.table.copy = _QueryCopies  # type: ignore[assignment]  # a stand-in for the module
    for module in (moto.dynamodb.comparisons, moto.dynamodb.models, moto.dynamodb.responses):
        module.create_condition_expression_parser = _RememberedParse  # type: ignore[attr-defined]
    Queue.messages = property(_visible_messages)  # type: ignore[method-assign,assignment]
    Queue.approximate_number_of_messages_not_visible = property(_not_visible_count)  # type: ignore[method-assign,assignment]
    Queue.approximate_number_of_messages_delayed = property(_delayed_count)  # type: ignore[method-assign,assignment]
    SQSBackend.is_message_valid_based_on_retention_period = _within_retention  # type: ignore[method-assign]
    MotoRandom.get_random_string = _random_string  # type: ignore[method-assign]
    moto.sqs.models.generate_receipt_handle = _receipt_handle
