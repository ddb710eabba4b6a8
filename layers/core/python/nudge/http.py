"""What the storefront-facing HTTP handlers share: the API Gateway HTTP API event (payload 2.0) read as a
request, the size and content-type gates, and JSON answers.

These handlers read the event dict directly rather than through Powertools' Event Handler: they serve one
route each at high volume, and the resolver's import (~100 ms) would be most of their cold start.
"""

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nudge.errors import NudgeError, PayloadTooLarge, UnsupportedMediaType

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
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type not in accepted:
        raise UnsupportedMediaType(
            f"Content-Type {content_type or '(none)'!r} is not accepted; send {' or '.join(accepted)}"
        )


def error_response(error: NudgeError, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return json_response(error.status, error.as_dict(), headers)
