"""The Nudge app on a Cafe24 mall: its install (OAuth 2.0 authorization code) and the tokens it keeps.

The flow (docs/cafe24.md; Cafe24's OAuth 2.0 guide,
developers.cafe24.com/docs-new/docs/guide/oauth2-authentication):

1. The merchant installs or opens the app; Cafe24 sends their browser to the App URL (`GET /cafe24/install`)
   with `mall_id, timestamp, hmac, …`. `begin_install` checks the HMAC with the app's client secret, refuses
   a timestamp older than INSTALL_MAX_AGE, finds the store whose `cafe24_mall_id` it is, and answers the
   authorize URL on the mall (`https://{mall_id}.cafe24api.com/api/v2/oauth/authorize`) with a `state`
   bound to the mall and the store, signed and short-lived, and a nonce the browser carries in a cookie
   (CSRF: a callback the same browser did not start is refused).
2. The merchant consents; Cafe24 sends the browser to the Redirect URI (`GET /cafe24/callback`) with `code`
   and `state`. `finish_install` checks the state, then exchanges the code (valid one minute, once) at
   `POST /api/v2/oauth/token` and keeps the tokens.
3. `access_token` answers a usable access token (2 h), refreshing it first when it expires within
   REFRESH_MARGIN. Cafe24 rotates the refresh token (2 weeks) on each refresh and the old one stops working,
   so the new pair is kept before the access token is used. A refresh token that has lapsed (or that Cafe24
   refuses) marks the install `lapsed` and raises AppLapsed: the merchant must open the app again; nothing
   retries it.

No HTTP and no storage here: the ports below are the adapter's (nudge.adapters.cafe24). No token, code or
secret is ever put in an error or a log line.
"""

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal, Protocol
from urllib.parse import urlencode

from nudge.errors import FieldError, Forbidden, InvalidPayload, NotFound, NudgeError
from nudge.ingest.platforms.cafe24_records import read_time
from nudge.stores import Store

# Where the app's own credentials live: SSM SecureString {STORE_SECRETS_PATH}/_cafe24-app/{name}.
# "_cafe24-app"
# can never be a store id (STORE_ID_PATTERN starts with a letter or digit), so no store's secrets collide.
APP_SECRETS_ID = "_cafe24-app"
CLIENT_ID = "client-id"
CLIENT_SECRET = "client-secret"
# A store's tokens: SSM SecureString {STORE_SECRETS_PATH}/{store_id}/cafe24-oauth-tokens (one JSON value),
# and beside them what the admin API may read of the install (status_document; a String, no token in it).
TOKENS_NAME = "cafe24-oauth-tokens"
STATUS_NAME = "cafe24-app-status"

# What Nudge asks the mall for (store-platforms.md §1.4: the read scopes its events and reconciliation need).
SCOPES = (
    "mall.read_application",
    "mall.read_customer",
    "mall.read_order",
    "mall.read_personal",
    "mall.read_privacy",
    "mall.read_product",
    "mall.read_promotion",
)
INSTALL_MAX_AGE = timedelta(minutes=5)  # an App URL request older than this is refused (replay)
STATE_MAX_AGE = timedelta(minutes=10)  # the merchant has this long to consent
REFRESH_MARGIN = timedelta(minutes=5)  # an access token expiring sooner is refreshed first
STATE_COOKIE = "nudge_cafe24_state"
CALLBACK_PATH = "/cafe24/callback"
INSTALL_PATH = "/cafe24/install"


class AppLapsed(NudgeError):
    """The mall's refresh token has lapsed or was refused: the merchant must open the app again."""

    status = 409
    code = "cafe24_app_lapsed"


class OAuthRefused(Exception):
    """Cafe24's token endpoint refused a grant (invalid_grant and the like): `error` is its code."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error


@dataclass(frozen=True, slots=True)
class App:
    client_id: str
    client_secret: str


@dataclass(frozen=True, slots=True)
class Tokens:
    """One mall's tokens as Nudge keeps them. `status` is `installed` or `lapsed` (then no token is kept)."""

    mall_id: str
    status: Literal["installed", "lapsed"]
    access_token: str = ""
    expires_at: datetime | None = None
    refresh_token: str = ""
    refresh_token_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    updated_at: datetime | None = None
    lapsed_reason: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "mall_id": self.mall_id,
                "status": self.status,
                "access_token": self.access_token,
                "expires_at": _iso(self.expires_at),
                "refresh_token": self.refresh_token,
                "refresh_token_expires_at": _iso(self.refresh_token_expires_at),
                "scopes": list(self.scopes),
                "updated_at": _iso(self.updated_at),
                "lapsed_reason": self.lapsed_reason,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> "Tokens":
        data = json.loads(text)
        return cls(
            mall_id=data["mall_id"],
            status=data["status"],
            access_token=data.get("access_token", ""),
            expires_at=_parse(data.get("expires_at")),
            refresh_token=data.get("refresh_token", ""),
            refresh_token_expires_at=_parse(data.get("refresh_token_expires_at")),
            scopes=tuple(data.get("scopes", ())),
            updated_at=_parse(data.get("updated_at")),
            lapsed_reason=data.get("lapsed_reason", ""),
        )

    def __repr__(self) -> str:  # never a token in a log line or a traceback
        return f"Tokens(mall_id={self.mall_id!r}, status={self.status!r}, expires_at={self.expires_at!r})"


class TokenVault(Protocol):
    """A store's Cafe24 tokens, read fresh each time (a rotated refresh token must never be read stale)."""

    def get(self, store_id: str) -> Tokens | None: ...

    def put(self, store_id: str, tokens: Tokens) -> None: ...


class OAuthServer(Protocol):
    """Cafe24's token endpoint on a mall. Raises OAuthRefused when Cafe24 refuses the grant."""

    def exchange_code(self, app: App, mall_id: str, code: str, redirect_uri: str) -> Mapping[str, object]: ...

    def refresh(self, app: App, mall_id: str, refresh_token: str) -> Mapping[str, object]: ...


class Stores(Protocol):
    def get(self, store_id: str) -> Store | None: ...

    def all(self) -> list[Store]: ...


@dataclass(frozen=True)
class AppDependencies:
    app: App | None  # None: the deployment has no Cafe24 app configured
    stores: Stores
    vault: TokenVault
    oauth: OAuthServer


@dataclass(frozen=True, slots=True)
class Redirect:
    location: str
    cookie: str = ""  # a Set-Cookie value, or empty


# ---------------------------------------------------------------- the App URL request


def install_hmac(secret: str, query: Mapping[str, str]) -> str:
    """Base64(HMAC-SHA256(client secret, the query but `hmac`, its parameters sorted by name, URL-encoded)).
    ◐ The algorithm public Cafe24 apps implement; Cafe24's own text of it was not found (docs/cafe24.md)."""
    message = urlencode(sorted((k, v) for k, v in query.items() if k != "hmac"))
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _app_or_404(deps: AppDependencies) -> App:
    if deps.app is None:
        raise NotFound("this deployment has no Cafe24 app (client id and secret) configured")
    return deps.app


def _store_of_mall(deps: AppDependencies, mall_id: str) -> Store:
    for store in deps.stores.all():
        if store.cafe24_mall_id == mall_id and store.accepts("cafe24"):
            return store
    raise NotFound(f"no store is connected to the Cafe24 mall '{mall_id}'")


def begin_install(
    query: Mapping[str, str], callback_url: str, deps: AppDependencies, now: datetime
) -> Redirect:
    """The App URL request: checked, then the browser is sent to the mall's authorize page."""
    app = _app_or_404(deps)
    missing = [name for name in ("mall_id", "timestamp", "hmac") if not query.get(name)]
    if missing:
        raise InvalidPayload(
            "the Cafe24 app request is incomplete", [FieldError(n, "required") for n in missing]
        )
    if not hmac.compare_digest(install_hmac(app.client_secret, query), query["hmac"]):
        raise Forbidden("the Cafe24 app request's hmac does not match the app's client secret")
    try:
        sent = datetime.fromtimestamp(int(query["timestamp"]), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise InvalidPayload(
            "timestamp must be Unix seconds", [FieldError("timestamp", "not a number")]
        ) from exc
    if abs(now - sent) > INSTALL_MAX_AGE:
        raise Forbidden(
            f"the Cafe24 app request is stale: its timestamp is more than "
            f"{int(INSTALL_MAX_AGE.total_seconds() // 60)} minutes from now"
        )
    mall_id = query["mall_id"]
    store = _store_of_mall(deps, mall_id)
    nonce = secrets.token_urlsafe(16)
    state = _sign_state(app, {"m": mall_id, "s": store.store_id, "n": nonce, "t": int(now.timestamp())})
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "state": state,
        "redirect_uri": callback_url,
        "scope": ",".join(SCOPES),
    }
    location = f"https://{mall_id}.cafe24api.com/api/v2/oauth/authorize?{urlencode(params)}"
    max_age = int(STATE_MAX_AGE.total_seconds())
    cookie = (
        f"{STATE_COOKIE}={nonce}; Max-Age={max_age}; Path={CALLBACK_PATH}; Secure; HttpOnly; SameSite=Lax"
    )
    return Redirect(location, cookie)


# ---------------------------------------------------------------- the state


def _sign_state(app: App, claims: dict[str, object]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
    mac = hmac.new(app.client_secret.encode(), b"nudge-cafe24-state." + body.encode(), hashlib.sha256)
    return body + "." + base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def _read_state(app: App, state: str, now: datetime) -> dict[str, object]:
    body, _, mac = state.partition(".")
    good = hmac.new(app.client_secret.encode(), b"nudge-cafe24-state." + body.encode(), hashlib.sha256)
    if not body or not hmac.compare_digest(base64.urlsafe_b64encode(good.digest()).decode().rstrip("="), mac):
        raise Forbidden(
            "the state is not one Nudge issued", [FieldError("state", "signature does not match")]
        )
    claims: dict[str, object] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    issued = datetime.fromtimestamp(int(str(claims["t"])), UTC)
    if now - issued > STATE_MAX_AGE:
        raise Forbidden(
            "the state has expired: open the app from the Cafe24 admin again",
            [FieldError("state", "expired")],
        )
    return claims


def _cookie(headers: Mapping[str, str], name: str) -> str:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


# ---------------------------------------------------------------- the callback


def finish_install(
    query: Mapping[str, str],
    headers: Mapping[str, str],
    callback_url: str,
    deps: AppDependencies,
    now: datetime,
) -> tuple[str, Tokens]:
    """The Redirect URI request: the state checked, the code exchanged, the tokens kept. Answers the store."""
    app = _app_or_404(deps)
    if query.get("error"):
        raise Forbidden(f"the merchant did not authorize the app ({query['error']})")
    missing = [name for name in ("code", "state") if not query.get(name)]
    if missing:
        raise InvalidPayload(
            "the Cafe24 callback is incomplete", [FieldError(n, "required") for n in missing]
        )
    claims = _read_state(app, query["state"], now)
    if not hmac.compare_digest(_cookie(headers, STATE_COOKIE), str(claims["n"])):
        raise Forbidden(
            "the state was issued to another browser",
            [FieldError("state", f"does not match the {STATE_COOKIE} cookie")],
        )
    mall_id, store_id = str(claims["m"]), str(claims["s"])
    store = deps.stores.get(store_id)
    if store is None or store.cafe24_mall_id != mall_id:
        raise Forbidden(
            "the state names a mall no longer connected to this store", [FieldError("state", "mall changed")]
        )
    try:
        answer = deps.oauth.exchange_code(app, mall_id, query["code"], callback_url)
    except OAuthRefused as refused:
        raise Forbidden(
            f"Cafe24 refused the authorization code ({refused.error}): it is valid for one minute, once",
            [FieldError("code", refused.error)],
        ) from None
    tokens = _tokens_from(answer, mall_id, now)
    deps.vault.put(store_id, tokens)
    return store_id, tokens


# ---------------------------------------------------------------- a usable access token


def access_token(store_id: str, deps: AppDependencies, now: datetime) -> str:
    """An access token valid for at least REFRESH_MARGIN, refreshed (and the new pair kept) if need be.
    Raises NotFound (not installed) or AppLapsed (the install must be redone; the vault says so)."""
    tokens = deps.vault.get(store_id)
    if tokens is None:
        raise NotFound(f"the Cafe24 app is not installed on store '{store_id}'")
    if tokens.status == "lapsed":
        raise AppLapsed(f"store '{store_id}': the Cafe24 app must be opened again ({tokens.lapsed_reason})")
    if tokens.expires_at is not None and tokens.expires_at - now > REFRESH_MARGIN:
        return tokens.access_token
    return _refresh(store_id, tokens, deps, now).access_token


def _refresh(store_id: str, tokens: Tokens, deps: AppDependencies, now: datetime) -> Tokens:
    app = _app_or_404(deps)
    if tokens.refresh_token_expires_at is not None and tokens.refresh_token_expires_at <= now:
        return _lapse(store_id, tokens, deps, now, "the refresh token expired")
    try:
        answer = deps.oauth.refresh(app, tokens.mall_id, tokens.refresh_token)
    except OAuthRefused as refused:
        # Another container may have refreshed first (the old refresh token then fails): keep its pair.
        current = deps.vault.get(store_id)
        if (
            current is not None
            and current.status == "installed"
            and current.refresh_token != tokens.refresh_token
        ):
            return current
        return _lapse(store_id, tokens, deps, now, f"Cafe24 refused the refresh token ({refused.error})")
    fresh = _tokens_from(answer, tokens.mall_id, now)
    deps.vault.put(store_id, fresh)
    return fresh


def _lapse(store_id: str, tokens: Tokens, deps: AppDependencies, now: datetime, reason: str) -> Tokens:
    deps.vault.put(
        store_id, Tokens(mall_id=tokens.mall_id, status="lapsed", updated_at=now, lapsed_reason=reason)
    )
    raise AppLapsed(f"store '{store_id}': the Cafe24 app must be opened again ({reason})")


def status_document(tokens: Tokens | None) -> dict[str, object]:
    """What the admin API may show of a store's install (GET /admin/stores/{id}/cafe24): never a token.
    `installed`, `lapsed` (the merchant must open the app again; `reason` says why) or `not_installed`."""
    if tokens is None:
        return {"status": "not_installed"}
    out: dict[str, object] = {
        "status": tokens.status,
        "mall_id": tokens.mall_id,
        "updated_at": _iso(tokens.updated_at),
    }
    if tokens.status == "lapsed":
        out["reason"] = tokens.lapsed_reason
    else:
        out["refresh_token_expires_at"] = _iso(tokens.refresh_token_expires_at)
        out["scopes"] = list(tokens.scopes)
    return out


# ---------------------------------------------------------------- Cafe24's token answer

# Cafe24 writes expires_at in the mall's local time without an offset ("2018-01-08T19:15:21.981"): Korea.
_KST_ZONE = timezone(timedelta(hours=9))


def cafe24_time(value: object) -> datetime | None:
    parsed = read_time(value, _KST_ZONE)
    return parsed.astimezone(UTC) if parsed is not None else None


def _tokens_from(answer: Mapping[str, object], mall_id: str, now: datetime) -> Tokens:
    access, refresh = answer.get("access_token"), answer.get("refresh_token")
    if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
        raise InvalidPayload("Cafe24's token answer has no access_token or refresh_token")
    scopes = answer.get("scopes")
    return Tokens(
        mall_id=mall_id,
        status="installed",
        access_token=access,
        expires_at=cafe24_time(answer.get("expires_at")) or now + timedelta(hours=2),
        refresh_token=refresh,
        refresh_token_expires_at=cafe24_time(answer.get("refresh_token_expires_at"))
        or now + timedelta(days=14),
        scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
        updated_at=now,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
