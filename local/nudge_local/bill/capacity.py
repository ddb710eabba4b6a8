"""DynamoDB item sizes and the capacity units they cost, by AWS's published sizing rules.

moto does not report consumed capacity for every call, so the benchmarks and the cost model compute it
from the items themselves: strings by UTF-8 length, numbers by significant digits, one byte for booleans
and nulls, three bytes plus one per element for maps and lists, attribute names by their length.
Source: DynamoDB developer guide, "Item sizes and formats" and "Read/write capacity mode".
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096


def _number_size(value: Decimal | int | float) -> int:
    digits = Decimal(str(value)).normalize().as_tuple().digits
    return math.ceil(len(digits) / 2) + 1


def _number_text_size(text: str) -> int:
    """_number_size of a number as DynamoDB JSON writes it ("1773792000", "-0.050"), without a Decimal:
    its significant digits are the digits less leading and trailing zeros."""
    if "e" in text or "E" in text:
        return _number_size(Decimal(text))
    significant = text.lstrip("+-").replace(".", "").strip("0")
    return math.ceil((len(significant) or 1) / 2) + 1


def value_size(value: Any) -> int:
    """Size of one attribute value in boto3's Python form (Decimal, str, bytes, bool, None, dict, list)."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, int | float | Decimal):
        return _number_size(value)
    if isinstance(value, dict):
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(value_size(v) + 1 for v in value)
    if isinstance(value, set | frozenset):
        return sum(value_size(v) for v in value)
    raise TypeError(f"not a DynamoDB value: {type(value).__name__}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size_bytes: int, transactional: bool = False) -> int:
    units = max(1, math.ceil(size_bytes / WRITE_UNIT_BYTES))
    return units * 2 if transactional else units


def read_units(size_bytes: int, consistent: bool = True, transactional: bool = False) -> float:
    units = max(1, math.ceil(size_bytes / READ_UNIT_BYTES))
    if transactional:
        return units * 2
    return float(units) if consistent else units / 2


def typed_value_size(value: dict[str, Any]) -> int:
    """Size of one attribute value in DynamoDB JSON ({"S": ...}, {"N": ...}, {"M": {...}}, ...)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_text_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + typed_value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(typed_value_size(v) + 1 for v in inner)
    if kind == "SS":
        return sum(len(v.encode()) for v in inner)
    if kind == "NS":
        return sum(_number_text_size(v) for v in inner)
    raise TypeError(f"not a DynamoDB JSON value: {kind}")


def typed_item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + typed_value_size(value) for name, value in item.items())


def _size(item: dict[str, Any] | None) -> int:
    return typed_item_size(item) if item else 0


def _query_read_units(items: list[dict[str, Any]], consistent: bool) -> float:
    # A Query or Scan is billed on the total size of the items it reads, rounded up once per request.
    return read_units(sum(_size(item) for item in items), consistent=consistent)


def request_units(operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[float, float]:
    """(read units, write units) one low-level DynamoDB request consumed, from its parameters and answer.

    Approximations, all on the side of AWS's bill being no higher: an UpdateItem is sized by the item it
    returns (one unit when it returns nothing; Nudge's items are under 1 KB); a Query or Scan by the
    items it returns (a filter would hide bytes AWS bills; a projection's are put back by the counters,
    which know the stored items); a failed conditional write still costs its units, as in AWS.
    """
    consistent = bool(params.get("ConsistentRead"))
    if operation == "GetItem":
        return read_units(_size(parsed.get("Item")), consistent=consistent), 0.0
    if operation in ("Query", "Scan"):
        return _query_read_units(parsed.get("Items") or [], consistent), 0.0
    if operation == "BatchGetItem":
        reads = 0.0
        for table, items in (parsed.get("Responses") or {}).items():
            table_consistent = bool(
                ((params.get("RequestItems") or {}).get(table) or {}).get("ConsistentRead")
            )
            reads += sum(read_units(_size(item), consistent=table_consistent) for item in items)
        return reads, 0.0
    if operation == "TransactGetItems":
        return sum(
            read_units(_size(r.get("Item")), transactional=True) for r in parsed.get("Responses") or []
        ), 0.0
    if operation == "PutItem":
        return 0.0, float(write_units(_size(params.get("Item"))))
    if operation == "UpdateItem":
        return 0.0, float(write_units(_size(parsed.get("Attributes"))))
    if operation == "DeleteItem":
        return 0.0, 1.0
    if operation == "BatchWriteItem":
        writes = 0
        for requests in (params.get("RequestItems") or {}).values():
            for request in requests:
                put = request.get("PutRequest")
                writes += write_units(_size(put["Item"])) if put else 1
        return 0.0, float(writes)
    if operation == "TransactWriteItems":
        reads, writes = 0.0, 0
        for entry in params.get("TransactItems") or []:
            if "Put" in entry:
                writes += write_units(_size(entry["Put"].get("Item")), transactional=True)
            elif "ConditionCheck" in entry:
                reads += read_units(0, transactional=True)
            else:
                writes += write_units(0, transactional=True)
        return reads, float(writes)
    return 0.0, 0.0


@dataclass(frozen=True)
class IndexShape:
    """What a global secondary index holds: its key attributes and which others it projects."""

    keys: tuple[str, ...]
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    included: tuple[str, ...] = ()


def _entry(
    shape: IndexShape, table_keys: tuple[str, ...], item: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The index's copy of an item (None when the item lacks an index key and so is not in the index)."""
    if not item or any(key not in item for key in shape.keys):
        return None
    if shape.projection == "ALL":
        return item
    names = {*shape.keys, *table_keys, *shape.included}
    return {name: value for name, value in item.items() if name in names}


def index_write_units(
    shapes: list[IndexShape],
    table_keys: tuple[str, ...],
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
) -> int:
    """Write units the table's global secondary indexes consume for one item changing from `old` to `new`
    (DynamoDB JSON; None = absent), by the developer guide's rules ("Global secondary indexes: writes"): an
    entry that appears or disappears costs one write, one whose index key changes two (delete + put), one
    whose projected attributes change one, and one that stays the same nothing. Each write is sized by the
    index entry."""
    units = 0
    for shape in shapes:
        before, after = _entry(shape, table_keys, old), _entry(shape, table_keys, new)
        if before is None and after is None:
            continue
        if before is None or after is None:
            units += write_units(_size(before or after))
        elif any(before.get(key) != after.get(key) for key in shape.keys):
            units += write_units(_size(before)) + write_units(_size(after))
        elif before != after:
            units += write_units(_size(after))
    return units
