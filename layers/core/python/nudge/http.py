"""What the storefront-facing HTTP handlers share: the API Gateway HTTP API event (payload 2.0) read as a
request, the size and content-type gates, the one way a body's JSON is read (`read_json`), and JSON answers.
The admin API uses the content-type gate and `read_json`'s limits too, and `json_type_problems` to hold a
body to the JSON types its OpenAPI document gives.

These handlers read the event dict directly rather than through Powertools' Event Handler: they serve one
route each at high volume, and the resolver's import (~100 ms) would be most of their cold start.
"""

import base64
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nudge.errors import (
    FieldError,
    InvalidPayload,
    NudgeError,
    PayloadTooLarge,
    UnsupportedMediaType,
    field_path,
)

MAX_BODY_BYTES = 256 * 1024
JSON = "application/json"
# Arrays and objects inside one another: DynamoDB's own limit for a document. No platform's payload comes
# near it (a Shopify order is about 6 deep); Python's parser would recurse until it fails past ~1,000.
MAX_JSON_DEPTH = 32
# An integer's digits: a 64-bit id has 20. Python converts at most 4,300, and then only with an error that
# names no field.
MAX_INTEGER_DIGITS = 64


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path_parameters: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    # The query string's parameters; a repeated name's values joined by commas, as API Gateway does.
    query: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> "HttpRequest":
        return cls(
            method=str(event.get("requestContext", {}).get("http", {}).get("method", "")).upper(),
            path_parameters=event.get("pathParameters") or {},
            headers={k.lower(): v for k, v in (event.get("headers") or {}).items()},
            body=raw_body(event),
            query=event.get("queryStringParameters") or {},
        )


def json_response(status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A payload 2.0 response; `body` is JSON-encoded (None: no body)."""
    out: dict[str, Any] = {"statusCode": status, "headers": {**(headers or {})}}
    if body is not None:
        out["headers"]["Content-Type"] = JSON
        out["body"] = json.dumps(body, ensure_ascii=False)
    return out


def raw_body(event: Mapping[str, Any]) -> bytes:
    """The body exactly as sent: signatures are computed over these bytes, never over re-encoded JSON."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


class _Unrepresentable:
    """What the parser's hooks leave where a number JSON cannot carry was, so `_repaired` names its field."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem


def _integer(text: str) -> int | _Unrepresentable:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        return _Unrepresentable(f"an integer of {digits} digits; at most {MAX_INTEGER_DIGITS}")
    return int(text)


def _float(text: str) -> float | _Unrepresentable:
    value = float(text)
    return _Unrepresentable("a number out of range (beyond ±1.8e308)") if math.isinf(value) else value


def _constant(name: str) -> _Unrepresentable:
    return _Unrepresentable(f"{name} is not a JSON number")


# A string (with its escapes; to the end of the text when it is never closed, so no attempt fails and the scan
# is linear whatever the body) or a bracket: what the depth scan steps through.
_TOKENS = re.compile(r'"[^"\\]*(?:\\[\s\S]?[^"\\]*)*(?:"|\Z)|[\[\]{}]')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"  # U+FFFD REPLACEMENT CHARACTER


def read_json(body: bytes, *, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON a public endpoint was sent, or the NudgeError saying why not: never another exception.

    413 over `max_bytes`. 400 naming `body`: not UTF-8 (RFC 8259 JSON is UTF-8; a leading byte order mark is
    ignored), not JSON, or arrays and objects nested deeper than `max_depth` (found before parsing, by line
    and column). 400 naming the field: NaN or ±Infinity (not JSON numbers), a number beyond a double's range,
    an integer of more than MAX_INTEGER_DIGITS digits.

    An unpaired surrogate escape (`"\\ud800"`: JSON syntax, but no Unicode character) is replaced by U+FFFD,
    as a UTF-8 decoder replaces a broken sequence: such text comes from the platform already broken (a name
    cut inside an emoji's UTF-16 pair), refusing it would refuse the order or the sign-up on every retry, and
    nothing downstream (the delivery's hash, DynamoDB) can carry it as it is.
    """
    if len(body) > max_bytes:
        raise PayloadTooLarge(f"body is {len(body)} bytes; the limit is {max_bytes} bytes")
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InvalidPayload(
            "body is not valid JSON", [FieldError("body", f"not UTF-8 (byte {exc.start})")]
        ) from exc
    too_deep = _nested_beyond(text, max_depth)
    if too_deep is not None:
        where = _line_and_column(text, too_deep)
        raise InvalidPayload(
            "body is nested too deeply",
            [FieldError("body", f"arrays and objects nest more than {max_depth} deep ({where})")],
        )
    unrepresentable: list[_Unrepresentable] = []

    def noted(value: Any) -> Any:
        if isinstance(value, _Unrepresentable):
            unrepresentable.append(value)
        return value

    try:
        value = json.loads(
            text,
            parse_int=lambda t: noted(_integer(t)),
            parse_float=lambda t: noted(_float(t)),
            parse_constant=lambda t: noted(_constant(t)),
        )
    except json.JSONDecodeError as exc:
        where = f"at line {exc.lineno} column {exc.colno}"
        raise InvalidPayload("body is not valid JSON", [FieldError("body", f"{exc.msg} {where}")]) from exc
    if not unrepresentable and not _SURROGATE_ESCAPE.search(text):
        return value  # the common case: nothing to walk
    problems: list[FieldError] = []
    value = _repaired(value, (), problems)
    if problems:
        raise InvalidPayload("body has a number JSON cannot carry", problems)
    return value


def _nested_beyond(text: str, limit: int) -> int | None:
    """Where arrays and objects first nest more than `limit` deep (a character offset), or None."""
    if text.count("[") + text.count("{") <= limit:
        return None  # cannot, and no scan: most bodies
    depth = 0
    for token in _TOKENS.finditer(text):
        char = token.group()
        if char in ("[", "{"):
            depth += 1
            if depth > limit:
                return token.start()
        elif char in ("]", "}"):
            depth -= 1
    return None


def _line_and_column(text: str, offset: int) -> str:
    return f"at line {text.count(chr(10), 0, offset) + 1} column {offset - text.rfind(chr(10), 0, offset)}"


def _repaired(value: Any, at: tuple[int | str, ...], problems: list[FieldError]) -> Any:
    """`value` with its unpaired surrogates replaced; each number JSON cannot carry is named in `problems`.
    Recursive: `read_json` has already held the depth to MAX_JSON_DEPTH."""
    if isinstance(value, str):
        return _SURROGATE.sub(REPLACEMENT, value)
    if isinstance(value, _Unrepresentable):
        problems.append(FieldError(field_path(at), value.problem))
        return None
    if isinstance(value, list):
        return [_repaired(item, (*at, index), problems) for index, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            clean = _SURROGATE.sub(REPLACEMENT, key)
            out[clean] = _repaired(item, (*at, clean), problems)
        return out
    return value


def check_body(headers: Mapping[str, str], body: bytes, accepted: tuple[str, ...] = (JSON,)) -> None:
    """413 for an oversized body, 415 for a content type the endpoint does not read."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body is {len(body)} bytes; the limit is {MAX_BODY_BYTES} bytes (256 KB)")
    check_content_type(headers, accepted)


def check_content_type(headers: Mapping[str, str], accepted: tuple[str, ...] = (JSON,)) -> None:
    """415 for a body whose Content-Type (lower-case header names) the endpoint does not read."""
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type not in accepted:
        raise UnsupportedMediaType(
            f"Content-Type {content_type or '(none)'!r} is not accepted; send {' or '.join(accepted)}"
        )


def error_response(error: NudgeError, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return json_response(error.status, error.as_dict(), headers)


# JSON Schema's types, as json.loads gives them (bool is an int in Python, and not a JSON number).
_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (
        not isinstance(v, bool) and (isinstance(v, int) or (isinstance(v, float) and v.is_integer()))
    ),
    "number": lambda v: not isinstance(v, bool) and isinstance(v, int | float),
    "null": lambda v: v is None,
}


def json_type_problems(
    value: Any, schema: Mapping[str, Any], defs: Mapping[str, Any], at: tuple[int | str, ...] = ()
) -> list[FieldError]:
    """Where parsed JSON has a type its JSON Schema (pydantic's, with `$defs`) does not allow, by field.

    Only JSON types: lengths, patterns and formats stay the model's to check. These are what pydantic's lax
    mode would coerce instead of refusing (0 for false, "5" for 5, a Unix time for a date-time string).
    """
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        return _branch_problems(value, schema, branches, defs, at)
    for part in schema.get("allOf", ()):
        if part_problems := json_type_problems(value, part, defs, at):
            return part_problems
    expected = schema.get("type")
    if expected is not None:
        names = [expected] if isinstance(expected, str) else list(expected)
        if not any(_JSON_TYPES[name](value) for name in names if name in _JSON_TYPES):
            return [FieldError(field_path(at), f"should be {' or '.join(names)}, not {_json_type(value)}")]
    problems: list[FieldError] = []
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        others = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, others if isinstance(others, dict) else None)
            if sub is not None:
                problems += json_type_problems(item, sub, defs, (*at, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            problems += json_type_problems(item, schema["items"], defs, (*at, index))
    return problems


def _branch_problems(
    value: Any,
    schema: Mapping[str, Any],
    branches: list[Mapping[str, Any]],
    defs: Mapping[str, Any],
    at: tuple[int | str, ...],
) -> list[FieldError]:
    """A union: the branch its discriminator names, else the first that fits (or the first's problems)."""
    discriminator = schema.get("discriminator") or {}
    tag = value.get(discriminator.get("propertyName")) if isinstance(value, dict) else None
    if isinstance(tag, str) and tag in (discriminator.get("mapping") or {}):
        return json_type_problems(value, {"$ref": discriminator["mapping"][tag]}, defs, at)
    found = [json_type_problems(value, branch, defs, at) for branch in branches]
    return [] if any(not problems for problems in found) else found[0]


def _json_type(value: Any) -> str:
    return next(name for name in ("boolean", "integer", "number", "string", "array", "object", "null")
                if _JSON_TYPES[name](value))  # fmt: skip
