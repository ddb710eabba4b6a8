"""API Gateway HTTP API, as far as Nudge's functions can tell: routes from the template, payload format
version 2.0 events, and the translation of a handler's response back to HTTP.

Event shape: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
"""

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from nudge_local.runtime.template import Route

# Lambda's synchronous invocation payload limit; API Gateway answers 413 when the event is larger.
MAX_EVENT_BYTES = 6 * 1024 * 1024

_TEXT_TYPES = re.compile(
    r"^(text/|application/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))"
)

NOT_FOUND = (404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
INTERNAL_ERROR = (500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
FORBIDDEN = (403, {"content-type": "application/json"}, b'{"message":"Forbidden"}')
# Locally a bearer token stands in for a SigV4-signed request on AWS_IAM routes, and names the principal
# that signed it: `local-admin-token` the operator (the IAM user local-admin, tagged nudge:stores = *),
# `local-store-token-{store_id}` a marketer of that store only (a session of the IAM role
# local-store-{store_id}, tagged nudge:stores = {store_id}). The runtime makes each principal in the emulated
# IAM on first use; the admin function reads its tag there as it does in AWS (nudge.adapters.principals).
LOCAL_ADMIN_TOKEN = "local-admin-token"
LOCAL_STORE_TOKEN_PREFIX = "local-store-token-"
TOO_LARGE = (413, {"content-type": "application/json"}, b'{"message":"Request Entity Too Large"}')


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]


class RouteTable:
    """HTTP API route selection: the most specific route wins; greedy {proxy+} last; then $default."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        self._compiled = sorted(
            ((self._pattern(r.path), r) for r in routes if r.path != "$default"),
            key=lambda item: self._specificity(item[1]),
        )
        self._default = next((r for r in routes if r.path == "$default"), None)

    @staticmethod
    def _specificity(route: Route) -> tuple[int, int, int]:
        segments = route.path.strip("/").split("/")
        literal = sum(1 for s in segments if not s.startswith("{"))
        greedy = int(any(s.endswith("+}") for s in segments))
        return (greedy, -literal, int(route.method == "ANY"))

    @staticmethod
    def _pattern(path: str) -> re.Pattern[str]:
        out = []
        for segment in path.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("+}"):
                out.append(f"(?P<{segment[1:-2]}>.+)")
            elif segment.startswith("{") and segment.endswith("}"):
                out.append(f"(?P<{segment[1:-1]}>[^/]+)")
            else:
                out.append(re.escape(segment))
        return re.compile("^/" + "/".join(out) + "$")

    def match(self, method: str, path: str) -> Match | None:
        method = method.upper()
        for pattern, route in self._compiled:
            if route.method not in (method, "ANY"):
                continue
            found = pattern.match(path)
            if found:
                return Match(route, {k: unquote(v) for k, v in found.groupdict().items()})
        if self._default is not None:
            return Match(self._default, {})
        return None


@dataclass(frozen=True)
class LocalPrincipal:
    """The IAM principal a local token stands for."""

    kind: str  # "user" (the operator) or "role" (a store's marketer)
    name: str
    stores: str  # its nudge:stores tag


OPERATOR = LocalPrincipal("user", "local-admin", "*")


def local_store_token(store_id: str) -> str:
    """The local token of a marketer who administers this store only."""
    return f"{LOCAL_STORE_TOKEN_PREFIX}{store_id}"


def local_principal(headers: list[tuple[str, str]]) -> LocalPrincipal | None:
    """The principal the request's local token stands for, or None (no token, or not a local one)."""
    given = next((v for k, v in headers if k.lower() == "authorization"), "").strip()
    token = given.removeprefix("Bearer ") if given.startswith("Bearer ") else ""
    if token == LOCAL_ADMIN_TOKEN:
        return OPERATOR
    store_id = token.removeprefix(LOCAL_STORE_TOKEN_PREFIX)
    if token.startswith(LOCAL_STORE_TOKEN_PREFIX) and re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", store_id):
        return LocalPrincipal("role", f"local-store-{store_id}", store_id)
    return None


def iam_caller(principal: LocalPrincipal, account: str) -> dict[str, Any]:
    """The requestContext.authorizer.iam API Gateway adds for a request this principal signed (payload 2.0:
    an IAM user's ARN, or the assumed-role session's for a role)."""
    if principal.kind == "user":
        arn, caller = f"arn:aws:iam::{account}:user/{principal.name}", "AIDALOCALADMIN"
    else:
        arn, caller = f"arn:aws:sts::{account}:assumed-role/{principal.name}/local", "AROALOCALSTORE:local"
    return {
        "accessKey": "ASIALOCALADMIN" if principal.kind == "user" else "ASIALOCALSTORE",
        "accountId": account,
        "callerId": caller,
        "principalOrgId": None,
        "userArn": arn,
        "userId": caller,
    }


def local_iam_caller(headers: list[tuple[str, str]], account: str) -> dict[str, Any] | None:
    """The requestContext.authorizer.iam API Gateway adds for a signed request, or None if unauthorised."""
    principal = local_principal(headers)
    return None if principal is None else iam_caller(principal, account)


def is_text(content_type: str | None, content_encoding: str | None) -> bool:
    if content_encoding and content_encoding.lower() != "identity":
        return False
    return bool(content_type and _TEXT_TYPES.match(content_type.lower().strip()))


def build_event(
    match: Match,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    now: datetime,
    *,
    source_ip: str = "127.0.0.1",
    domain: str = "localhost",
    account: str = "123456789012",
    api_id: str = "local",
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway would send for this request. An HTTP API hands the path
    over decoded, `rawPath` as the path parameters: "/customers/%EA%B9%80" arrives as "/customers/김"."""
    raw_path = unquote(raw_path)
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            # HTTP APIs move cookies out of the headers into their own list.
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    merged.setdefault("host", domain)
    merged.setdefault("x-forwarded-for", source_ip)
    merged.setdefault("x-forwarded-proto", "http")
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    request_id = base64.b32encode(uuid.uuid4().bytes).decode()[:16]
    when = now.astimezone(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": merged,
        "requestContext": {
            "accountId": account,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method.upper(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": match.route.route_key,
            "stage": "$default",
            "time": when.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(when.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    if body:
        if is_text(merged.get("content-type"), merged.get("content-encoding")):
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
        else:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event


def translate_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """A handler's return value as HTTP, by the payload 2.0 rules (a bare value becomes a JSON 200)."""
    if not (isinstance(result, dict) and "statusCode" in result):
        text = result if isinstance(result, str) else json.dumps(result)
        return 200, [("content-type", "application/json")], text.encode()
    status = int(result["statusCode"])
    headers: list[tuple[str, str]] = [(k.lower(), str(v)) for k, v in (result.get("headers") or {}).items()]
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((key.lower(), str(v)) for v in values)
    headers.extend(("set-cookie", str(c)) for c in result.get("cookies") or [])
    raw = result.get("body")
    if raw is None:
        body = b""
    elif result.get("isBase64Encoded"):
        body = base64.b64decode(raw)
    else:
        body = (raw if isinstance(raw, str) else json.dumps(raw)).encode()
    if not any(k == "content-type" for k, _ in headers) and body:
        headers.append(("content-type", "application/json"))
    return status, headers, body
