"""What the storefront-facing HTTP handlers share: the API Gateway HTTP API event (payload 2.0) read as a
request, the size and content-type gates, and JSON answers. The admin API uses the content-type gate too,
and `json_type_problems` to hold a body to the JSON types its OpenAPI document gives.

These handlers read the event dict directly rather than through Powertools' Event Handler: they serve one
route each at high volume, and the resolver's import (~100 ms) would be most of their cold start.
"""

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nudge.errors import FieldError, NudgeError, PayloadTooLarge, UnsupportedMediaType, field_path

MAX_BODY_BYTES = 256 * 1024
JSON = "application/json"


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
