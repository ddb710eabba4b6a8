"""DynamoDB item sizes and the capacity units they cost, by AWS's published sizing rules.

moto does not report consumed capacity for every call, so the benchmarks and the cost model compute it
from the items themselves: strings by UTF-8 length, numbers by significant digits, one byte for booleans
and nulls, three bytes plus one per element for maps and lists, attribute names by their length.
Source: DynamoDB developer guide, "Item sizes and formats" and "Read/write capacity mode".
"""

import math
from decimal import Decimal
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096


def _number_size(value: Decimal | int | float) -> int:
    digits = Decimal(str(value)).normalize().as_tuple().digits
    return math.ceil(len(digits) / 2) + 1


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
        return _number_size(Decimal(inner))
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
        return sum(_number_size(Decimal(v)) for v in inner)
    raise TypeError(f"not a DynamoDB JSON value: {kind}")


def typed_item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + typed_value_size(value) for name, value in item.items())
