"""`nudge.http.read_json`: the one way every public endpoint (and the admin API's gate) reads a JSON body.
It answers the value or a NudgeError naming the field, never another exception."""

import contextlib
import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nudge.errors import InvalidPayload, NudgeError, PayloadTooLarge
from nudge.http import MAX_JSON_DEPTH, read_json


def _refusal(body: bytes) -> list[dict[str, str]]:
    with pytest.raises(InvalidPayload) as refused:
        read_json(body)
    return [f.as_dict() for f in refused.value.fields]


def test_json_nested_to_the_limit_is_read_and_one_level_more_is_a_400_saying_where() -> None:
    assert read_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is not None
    assert _refusal(b'{"a":\n  ' + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}") == [
        {"field": "body", "message": "arrays and objects nest more than 32 deep (at line 2 column 34)"}
    ]
    # Brackets inside strings are text, not nesting.
    assert read_json(b'["' + b"[{" * 100 + b'"]') == ["[{" * 100]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (b'{"a": [1, NaN]}', "a[1]", "NaN is not a JSON number"),
        (b'{"a": {"b": Infinity}}', "a.b", "Infinity is not a JSON number"),
        (b"-Infinity", "body", "-Infinity is not a JSON number"),
        (b'{"n": 1e309}', "n", "a number out of range (beyond ±1.8e308)"),
        (b'{"n": -' + b"9" * 65 + b"}", "n", "an integer of 65 digits; at most 64"),
    ],
)
def test_a_number_json_cannot_carry_is_a_400_naming_its_field(body: bytes, field: str, message: str) -> None:
    assert _refusal(body) == [{"field": field, "message": message}]


def test_numbers_json_can_carry_are_read() -> None:
    assert read_json(b'{"n": ' + b"9" * 64 + b', "f": 1e308, "z": 1e-400}') == {
        "n": int("9" * 64),
        "f": 1e308,
        "z": 0.0,
    }


def test_an_unpaired_surrogate_is_replaced_in_values_and_keys_and_a_pair_is_kept() -> None:
    body = rb'{"name": "\uae40\ubbfc\ud83d", "\udc00": ["\ud83d\ude00", "a\udfffb"]}'
    assert read_json(body) == {"name": "김민\ufffd", "\ufffd": ["\U0001f600", "a\ufffdb"]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff{}", "not UTF-8 (byte 0)"),
        (b'{"a": "\xed\xa0\x80"}', "not UTF-8 (byte 7)"),  # a surrogate encoded in UTF-8 is no UTF-8
        (b'{"a": ', "Expecting value at line 1 column 7"),
        (b"", "Expecting value at line 1 column 1"),
        (b'{"a": 1} x', "Extra data at line 1 column 10"),
    ],
)
def test_what_is_not_json_is_a_400_naming_the_body(body: bytes, message: str) -> None:
    assert _refusal(body) == [{"field": "body", "message": message}]


def test_a_byte_order_mark_is_ignored_and_the_size_is_held() -> None:
    assert read_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    with pytest.raises(PayloadTooLarge):
        read_json(b"[" + b"0," * 200_000 + b"0]")


@pytest.mark.parametrize(
    "body",
    [
        b'["' + b'\\"' * 120_000 + b"[" * 40,  # a string never closed, full of escaped quotes
        b"[]" * 130_000,  # as many brackets as fit
        b"[" * 40 + b'"' + b"\\" * 200_001,
    ],
)
def test_the_depth_scan_is_linear_on_any_body(body: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(NudgeError):
        read_json(body, max_bytes=len(body))
    assert time.perf_counter() - started < 1.0


def _surrogates_replaced(value: Any) -> Any:
    if isinstance(value, str):
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if isinstance(value, list):
        return [_surrogates_replaced(v) for v in value]
    if isinstance(value, dict):
        return {_surrogates_replaced(k): _surrogates_replaced(v) for k, v in value.items()}
    return value


ANY_TEXT = st.text(st.characters(codec=None), max_size=10)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES)
def test_any_json_is_read_as_written_or_refused_with_a_400(value: Any) -> None:
    body = json.dumps(value).encode()  # NaN and Infinity included, and surrogates as escapes
    try:
        read = read_json(body)
    except InvalidPayload as refused:
        assert refused.fields and all(f.field and f.message for f in refused.fields)
        return
    expected = _surrogates_replaced(json.loads(body))
    assert read == expected or json.dumps(read, sort_keys=True) == json.dumps(expected, sort_keys=True)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200))
def test_any_bytes_are_read_or_refused_never_an_error_of_another_kind(body: bytes) -> None:
    with contextlib.suppress(NudgeError):
        read_json(body)
