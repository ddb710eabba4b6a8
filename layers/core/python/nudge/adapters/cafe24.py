"""Cafe24 over HTTP: its OAuth token endpoint, its Admin API, and where a store's tokens are kept.

- `Cafe24OAuth`: `POST https://{mall_id}.cafe24api.com/api/v2/oauth/token`, form-encoded, with
  `Authorization: Basic base64(client_id:client_secret)` (Cafe24's OAuth 2.0 guide; docs/cafe24.md).
- `AdminApi`: `https://{mall_id}.cafe24api.com/api/v2/admin/…` with `Authorization: Bearer`, the
  `X-Cafe24-Api-Version` header, Cafe24's leaky bucket (40 calls, drained at 2 a second, per mall: the
  `X-Api-Call-Limit: used/40` header paces the next call) and 429 answered by waiting (`X-Cafe24-Call-Remain`
  / `X-Cafe24-Time-Remain` when present, else a doubling backoff), limit/offset paging. Its reads: orders
  (one, several by id, changed in a window), members (`customersprivacy`: one, joined in a window) and
  products (one, several by number, changed in a window); limits and names from Cafe24's API reference as
  typed in shepherd231/cafe24api-client `types/admin/endpoints/{orders,customersprivacy,products}.d.ts`
  (docs/cafe24.md "What was confirmed").
- `SsmTokenVault`: one SecureString per store, read without a cache (a rotated refresh token read stale
  would lapse the install), never logged.

The local runtime hands in its Cafe24 emulator as the transport (`use_transport`), as it does for the
messaging gateways.
"""

import base64
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

import httpx

from nudge.adapters.ssm import secret_parameter_name
from nudge.ingest.cafe24_app import STATUS_NAME, TOKENS_NAME, App, OAuthRefused, Tokens, status_document

API_VERSION = "2025-12-01"  # X-Cafe24-Api-Version (store-platforms.md §1.4: the latest version seen)
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
BUCKET_SIZE = 40  # Cafe24's leaky bucket per mall ("호출건수 제한 40"), drained at 2 calls a second
DRAIN_PER_SECOND = 2.0
MAX_429_RETRIES = 4
ORDERS_PAGE = 500  # `limit` may be at most 1000; `offset` at most 15000 (store-platforms.md §1.4)
MAX_OFFSET = 15000
# Cafe24 documents no cap on how many ids one `order_id=a,b,c` / `product_no=a,b,c` may list (orders.d.ts,
# products.d.ts: ",(콤마)로 여러 건을 검색할 수 있다"). Nudge asks for at most 100 at a time: the products
# list answers at most 100 a call anyway, and a URL of 100 order ids (16 characters each) stays short.
IDS_PER_CALL = 100
CUSTOMERS_PAGE = 1000  # customersprivacy: `limit` 1-1000 (default 30), `offset` at most 8000
MAX_CUSTOMER_OFFSET = 8000
PRODUCTS_PAGE = 100  # products: `limit` 1-100 (default 10), `offset` at most 5000
MAX_PRODUCT_OFFSET = 5000
ORDER_EMBED = "items,buyer"  # an order's lines and its buyer's contact (orders.d.ts embeds)
KOREA = timezone(timedelta(hours=9))  # Cafe24's dates are the mall's: Korea time for a Korean mall

_transport: httpx.BaseTransport | None = None


@cache
def http_client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, transport=_transport)


def use_transport(transport: httpx.BaseTransport | None) -> None:
    """Reach Cafe24 through this transport instead of the network (the local runtime's emulator)."""
    global _transport
    _transport = transport
    http_client.cache_clear()


def mall_origin(mall_id: str) -> str:
    return f"https://{mall_id}.cafe24api.com"


class Cafe24Error(Exception):
    """An Admin API answer Nudge cannot use: `status` and Cafe24's `error.code` (docs/cafe24.md)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"Cafe24 answered {status} ({code}): {message}")
        self.status = status
        self.code = code


class Cafe24OAuth:
    def __init__(self, client: httpx.Client | None = None) -> None:
        self._client = client

    @property
    def client(self) -> httpx.Client:
        return self._client or http_client()

    def _token(self, app: App, mall_id: str, form: dict[str, str]) -> Mapping[str, object]:
        basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
        response = self.client.post(
            f"{mall_origin(mall_id)}/api/v2/oauth/token",
            data=form,
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 500 or response.status_code == 429:
            raise Cafe24Error(response.status_code, "server_error", "the token endpoint failed; try again")
        if response.status_code != 200:
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict):  # the Admin API's error shape
                raise OAuthRefused(
                    str(error.get("code", response.status_code)), str(error.get("message", ""))
                )
            raise OAuthRefused(str(error or response.status_code), str(body.get("error_description", "")))
        return body if isinstance(body, dict) else {}

    def exchange_code(self, app: App, mall_id: str, code: str, redirect_uri: str) -> Mapping[str, object]:
        return self._token(
            app, mall_id, {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    def refresh(self, app: App, mall_id: str, refresh_token: str) -> Mapping[str, object]:
        return self._token(app, mall_id, {"grant_type": "refresh_token", "refresh_token": refresh_token})


class AdminApi:
    """One mall's Admin API. `token` answers a usable access token (nudge.ingest.cafe24_app.access_token);
    `sleep` and `monotonic` are the clock's (the local runtime's simulated one)."""

    def __init__(
        self,
        mall_id: str,
        token: Callable[[], str],
        sleep: Callable[[float], None],
        client: httpx.Client | None = None,
        version: str = API_VERSION,
    ) -> None:
        self.mall_id = mall_id
        self._token = token
        self._sleep = sleep
        self._client = client
        self.version = version
        self.calls_used = 0  # the bucket's level as Cafe24 last reported it
        self.calls_made = 0  # requests sent to Cafe24 (each costs the bucket), for benchmarks

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]:
        client = self._client or http_client()
        url = f"{mall_origin(self.mall_id)}/api/v2/admin/{path.lstrip('/')}"
        backoff = 1.0
        for attempt in range(MAX_429_RETRIES + 1):
            self._pace()
            self.calls_made += 1
            response = client.get(
                url,
                params=dict(params or {}),
                headers={
                    "Authorization": f"Bearer {self._token()}",
                    "Content-Type": "application/json",
                    "X-Cafe24-Api-Version": self.version,
                },
            )
            self._read_limit(response.headers)
            if response.status_code == 429 and attempt < MAX_429_RETRIES:
                wait = _wait_after_429(response.headers, backoff)
                self._sleep(wait)
                self.calls_used = max(0, self.calls_used - int(wait * DRAIN_PER_SECOND))  # drained meanwhile
                backoff *= 2
                continue
            return _answer(response)
        raise AssertionError("unreachable")

    def _read_limit(self, headers: httpx.Headers) -> None:
        used, _, size = headers.get("x-api-call-limit", "").partition("/")
        if used.isdigit() and size.isdigit():
            self.calls_used = int(used)

    def _pace(self) -> None:
        # Keep a quarter of the bucket free: past 30 of 40, wait for it to drain down to 30 first.
        over = self.calls_used - (BUCKET_SIZE * 3 // 4)
        if over > 0:
            self._sleep(over / DRAIN_PER_SECOND)
            self.calls_used -= over

    # ------------------------------------------------------------ orders

    def order(self, order_id: str, embed: str = ORDER_EMBED) -> dict[str, Any]:
        """`GET /api/v2/admin/orders/{order_id}?embed=items,buyer`: one order with its items and buyer."""
        answer = self.get(f"orders/{order_id}", {"embed": embed})
        order = answer.get("order")
        if not isinstance(order, dict):
            raise Cafe24Error(200, "unexpected_answer", "no 'order' in the answer")
        return order

    def orders(self, order_ids: list[str], embed: str = ORDER_EMBED) -> list[dict[str, Any]]:
        """`GET /api/v2/admin/orders?order_id=a,b,c&embed=…`, IDS_PER_CALL ids a call: the orders found
        (an id Cafe24 does not know is left out). `limit` is set to the ids asked, as Cafe24's default is
        10."""
        found: list[dict[str, Any]] = []
        for chunk in _chunks(order_ids):
            answer = self.get(
                "orders", {"order_id": ",".join(chunk), "embed": embed, "limit": len(chunk), "offset": 0}
            )
            found.extend(_listed(answer, "orders"))
        return found

    def orders_changed(
        self, since: datetime, until: datetime, date_type: str = "pay_date", embed: str = ORDER_EMBED
    ) -> Iterator[dict[str, Any]]:
        """`GET /api/v2/admin/orders?date_type=…&start_date=…&end_date=…`, every page (limit/offset).
        Cafe24 has no "updated" date type: reconciliation walks several (pay_date, shipbegin_date,
        cancel_date, …), each window at most three months and fewer than MAX_OFFSET orders (narrow the
        window past that). The dates are Korea days, both ends included."""
        yield from self._pages(
            "orders",
            {
                "date_type": date_type,
                "start_date": korea_day(since),
                "end_date": korea_day(until),
                "embed": embed,
            },
            "orders",
            ORDERS_PAGE,
            MAX_OFFSET,
        )

    # ------------------------------------------------------------ members

    def customer(self, member_id: str) -> dict[str, Any] | None:
        """`GET /api/v2/admin/customersprivacy/{member_id}`: a member with their contact and consent flags
        (`sms`, `news_mail`), or None when the mall has no such member (withdrawn, or never was)."""
        try:
            answer = self.get(f"customersprivacy/{member_id}")
        except Cafe24Error as error:
            if error.status == 404:
                return None
            raise
        member = answer.get("customersprivacy")
        if not isinstance(member, dict):
            raise Cafe24Error(200, "unexpected_answer", "no 'customersprivacy' in the answer")
        return member

    def customers_joined(self, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
        """`GET /api/v2/admin/customersprivacy?date_type=join&start_date&end_date`, every page of 1000.
        Cafe24 lets `offset` reach 8000 only: a window with more members raises (narrow it)."""
        yield from self._pages(
            "customersprivacy",
            {"date_type": "join", "start_date": korea_day(since), "end_date": korea_day(until)},
            "customersprivacy",
            CUSTOMERS_PAGE,
            MAX_CUSTOMER_OFFSET,
        )

    # ------------------------------------------------------------ products

    def product(self, product_no: str, embed: str = "variants") -> dict[str, Any] | None:
        """`GET /api/v2/admin/products/{product_no}?embed=variants` (variants carry their stock as
        `quantity`), or None when the mall has no such product."""
        try:
            answer = self.get(f"products/{product_no}", {"embed": embed})
        except Cafe24Error as error:
            if error.status == 404:
                return None
            raise
        product = answer.get("product")
        if not isinstance(product, dict):
            raise Cafe24Error(200, "unexpected_answer", "no 'product' in the answer")
        return product

    def products(self, product_nos: list[str], embed: str = "variants") -> list[dict[str, Any]]:
        """`GET /api/v2/admin/products?product_no=a,b&embed=variants`, 100 a call (the list's `limit` cap)."""
        found: list[dict[str, Any]] = []
        for chunk in _chunks(product_nos):
            answer = self.get(
                "products", {"product_no": ",".join(chunk), "embed": embed, "limit": len(chunk), "offset": 0}
            )
            found.extend(_listed(answer, "products"))
        return found

    def products_changed(
        self, since: datetime, until: datetime, embed: str = "variants"
    ) -> Iterator[dict[str, Any]]:
        """`GET /api/v2/admin/products?updated_start_date&updated_end_date`, every page of 100. The dates
        are Korea days (Cafe24 searches by day: "검색 시작일과 종료일이 동일할 경우 해당 날짜로만 검색"), so a
        window re-reads the whole of its first day. `offset` stops at 5000: past that this raises (narrow the
        window)."""
        yield from self._pages(
            "products",
            {"updated_start_date": korea_day(since), "updated_end_date": korea_day(until), "embed": embed},
            "products",
            PRODUCTS_PAGE,
            MAX_PRODUCT_OFFSET,
        )

    def _pages(
        self, path: str, params: dict[str, str | int], key: str, page: int, max_offset: int
    ) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            listed = _listed(self.get(path, {**params, "limit": page, "offset": offset}), key)
            yield from listed
            if len(listed) < page:
                return
            offset += page
            if offset > max_offset:
                raise Cafe24Error(
                    400,
                    "offset_exceeded",
                    f"more {key} in the window than Cafe24 pages to (offset at most {max_offset}): narrow it",
                )


def korea_day(at: datetime) -> str:
    """The Korea date of an instant, `YYYY-MM-DD` as Cafe24's date parameters take it (a naive time is taken
    to be Korea time already)."""
    local = at.astimezone(KOREA) if at.tzinfo else at
    return local.date().isoformat()


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(str(i) for i in ids))
    for start in range(0, len(unique), IDS_PER_CALL):
        yield unique[start : start + IDS_PER_CALL]


def _listed(answer: dict[str, Any], key: str) -> list[dict[str, Any]]:
    listed = answer.get(key)
    if not isinstance(listed, list):
        raise Cafe24Error(200, "unexpected_answer", f"no '{key}' in the answer")
    return [item for item in listed if isinstance(item, dict)]


def _wait_after_429(headers: httpx.Headers, backoff: float) -> float:
    remains = [headers.get("x-cafe24-call-remain"), headers.get("x-cafe24-time-remain")]
    seconds = [float(r) for r in remains if r and r.replace(".", "", 1).isdigit()]
    return max(seconds) if seconds else backoff


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        error = error if isinstance(error, dict) else {}
        raise Cafe24Error(
            response.status_code, str(error.get("code", response.status_code)), str(error.get("message", ""))
        )
    return body if isinstance(body, dict) else {}


@cache
def ssm_client() -> Any:
    """One SSM client per container (a client costs milliseconds to make; a vault is made per call)."""
    import boto3

    return boto3.client("ssm")


class SsmTokenVault:
    """{STORE_SECRETS_PATH}/{store_id}/cafe24-oauth-tokens, SecureString, read without Powertools' cache."""

    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        return self._client if self._client is not None else ssm_client()

    def get(self, store_id: str) -> Tokens | None:
        try:
            answer = self.client.get_parameter(
                Name=secret_parameter_name(store_id, TOKENS_NAME), WithDecryption=True
            )
        except self.client.exceptions.ParameterNotFound:
            return None
        return Tokens.from_json(answer["Parameter"]["Value"])

    def put(self, store_id: str, tokens: Tokens) -> None:
        self.client.put_parameter(
            Name=secret_parameter_name(store_id, TOKENS_NAME),
            Value=tokens.to_json(),
            Type="SecureString",
            Overwrite=True,
        )
        self.client.put_parameter(
            Name=secret_parameter_name(store_id, STATUS_NAME),
            Value=json.dumps(status_document(tokens)),
            Type="String",
            Overwrite=True,
        )

    def status(self, store_id: str) -> dict[str, object]:
        """What the admin API shows (the status parameter: the admin function may not read the tokens)."""
        try:
            answer = self.client.get_parameter(Name=secret_parameter_name(store_id, STATUS_NAME))
        except self.client.exceptions.ParameterNotFound:
            return status_document(None)
        document: dict[str, object] = json.loads(answer["Parameter"]["Value"])
        return document
