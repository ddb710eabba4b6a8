"""A local Cafe24: the app launch (App URL with its HMAC), OAuth 2.0 (authorize, token, refresh) and the
Admin API's orders, as strict as Cafe24 documents them (docs/cafe24.md; store-platforms.md §1).

What it holds Nudge to, and where Cafe24 says so:
- The App URL request carries `mall_id, shop_no, user_id, user_type, timestamp, hmac…`; `hmac` is
  Base64(HMAC-SHA256(client secret, the other parameters sorted and URL-encoded)) (◐ public Cafe24 apps; the
  official text was not found).
- `GET /api/v2/oauth/authorize`: `response_type=code`, `client_id`, `redirect_uri` (one the app registered),
  `scope`, `state` ("CSRF 방지 토큰 (필수)"); the code it gives is valid for one minute (OAuth 2.0 guide,
  developers.cafe24.com/docs-new/docs/guide/oauth2-authentication: "Authorization Code (1분 유효)"), and once.
- `POST /api/v2/oauth/token`: `Authorization: Basic base64(client_id:client_secret)`, form-encoded
  `grant_type=authorization_code&code&redirect_uri` or `grant_type=refresh_token&refresh_token` (same guide);
  access tokens live 2 hours, refresh tokens 2 weeks, and each refresh issues a new refresh token while the
  old one stops working (developer.cafe24.com/guide/front/develop?guide_no=95; store-platforms.md §1.4).
  `expires_at` is the mall's local time without an offset ("2018-01-08T19:15:21.981").
- The Admin API: `Authorization: Bearer`, answers `{"error": {"code", "message"}}` on a failure (API docs,
  developers.cafe24.com/docs/api/ "에러 응답 예제"); a leaky bucket of 40 calls per mall drained at 2/s,
  `X-Api-Call-Limit: used/40` on each answer and 429 past it (docs/ko/api/admin/#api-limit).

Refusals of the OAuth endpoints use OAuth 2.0's codes (RFC 6749 §5.2: invalid_client, invalid_grant,
invalid_request, unsupported_grant_type) ◐: Cafe24's exact error bodies were not confirmed.
"""

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

CODE_LIFETIME = timedelta(minutes=1)
ACCESS_LIFETIME = timedelta(hours=2)
REFRESH_LIFETIME = timedelta(days=14)
BUCKET_SIZE = 40
DRAIN_PER_SECOND = 2.0
_KST = timedelta(hours=9)
HOST_SUFFIX = ".cafe24api.com"


@dataclass(frozen=True)
class Cafe24App:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class _Grant:
    mall_id: str
    client_id: str
    scopes: tuple[str, ...]
    expires: datetime
    redirect_uri: str = ""


@dataclass
class _Mall:
    mall_id: str
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    bucket: float = 0.0  # calls in the bucket at `drained_at`
    drained_at: datetime | None = None


Answer = tuple[int, dict[str, str], bytes]


def _json(status: int, body: object, headers: Mapping[str, str] | None = None) -> Answer:
    return status, {"content-type": "application/json", **(headers or {})}, json.dumps(body).encode()


def _oauth_error(status: int, error: str, description: str) -> Answer:
    return _json(status, {"error": error, "error_description": description})


def _api_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Answer:
    return _json(status, {"error": {"code": status, "message": message}}, headers)


def local_time(instant: datetime) -> str:
    """Cafe24's way of writing a time in a token answer: Korean local time, no offset, milliseconds."""
    return (instant.astimezone(UTC) + _KST).replace(tzinfo=None).isoformat(timespec="milliseconds")


def launch_hmac(secret: str, params: Mapping[str, str]) -> str:
    message = urlencode(sorted((k, v) for k, v in params.items() if k != "hmac"))
    return base64.b64encode(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()).decode()


class Cafe24Emulator:
    def __init__(self, now: Callable[[], datetime], apps: list[Cafe24App], malls: list[str]) -> None:
        self.now = now
        self.apps = {app.client_id: app for app in apps}
        self.malls = {mall_id: _Mall(mall_id) for mall_id in malls}
        self._lock = threading.RLock()
        self._codes: dict[str, _Grant] = {}
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self.calls: list[tuple[str, str]] = []  # (method, url path) of every request, for the tests

    # ------------------------------------------------------------ the merchant's side

    def launch_query(self, client_id: str, mall_id: str, **extra: str) -> dict[str, str]:
        """The query Cafe24 puts on the App URL when the merchant installs or opens the app."""
        params = {
            "is_multi_shop": "F",
            "lang": "ko_KR",
            "mall_id": mall_id,
            "nation": "KR",
            "shop_no": "1",
            "timestamp": str(int(self.now().timestamp())),
            "user_id": mall_id,
            "user_name": "대표운영자",
            "user_type": "P",
            **extra,
        }
        params["hmac"] = launch_hmac(self.apps[client_id].client_secret, params)
        return params

    def add_order(self, mall_id: str, order: dict[str, Any]) -> None:
        with self._lock:
            self.malls[mall_id].orders[str(order["order_id"])] = order

    def expire_refresh_tokens(self, mall_id: str) -> None:
        """What two weeks without a refresh does (or the merchant removing the app)."""
        with self._lock:
            for token, grant in list(self._refresh.items()):
                if grant.mall_id == mall_id:
                    grant.expires = self.now() - timedelta(seconds=1)
                    self._refresh[token] = grant

    # ------------------------------------------------------------ the wire

    def handle(
        self, method: str, host: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Answer:
        headers = {k.lower(): v for k, v in headers.items()}
        if not host.endswith(HOST_SUFFIX):
            return _api_error(404, f"unknown host {host}")
        mall_id = host.removesuffix(HOST_SUFFIX)
        with self._lock:
            self.calls.append((method, path))
            mall = self.malls.get(mall_id)
            if mall is None:
                return _api_error(404, f"no mall '{mall_id}'")
            params = dict(parse_qsl(query))
            if path == "/api/v2/oauth/authorize" and method == "GET":
                return self._authorize(mall, params)
            if path == "/api/v2/oauth/token" and method == "POST":
                return self._token(mall, headers, body)
            if path.startswith("/api/v2/admin/"):
                return self._admin(mall, method, path.removeprefix("/api/v2/admin/"), params, headers)
            return _api_error(404, f"no such resource: {path}")

    def _authorize(self, mall: _Mall, params: dict[str, str]) -> Answer:
        """The merchant, logged in to their admin, consents at once (a browser shows the consent page)."""
        app = self.apps.get(params.get("client_id", ""))
        if app is None:
            return _oauth_error(400, "invalid_client", "unknown client_id")
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in app.redirect_uris:
            return _oauth_error(400, "invalid_request", "redirect_uri is not one the app registered")
        if params.get("response_type") != "code":
            return _oauth_error(400, "unsupported_response_type", "response_type must be code")
        if not params.get("state"):
            return _oauth_error(400, "invalid_request", "state is required")
        scopes = tuple(s for s in params.get("scope", "").replace(" ", ",").split(",") if s)
        if not scopes:
            return _oauth_error(400, "invalid_scope", "scope is required")
        code = secrets.token_urlsafe(16)
        self._codes[code] = _Grant(
            mall.mall_id, app.client_id, scopes, self.now() + CODE_LIFETIME, redirect_uri
        )
        location = f"{redirect_uri}?{urlencode({'code': code, 'state': params['state']})}"
        return 302, {"location": location}, b""

    def _client(self, headers: Mapping[str, str]) -> Cafe24App | None:
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            client_id, _, client_secret = base64.b64decode(credentials).decode().partition(":")
        except ValueError:
            return None
        app = self.apps.get(client_id)
        if app is None or not hmac.compare_digest(app.client_secret, client_secret):
            return None
        return app

    def _token(self, mall: _Mall, headers: Mapping[str, str], body: bytes) -> Answer:
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _oauth_error(
                400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
            )
        app = self._client(headers)
        if app is None:
            return _oauth_error(401, "invalid_client", "Authorization: Basic base64(client_id:client_secret)")
        form = dict(parse_qsl(body.decode()))
        now = self.now()
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self._codes.pop(form.get("code", ""), None)  # once: a second use finds nothing
            if grant is None or grant.expires <= now:
                return _oauth_error(
                    400, "invalid_grant", "the code is unknown, used or older than one minute"
                )
            if grant.mall_id != mall.mall_id or grant.client_id != app.client_id:
                return _oauth_error(400, "invalid_grant", "the code was issued for another mall or app")
            if form.get("redirect_uri") != grant.redirect_uri:
                return _oauth_error(400, "invalid_grant", "redirect_uri differs from the authorize request's")
        elif grant_type == "refresh_token":
            grant = self._refresh.pop(
                form.get("refresh_token", ""), None
            )  # rotated: the old one stops working
            if grant is None or grant.expires <= now:
                return _oauth_error(400, "invalid_grant", "the refresh token is unknown, used or expired")
            if grant.mall_id != mall.mall_id or grant.client_id != app.client_id:
                return _oauth_error(
                    400, "invalid_grant", "the refresh token was issued for another mall or app"
                )
        else:
            return _oauth_error(
                400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
            )
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self._access[access] = _Grant(mall.mall_id, app.client_id, grant.scopes, now + ACCESS_LIFETIME)
        self._refresh[refresh] = _Grant(mall.mall_id, app.client_id, grant.scopes, now + REFRESH_LIFETIME)
        return _json(
            200,
            {
                "access_token": access,
                "expires_at": local_time(now + ACCESS_LIFETIME),
                "refresh_token": refresh,
                "refresh_token_expires_at": local_time(now + REFRESH_LIFETIME),
                "client_id": app.client_id,
                "mall_id": mall.mall_id,
                "user_id": mall.mall_id,
                "scopes": list(grant.scopes),
                "issued_at": local_time(now),
                "shop_no": "1",
            },
        )

    def _admin(
        self, mall: _Mall, method: str, resource: str, params: dict[str, str], headers: Mapping[str, str]
    ) -> Answer:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        grant = self._access.get(token) if scheme.lower() == "bearer" else None
        if grant is None or grant.mall_id != mall.mall_id:
            return _api_error(401, "invalid_token")
        if grant.expires <= self.now():
            return _api_error(401, "access_token time expired")
        # The leaky bucket: drained at 2 a second since the last call; past 40, 429.
        now = self.now()
        if mall.drained_at is not None:
            mall.bucket = max(0.0, mall.bucket - (now - mall.drained_at).total_seconds() * DRAIN_PER_SECOND)
        mall.drained_at = now
        if mall.bucket + 1 > BUCKET_SIZE:
            return _api_error(429, "Too Many Requests", {"x-api-call-limit": f"{BUCKET_SIZE}/{BUCKET_SIZE}"})
        mall.bucket += 1
        limit = {"x-api-call-limit": f"{int(mall.bucket + 0.999)}/{BUCKET_SIZE}"}
        if method != "GET":
            return _api_error(405, "the emulator answers reads only", limit)
        if "mall.read_order" not in grant.scopes:
            return _api_error(403, "insufficient scope: mall.read_order", limit)
        if resource.startswith("orders/"):
            order = mall.orders.get(resource.removeprefix("orders/"))
            if order is None:
                return _api_error(404, "No API found or the order does not exist", limit)
            return _json(200, {"order": self._embedded(order, params)}, limit)
        if resource == "orders":
            return self._orders(mall, params, limit)
        return _api_error(404, f"no such resource: {resource}", limit)

    @staticmethod
    def _embedded(order: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        embed = set(params.get("embed", "").split(","))
        return {k: v for k, v in order.items() if k != "items" or "items" in embed}

    def _orders(self, mall: _Mall, params: dict[str, str], limit: dict[str, str]) -> Answer:
        try:
            start = datetime.fromisoformat(params["start_date"]).date()
            end = datetime.fromisoformat(params["end_date"]).date()
            page = int(params.get("limit", "10"))
            offset = int(params.get("offset", "0"))
        except (KeyError, ValueError):
            return _api_error(422, "start_date and end_date (YYYY-MM-DD) are required", limit)
        if not 1 <= page <= 1000 or not 0 <= offset <= 15000:
            return _api_error(422, "limit must be 1-1000 and offset 0-15000", limit)
        if (end - start).days > 92:
            return _api_error(422, "the search period may be at most 3 months", limit)
        date_type = params.get("date_type", "order_date")
        found = [
            self._embedded(o, params)
            for o in sorted(mall.orders.values(), key=lambda o: str(o.get(date_type) or ""))
            if o.get(date_type) and start <= datetime.fromisoformat(str(o[date_type])).date() <= end
        ]
        return _json(200, {"orders": found[offset : offset + page]}, limit)

    def transport(self) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            status, headers, body = self.handle(
                request.method,
                request.url.host,
                request.url.path,
                request.url.query.decode(),
                dict(request.headers),
                request.content,
            )
            return httpx.Response(status, headers=headers, content=body)

        return httpx.MockTransport(handler)

    def follow_authorize(self, location: str) -> str:
        """The merchant's browser at the authorize URL Nudge sent it to: answers where Cafe24 sends it next
        (the Redirect URI with code and state), or raises with Cafe24's refusal."""
        url = urlsplit(location)
        status, headers, body = self.handle("GET", url.hostname or "", url.path, url.query, {}, b"")
        if status != 302:
            raise ValueError(f"Cafe24 refused the authorize request: {body.decode()}")
        return headers["location"]
