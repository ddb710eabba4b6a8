"""A local Cafe24: the app launch (App URL with its HMAC), OAuth 2.0 (authorize, token, refresh), and whole
malls (`Cafe24Emulator.mall(mall_id)`: members, products, orders with their items) that answer the Admin API
and build the webhooks Cafe24 would send, as strict as Cafe24 documents them (docs/cafe24.md;
store-platforms.md §1).

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
- The Admin API's reads, their parameters, limits and answer fields: orders (`date_type`, a window of at
  most 3 months, `limit` ≤ 1000, `offset` ≤ 15000, `order_id` comma list, `embed=items,buyer`),
  customersprivacy (`date_type=join`, `limit` ≤ 1000, `offset` ≤ 8000) and products
  (`updated_start_date`/`updated_end_date`, `limit` ≤ 100, `offset` ≤ 5000, `embed=variants`), as typed
  from Cafe24's API reference in shepherd231/cafe24api-client `types/admin/endpoints/*.d.ts` and the samples
  in its `generators/generate-endpoints/gen/admin-endpoints.json` (commit 9e00b59). Times: an order's,
  member's or product's are "2018-07-04T11:21:35+09:00"; an order item's "2017-07-10 15:56:52" (Korea time,
  no offset), as in those samples.
- Webhook payloads: the event numbers and `resource` field names of Cafe24's event reference as scraped in
  the same repository's `cafe24-webhook-utils/…/webhook-info.json` (store-platforms.md §1.2-§1.3).

Refusals of the OAuth endpoints use OAuth 2.0's codes (RFC 6749 §5.2: invalid_client, invalid_grant,
invalid_request, unsupported_grant_type) ◐: Cafe24's exact error bodies were not confirmed. A parameter out
of range (limit, offset, a window over 3 months, an unknown date_type) answers 422 with Cafe24's error body
◐: Cafe24's status-code guide (developer.cafe24.com/guide/front/api?guide_no=54) was read only as far as
404 ("Cannot locate API" for a wrong URL or a resource not found).
"""

import base64
import copy
import hashlib
import hmac
import json
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
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


Answer = tuple[int, dict[str, str], bytes]


def _json(status: int, body: object, headers: Mapping[str, str] | None = None) -> Answer:
    return status, {"content-type": "application/json", **(headers or {})}, json.dumps(body).encode()


def _oauth_error(status: int, error: str, description: str) -> Answer:
    return _json(status, {"error": error, "error_description": description})


def _api_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Answer:
    return _json(status, {"error": {"code": status, "message": message, "more_info": {}}}, headers)


def local_time(instant: datetime) -> str:
    """Cafe24's way of writing a time in a token answer: Korean local time, no offset, milliseconds."""
    return (instant.astimezone(UTC) + _KST).replace(tzinfo=None).isoformat(timespec="milliseconds")


def launch_hmac(secret: str, params: Mapping[str, str]) -> str:
    message = urlencode(sorted((k, v) for k, v in params.items() if k != "hmac"))
    return base64.b64encode(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()).decode()


# ================================================================ the mall: its records and its webhooks

KST = timezone(timedelta(hours=9))
ORDER_DATE_TYPES = (  # orders.d.ts `date_type`
    "order_date",
    "pay_date",
    "shipbegin_date",
    "shipend_date",
    "cancel_date",
    "place_date",
    "cancel_request_date",
    "cancel_accept_date",
    "cancel_complete_date",
    "exchange_request_date",
    "exchange_accept_date",
    "exchange_complete_date",
    "return_request_date",
    "return_accept_date",
    "return_complete_date",
    "purchaseconfirmation_date",
)
MEMBER_DATE_TYPES = ("join", "login", "age", "account_reactivation")  # customersprivacy.d.ts `date_type`
WINDOW_DAYS = 92  # "검색기간은 한 호출에 3개월 이상 검색 불가" (orders.d.ts `end_date`)
ORDERS_LIMIT, ORDERS_OFFSET = 1000, 15000  # orders.d.ts: limit 1-1000 (default 10), offset ≤ 15000
MEMBERS_LIMIT, MEMBERS_OFFSET = 1000, 8000  # customersprivacy.d.ts: limit 1-1000 (default 30), offset ≤ 8000
PRODUCTS_LIMIT, PRODUCTS_OFFSET = 100, 5000  # products.d.ts: limit 1-100 (default 10), offset ≤ 5000
SCOPE_OF = {
    "orders": "mall.read_order",
    "customersprivacy": "mall.read_privacy",
    "products": "mall.read_product",
}

# Webhook event numbers (store-platforms.md §1.2; shepherd231/cafe24api-client webhook-info.json).
PRODUCT_CREATED, PRODUCT_MODIFIED = 90001, 90002
ORDER_PLACED, SHIPPING_CHANGED, DEPOSIT_CHANGED = 90023, 90024, 90025
CANCEL_CHANGED, RETURN_CHANGED, REFUND_CHANGED = 90026, 90027, 90029
MEMBER_JOINED, BULK_SHIPPING_CHANGED, VARIANT_STOCK_CHANGED = 90032, 90071, 90075
MEMBER_CHANGED, ADDED_TO_CART = 90080, 90084
MEMBER_LOGGED_IN, GRADE_CHANGED, MEMBER_WITHDRAWN, SOLD_OUT_CHANGED = 90143, 90144, 90147, 90150


def api_time(at: datetime) -> str:
    """An order's, member's or product's time as the Admin API and the webhooks write it: Korea time with
    its offset, "2018-07-04T11:21:35+09:00" (orders/customersprivacy/products samples, Cafe24Datetime)."""
    return at.astimezone(KST).isoformat(timespec="seconds")


def item_time(at: datetime) -> str:
    """An order item's time as the Admin API writes it: Korea time, no offset, a space,
    "2017-07-10 15:56:52" (orders-items sample: ordered_date, shipped_date, delivered_date…)."""
    return at.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S")


def _korea_day(text: str) -> date:
    """The Korea date of any of Cafe24's ways of writing a time (with offset, without, or a bare date)."""
    parsed = datetime.fromisoformat(text.strip())
    return (parsed.astimezone(KST) if parsed.tzinfo else parsed).date()


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _flag(value: bool) -> str:
    return "T" if value else "F"


@dataclass
class _History:
    """One record's versions, each from its time on (`None`: from always); a version of None means gone."""

    versions: list[tuple[datetime | None, dict[str, Any] | None]] = field(default_factory=list)

    def at(self, now: datetime) -> dict[str, Any] | None:
        seen: dict[str, Any] | None = None
        for since, version in self.versions:
            if since is None or since <= now:
                seen = version
        return seen

    def latest(self) -> dict[str, Any] | None:
        return self.versions[-1][1] if self.versions else None

    def put(self, at: datetime | None, version: dict[str, Any] | None) -> None:
        last = next((since for since, _ in reversed(self.versions) if since is not None), None)
        if at is not None and last is not None and at < last:
            raise ValueError(f"a change at {at} comes before this record's last change ({last})")
        self.versions.append((at, copy.deepcopy(version)))


class Cafe24Mall:
    """One Cafe24 mall the demo and the tests drive: members, products and orders (with items), kept as
    versions in simulated time so the Admin API answers what the mall held at the emulator's `now`.

    Each change returns the webhook payload(s) Cafe24 would send for it, `{"event_no", "resource"}` with the
    field names of Cafe24's event reference (store-platforms.md §1.2-§1.3); it does not send them: the caller
    posts them to Nudge, or drops them to play a lost webhook (Cafe24's notice of 2024-12-31). `at` defaults
    to now; one record's changes must come in time order. Every payload is also kept in `webhooks`.
    """

    def __init__(self, mall_id: str, now: Callable[[], datetime], lock: threading.RLock) -> None:
        self.mall_id = mall_id
        self._now = now
        self._lock = lock
        self.bucket = 0.0  # calls in the leaky bucket at `drained_at`
        self.drained_at: datetime | None = None
        self.orders: dict[str, _History] = {}
        self.members: dict[str, _History] = {}
        self.products: dict[str, _History] = {}
        self.groups: dict[int, str] = {1: "일반회원"}
        self.webhooks: list[dict[str, Any]] = []
        self._tracking = 0

    # ------------------------------------------------------------ helpers

    def _when(self, at: datetime | None) -> datetime:
        return at if at is not None else self._now()

    def _webhook(
        self, event_no: int, resource: dict[str, Any], shop_key: str = "event_shop_no"
    ) -> dict[str, Any]:
        payload = {"event_no": event_no, "resource": {"mall_id": self.mall_id, shop_key: 1, **resource}}
        self.webhooks.append(payload)
        return copy.deepcopy(payload)

    def _member(self, member_id: str) -> dict[str, Any]:
        history = self.members.get(member_id)
        member = history.latest() if history else None
        if member is None:
            raise KeyError(f"no member {member_id!r} in mall {self.mall_id}")
        return copy.deepcopy(member)

    def _product(self, product_no: int | str) -> dict[str, Any]:
        history = self.products.get(str(product_no))
        product = history.latest() if history else None
        if product is None:
            raise KeyError(f"no product {product_no} in mall {self.mall_id}")
        return copy.deepcopy(product)

    def _order(self, order_id: str) -> dict[str, Any]:
        history = self.orders.get(order_id)
        order = history.latest() if history else None
        if order is None:
            raise KeyError(f"no order {order_id!r} in mall {self.mall_id}")
        return copy.deepcopy(order)

    # ------------------------------------------------------------ members

    def add_member(
        self,
        member_id: str,
        name: str,
        cellphone: str,
        email: str,
        *,
        sms: bool,
        news_mail: bool,
        created_at: datetime | None = None,
        group_no: int = 1,
    ) -> dict[str, Any]:
        """A member joins: 90032 (its fields per the event reference, consent flags included)."""
        at = self._when(created_at)
        with self._lock:
            member = {
                "shop_no": 1,
                "member_id": member_id,
                "group_no": group_no,
                "member_authority": "C",
                "name": name,
                "nick_name": "",
                "name_english": "",
                "name_phonetic": "",
                "phone": "",
                "cellphone": cellphone,
                "email": email,
                "sms": _flag(sms),
                "news_mail": _flag(news_mail),
                "thirdparty_agree": "F",
                "birthday": None,
                "gender": None,
                "created_date": api_time(at),
                "last_login_date": None,
                "member_authentication": "T",
                "member_type": "p",
                "use_blacklist": "F",
                "use_mobile_app": "F",
                "join_path": "P",
                "fixed_group": "F",
                "total_points": "0.00",
                "available_points": "0.00",
                "used_points": "0.00",
                "recommend_id": "",
                "residence": "",
            }
            self.members.setdefault(member_id, _History()).put(at, member)
            return self._webhook(
                MEMBER_JOINED,
                {
                    "member_id": member_id,
                    "group_no": group_no,
                    "name": name,
                    "nick_name": "",
                    "name_english": "",
                    "name_phonetic": "",
                    "created_date": api_time(at),
                    "member_authentication": "T",
                    "birthday": "",
                    "gender": "",
                    "phone": "",
                    "cellphone": cellphone,
                    "sms": _flag(sms),
                    "email": email,
                    "news_mail": _flag(news_mail),
                    "total_mileage": "0.00",
                    "available_mileage": "0.00",
                    "recommend_id": "",
                    "residence": "",
                    "use_mobile_app": "F",
                    "member_type": "p",
                },
            )

    def change_member(
        self, member_id: str, at: datetime | None = None, *, by_admin: bool = False, **fields: Any
    ) -> dict[str, Any]:
        """The member (or, `by_admin`, the mall's admin) changes `name`, `cellphone`, `email`, `sms`,
        `news_mail` (bools) or `birthday`/`gender`: 90080 names the member and the changed keys only."""
        allowed = {"name", "cellphone", "email", "sms", "news_mail", "birthday", "gender", "nick_name"}
        if unknown := set(fields) - allowed:
            raise ValueError(f"not a member field the emulator changes: {sorted(unknown)}")
        when = self._when(at)
        with self._lock:
            member = self._member(member_id)
            values = {k: _flag(v) if k in ("sms", "news_mail") else v for k, v in fields.items()}
            changed = [k for k, v in values.items() if member.get(k) != v]
            member.update(values)
            self.members[member_id].put(when, member)
            return self._webhook(
                MEMBER_CHANGED,
                {
                    "member_id": member_id,
                    "diff_key": changed,
                    "sub_event_code": "EC_ADMIN" if by_admin else "EC_FRONT",
                },
            )

    def login(self, member_id: str, at: datetime | None = None, inflow: str = "PC") -> dict[str, Any]:
        """A member logs in (`inflow` "PC" or "Mobile"): 90143."""
        when = self._when(at)
        with self._lock:
            member = self._member(member_id)
            member["last_login_date"] = api_time(when)
            self.members[member_id].put(when, member)
            group = self.groups.get(int(member["group_no"]), "")
            return self._webhook(
                MEMBER_LOGGED_IN, {"member_id": member_id, "group_name": group, "inflow_name": inflow}
            )

    def change_grade(
        self, member_id: str, group_no: int, group_name: str, at: datetime | None = None
    ) -> dict[str, Any]:
        """The member moves to another grade (회원등급): 90144 with the new grade's name."""
        when = self._when(at)
        with self._lock:
            self.groups[group_no] = group_name
            member = self._member(member_id)
            member["group_no"] = group_no
            self.members[member_id].put(when, member)
            return self._webhook(
                GRADE_CHANGED, {"member_id": member_id, "after_member_group_name": group_name}
            )

    def withdraw_member(self, member_id: str, at: datetime | None = None) -> dict[str, Any]:
        """The member withdraws (탈퇴): 90147 names them only; from then `customersprivacy` no longer has
        them (404 by id, absent from the list)."""
        when = self._when(at)
        with self._lock:
            self._member(member_id)
            self.members[member_id].put(when, None)
            return self._webhook(MEMBER_WITHDRAWN, {"member_id": member_id})

    def add_to_cart(
        self, member_id: str, product_no: int | str, quantity: int = 1, at: datetime | None = None
    ) -> dict[str, Any]:
        """A member puts a product in their cart: 90084 (members only; Cafe24 sends no guest carts). Its
        resource carries `shop_no`, not `event_shop_no`."""
        with self._lock:
            self._member(member_id)
            product = self._product(product_no)
            return self._webhook(
                ADDED_TO_CART,
                {
                    "member_id": member_id,
                    "shipping_type": "01",
                    "product_no": int(product["product_no"]),
                    "variant_code": product["variants"][0]["variant_code"],
                    "quantity": quantity,
                    "product_bundle": "F",
                },
                shop_key="shop_no",
            )

    # ------------------------------------------------------------ products

    def put_product(
        self,
        product_no: int,
        name: str,
        price: Decimal | int,
        *,
        retail_price: Decimal | int | None = None,
        image: str | None = None,
        categories: tuple[int, ...] = (),
        stock: int = 100,
        selling: bool = True,
        display: bool = True,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """A product created (90001) or modified (90002). The webhook carries the product's fields but no
        image, category or stock (the event reference lists none): read those through the Admin API."""
        when = self._when(at)
        with self._lock:
            history = self.products.get(str(product_no))
            before = history.latest() if history else None
            code = f"P{product_no:07d}"
            image_url = image or ""
            product: dict[str, Any] = {
                "shop_no": 1,
                "product_no": product_no,
                "product_code": code,
                "custom_product_code": "",
                "product_name": name,
                "eng_product_name": "",
                "model_name": "",
                "price": _money(Decimal(price)),
                "retail_price": _money(Decimal(retail_price if retail_price is not None else 0)),
                "supply_price": "0.00",
                "display": _flag(display),
                "selling": _flag(selling),
                "sold_out": _flag(stock <= 0),
                "product_condition": "N",
                "summary_description": "",
                "detail_image": image_url,
                "list_image": image_url,
                "tiny_image": image_url,
                "small_image": image_url,
                "category": [{"category_no": c, "recommend": "F", "new": "F"} for c in categories],
                "has_option": "F",
                "created_date": before["created_date"] if before else api_time(when),
                "updated_date": api_time(when),
                "variants": [
                    {
                        "shop_no": 1,
                        "variant_code": f"{code}000A",
                        "options": [],
                        "custom_variant_code": "",
                        "display": _flag(display),
                        "selling": _flag(selling),
                        "additional_amount": "0.00",
                        "use_inventory": "T",
                        "important_inventory": "A",
                        "inventory_control_type": "A",
                        "display_soldout": "T",
                        "quantity": stock,
                        "safety_inventory": 0,
                    }
                ],
            }
            self.products.setdefault(str(product_no), _History()).put(when, product)
            return self._webhook(
                PRODUCT_CREATED if before is None else PRODUCT_MODIFIED, self._product_event(product)
            )

    @staticmethod
    def _product_event(product: dict[str, Any]) -> dict[str, Any]:
        return {
            "product_no": product["product_no"],
            "product_code": product["product_code"],
            "created_date": product["created_date"],
            "updated_date": product["updated_date"],
            "product_name": product["product_name"],
            "eng_product_name": "",
            "supply_product_name": "",
            "model_name": "",
            "custom_product_code": "",
            "product_condition": "N",
            "summary_description": "",
            "simple_description": "",
            "description": "",
            "display": product["display"],
            "selling": product["selling"],
            "retail_price": product["retail_price"],
            "supply_price": product["supply_price"],
            "price": product["price"],
            "price_content": None,
            "adult_certification": "F",
            "manufacturer_code": "M0000000",
            "supplier_code": "S0000000",
            "brand_code": "B0000000",
            "trend_code": "T0000000",
            "made_date": "",
            "release_date": "",
            "origin_place_code": 1798,
            "shipping_scope": "A",
            "translated": "F",
        }

    def set_stock(
        self, product_no: int | str, stock: int, at: datetime | None = None
    ) -> list[dict[str, Any]]:
        """The product's (single variant's) stock changes. Only a flip between sold out and in stock is sent:
        90075 for the variant, then 90150 for the product; otherwise nothing. A stock change leaves
        `updated_date` as it was (❓ whether Cafe24 moves it), so `updated_start_date` does not find it."""
        when = self._when(at)
        with self._lock:
            product = self._product(product_no)
            variant = product["variants"][0]
            was_sold_out = int(variant["quantity"]) <= 0
            variant["quantity"] = stock
            sold_out = stock <= 0
            product["sold_out"] = _flag(sold_out)
            self.products[str(product_no)].put(when, product)
            if sold_out == was_sold_out:
                return []
            variant_event = self._product_event(product) | {
                "status_text": "품절" if sold_out else "판매중",  # ❓ the wording Cafe24 uses
                "variant_code": variant["variant_code"],
                "use_soldout": "T",
            }
            return [
                self._webhook(VARIANT_STOCK_CHANGED, variant_event, shop_key="event_shop_no"),
                self._webhook(
                    SOLD_OUT_CHANGED,
                    {
                        "sold_out_by_current_shop": _flag(sold_out),
                        "product_no": int(product["product_no"]),
                        "sold_out": {"1": _flag(sold_out)},  # per shop number (webhook-info.json)
                    },
                ),
            ]

    # ------------------------------------------------------------ orders

    def place_order(
        self,
        order_id: str,
        member_id: str | None,
        lines: list[tuple[int | str, int]],
        *,
        at: datetime | None = None,
        paid: bool = True,
        buyer_name: str = "",
        buyer_cellphone: str = "",
        buyer_email: str = "",
        payment_method: str = "card",
        shipping_fee: Decimal | int = 0,
    ) -> dict[str, Any]:
        """An order is placed: 90023. `lines` are (product_no, quantity) at the products' prices now; a
        member's buyer details default to the member's. Unpaid (`paid=False`, 무통장 "cash") orders wait for
        `confirm_deposit`; their items are N00, a paid order's N10."""
        when = self._when(at)
        with self._lock:
            if order_id in self.orders:
                raise ValueError(f"order {order_id} exists")
            group_no = 0
            if member_id:
                member = self._member(member_id)
                group_no = int(member["group_no"])
                buyer_name = buyer_name or member["name"]
                buyer_cellphone = buyer_cellphone or member["cellphone"]
                buyer_email = buyer_email or member["email"]
            items = []
            for index, (product_no, quantity) in enumerate(lines, start=1):
                product = self._product(product_no)
                price = Decimal(product["price"])
                items.append(
                    {
                        "shop_no": 1,
                        "item_no": index,
                        "order_item_code": f"{order_id}-{index:02d}",
                        "variant_code": product["variants"][0]["variant_code"],
                        "product_no": int(product["product_no"]),
                        "product_code": product["product_code"],
                        "custom_product_code": "",
                        "custom_variant_code": "",
                        "option_id": "000A",
                        "option_value": "",
                        "product_name": product["product_name"],
                        "product_price": _money(price),
                        "option_price": "0.00",
                        "additional_discount_price": "0.00",
                        "coupon_discount_price": "0.00",
                        "app_item_discount_amount": "0.00",
                        "payment_amount": _money(price * quantity),
                        "quantity": quantity,
                        "order_status": "N10" if paid else "N00",
                        "status_code": "N1",
                        "status_text": "상품준비중" if paid else "입금전",
                        "claim_quantity": 0,
                        "tracking_no": None,
                        "shipping_code": None,
                        "shipping_company_id": None,
                        "shipping_company_name": None,
                        "shipping_company_code": None,
                        "product_bundle": "F",
                        "ordered_date": item_time(when),
                        "shipped_date": None,
                        "delivered_date": None,
                        "purchaseconfirmation_date": None,
                        "cancel_date": None,
                        "return_confirmed_date": None,
                        "return_request_date": None,
                        "return_collected_date": None,
                        "cancel_request_date": None,
                        "refund_date": None,
                        "exchange_request_date": None,
                        "exchange_date": None,
                    }
                )
            goods = sum((Decimal(i["payment_amount"]) for i in items), Decimal(0))
            fee = Decimal(shipping_fee)
            total = goods + fee
            earlier = [h.latest() for h in self.orders.values()]
            first = bool(member_id) and not any(o and o.get("member_id") == member_id for o in earlier)
            amounts = _amounts(goods, fee, due=Decimal(0) if paid else total)
            order: dict[str, Any] = {
                "shop_no": 1,
                "currency": "KRW",
                "order_id": order_id,
                "market_id": "self",
                "market_order_no": None,
                "member_id": member_id or "",
                "member_email": buyer_email if member_id else "",
                "member_authentication": "T" if member_id else "F",
                "customer_group_no_when_ordering": group_no,
                "initial_order_amount": dict(amounts),
                "actual_order_amount": dict(amounts),
                "billing_name": buyer_name,
                "bank_code": "bank_04" if payment_method == "cash" else "",
                "payment_method": [payment_method],
                "payment_gateway_names": None,
                "paid": _flag(paid),
                "canceled": "F",
                "order_date": api_time(when),
                "first_order": _flag(first),
                "payment_date": api_time(when) if paid else None,
                "order_from_mobile": "F",
                "use_escrow": "F",
                "bank_account_no": "",
                "payment_amount": _money(total),
                "cancel_date": None,
                "order_place_name": "PC쇼핑몰",
                "order_place_id": "cafe24",
                "shipping_type": "A",
                "shipping_type_text": "국내배송",
                "shipping_status": "F",
                "wished_delivery_date": "",
                "wished_delivery_time": None,
                "return_confirmed_date": None,
                "store_pickup": "F",
                "easypay_name": "",
                "subscription": "F",
                "items": items,
                "buyer": {
                    "shop_no": 1,
                    "member_id": member_id or "",
                    "member_group_no": group_no,
                    "name": buyer_name,
                    "names_furigana": "",
                    "email": buyer_email,
                    "phone": "",
                    "cellphone": buyer_cellphone,
                    "customer_notification": None,
                    "updated_date": None,
                    "user_id": None,
                    "user_name": None,
                },
            }
            self.orders[order_id] = _History()
            self.orders[order_id].put(when, order)
            return self._webhook(ORDER_PLACED, self._order_event(order))

    def _order_event(self, order: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """An order event's resource (90023-90029 share these fields, store-platforms.md §1.3)."""
        buyer = order["buyer"]
        amount = order["actual_order_amount"]
        items = order["items"]
        return {
            "order_id": order["order_id"],
            "payment_gateway_name": "",
            "currency": "KRW",
            "order_date": order["order_date"],
            "order_place_name": order["order_place_name"],
            "member_id": order["member_id"],
            "member_authentication": order["member_authentication"],
            "buyer_name": buyer["name"],
            "buyer_email": buyer["email"],
            "buyer_phone": buyer["phone"],
            "buyer_cellphone": buyer["cellphone"],
            "group_no_when_ordering": str(order["customer_group_no_when_ordering"]),
            "first_order": order["first_order"],
            "order_from_mobile": order["order_from_mobile"],
            "paid": order["paid"],
            "payment_date": order["payment_date"],
            "billing_name": order["billing_name"],
            "bank_code": order["bank_code"],
            "payment_method": ",".join(order["payment_method"]),
            "easypay_name": "",
            "use_escrow": "F",
            "bank_account_no": order["bank_account_no"],
            "order_price_amount": amount["order_price_amount"],
            "membership_discount_amount": "0.00",
            "actual_payment_amount": amount["payment_amount"],
            "mileage_spent_amount": "0.00",
            "shipping_fee": amount["shipping_fee"],
            "shipping_type": "01",
            "shipping_status": order["shipping_status"],
            "wished_delivery_date": "",
            "wished_delivery_time": None,
            "store_pickup": "F",
            "shipping_message": "",
            "order_place_id": order["order_place_id"],
            "ordering_product_code": ",".join(str(i["product_code"]) for i in items),
            "ordering_product_name": ",".join(str(i["product_name"]) for i in items),
            **extra,
        }

    def _claim_fields(self, order: dict[str, Any]) -> dict[str, Any]:
        return {
            "cancel_date": order["cancel_date"],
            "return_confirmed_date": order["return_confirmed_date"],
            "included_deferpay_order": "F",
            "deferpay_order_id": "",
            "withdraw": "F",
            "withdraw_type": "",
        }

    def _change(
        self, order_id: str, when: datetime, change: Callable[[dict[str, Any]], None]
    ) -> dict[str, Any]:
        order = self._order(order_id)
        change(order)
        self.orders[order_id].put(when, order)
        return order

    def confirm_deposit(self, order_id: str, at: datetime | None = None) -> dict[str, Any]:
        """The bank transfer (무통장) arrives: paid "T", `payment_date`, items N00 → N10; 90025."""
        when = self._when(at)

        def paid(order: dict[str, Any]) -> None:
            if order["paid"] == "T" or order["canceled"] == "T":
                raise ValueError(f"order {order_id} is paid or canceled already")
            order["paid"], order["payment_date"] = "T", api_time(when)
            order["actual_order_amount"]["total_amount_due"] = "0.00"
            for item in order["items"]:
                item["order_status"], item["status_text"] = "N10", "상품준비중"

        with self._lock:
            order = self._change(order_id, when, paid)
            buyer = order["buyer"]
            return self._webhook(
                DEPOSIT_CHANGED,
                self._order_event(
                    order,
                    receiver_name=buyer["name"],
                    receiver_phone="",
                    receiver_cellphone=buyer["cellphone"],
                    receiver_zipcode="",
                    receiver_address_full="",
                    initial_order_amount=order["initial_order_amount"]["payment_amount"],
                    inflow_trace_id=None,
                    withdraw="F",
                    supplier_code="S0000000",
                    extra_info=[
                        {"ord_item_code": i["order_item_code"], "supplier_code": "S0000000"}
                        for i in order["items"]
                    ],
                ),
            )

    def ship(
        self,
        order_ids: list[str] | str,
        at: datetime | None = None,
        *,
        company: str = "CJ대한통운",
        company_code: str = "0006",
        tracking_prefix: str = "6012",
        tracking_no: str | None = None,
        bulk: bool = False,
    ) -> list[dict[str, Any]]:
        """The orders leave the warehouse: items N30 with `shipped_date`, `tracking_no` (`tracking_no`, or
        one numbered after `tracking_prefix` per order), `shipping_code` and the carrier's id, name and code
        (orders/items: all per item, as the Admin API answers them), `shipping_status` "M". One 90024 per
        order, or with `bulk` one 90071 whose `order_id` joins them with commas (as the admin's bulk status
        change does)."""
        ids = [order_ids] if isinstance(order_ids, str) else list(order_ids)
        when = self._when(at)
        with self._lock:
            shipped = []
            for order_id in ids:
                self._tracking += 1
                tracking = tracking_no or f"{tracking_prefix}{self._tracking:08d}"

                def ship_one(order: dict[str, Any], tracking: str = tracking) -> None:
                    if order["paid"] != "T" or order["canceled"] == "T":
                        raise ValueError(f"order {order['order_id']} is unpaid or canceled: it cannot ship")
                    order["shipping_status"] = "M"
                    for item in order["items"]:
                        if item["order_status"].startswith("N"):
                            item.update(
                                order_status="N30",
                                status_text="배송중",
                                shipped_date=item_time(when),
                                tracking_no=tracking,
                                shipping_code=f"D-{order['order_id']}-00",
                                shipping_company_id="2",
                                shipping_company_name=company,
                                shipping_company_code=company_code,
                            )

                shipped.append(self._change(order_id, when, ship_one))
            if bulk:
                return [
                    self._webhook(
                        BULK_SHIPPING_CHANGED,
                        {"order_id": ",".join(ids), "included_deferpay_order": "F", "deferpay_order_id": ""},
                    )
                ]
            return [
                self._webhook(SHIPPING_CHANGED, self._order_event(o, **self._claim_fields(o)))
                for o in shipped
            ]

    def deliver(self, order_id: str, at: datetime | None = None) -> dict[str, Any]:
        """The carrier delivers: items N40 with `delivered_date`, `shipping_status` "T"; 90024."""
        when = self._when(at)

        def delivered(order: dict[str, Any]) -> None:
            if order["shipping_status"] != "M":
                raise ValueError(f"order {order_id} is not in transit")
            order["shipping_status"] = "T"
            for item in order["items"]:
                if item["order_status"] == "N30":
                    item.update(order_status="N40", status_text="배송완료", delivered_date=item_time(when))

        with self._lock:
            order = self._change(order_id, when, delivered)
            return self._webhook(SHIPPING_CHANGED, self._order_event(order, **self._claim_fields(order)))

    def cancel(self, order_id: str, at: datetime | None = None) -> dict[str, Any]:
        """The whole order is canceled before it ships: `canceled` "T", `cancel_date`; a paid order's items
        C40 (취소완료, refunded: `refund_date`), an unpaid one's C48 (입금전취소); 90026."""
        when = self._when(at)

        def canceled(order: dict[str, Any]) -> None:
            if order["canceled"] == "T" or order["shipping_status"] != "F":
                raise ValueError(f"order {order_id} is canceled or shipped already")
            paid = order["paid"] == "T"
            order["canceled"], order["cancel_date"] = "T", api_time(when)
            order["actual_order_amount"] = _amounts(Decimal(0), Decimal(0), due=Decimal(0))
            for item in order["items"]:
                item.update(
                    order_status="C40" if paid else "C48",
                    status_code="C2" if paid else "C1",
                    status_text="취소완료" if paid else "입금전취소",
                    cancel_request_date=item_time(when),
                    cancel_date=item_time(when),
                    refund_date=item_time(when) if paid else None,
                    claim_quantity=item["quantity"],
                )

        with self._lock:
            order = self._change(order_id, when, canceled)
            return self._webhook(CANCEL_CHANGED, self._order_event(order, cancel_date=order["cancel_date"]))

    def return_items(
        self, order_id: str, at: datetime | None = None, item_codes: list[str] | None = None, reason: str = ""
    ) -> dict[str, Any]:
        """The buyer returns delivered items (all, or `item_codes`), accepted at once: items R10 with
        `return_request_date`; 90027. `refund` completes it."""
        when = self._when(at)

        def returned(order: dict[str, Any]) -> None:
            chosen = [i for i in order["items"] if item_codes is None or i["order_item_code"] in item_codes]
            if not chosen or any(i["order_status"] not in ("N30", "N40", "N50") for i in chosen):
                raise ValueError(f"order {order_id}: only shipped items can be returned")
            for item in chosen:
                item.update(
                    order_status="R10",
                    status_code="C3",
                    status_text="반품접수",
                    return_request_date=item_time(when),
                    claim_reason_type="A",
                    claim_reason=reason,
                    claim_quantity=item["quantity"],
                )

        with self._lock:
            order = self._change(order_id, when, returned)
            return self._webhook(
                RETURN_CHANGED,
                self._order_event(
                    order,
                    cancel_date=order["cancel_date"],
                    claim_reason_type="A",
                    claim_reason=reason,
                    claim_reason_type_text="고객변심",
                ),
            )

    def refund(self, order_id: str, at: datetime | None = None) -> dict[str, Any]:
        """The returned items come back and are refunded: R40 (반품완료-환불완료) with `refund_date` and
        `return_confirmed_date`, the order's `return_confirmed_date` and actual amounts lowered; 90029."""
        when = self._when(at)

        def refunded(order: dict[str, Any]) -> None:
            returning = [i for i in order["items"] if i["order_status"] == "R10"]
            if not returning:
                raise ValueError(f"order {order_id} has no returned item to refund")
            back = Decimal(0)
            for item in returning:
                item.update(
                    order_status="R40",
                    status_text="반품완료",
                    return_collected_date=item_time(when),
                    return_confirmed_date=item_time(when),
                    refund_date=item_time(when),
                )
                back += Decimal(item["payment_amount"])
            amounts = order["actual_order_amount"]
            for key in ("order_price_amount", "payment_amount"):
                amounts[key] = _money(Decimal(amounts[key]) - back)
            order["return_confirmed_date"] = api_time(when)

        with self._lock:
            order = self._change(order_id, when, refunded)
            return self._webhook(
                REFUND_CHANGED,
                self._order_event(
                    order,
                    cancel_date=order["cancel_date"],
                    return_confirmed_date=order["return_confirmed_date"],
                ),
            )

    # ------------------------------------------------------------ the Admin API's answers

    def answer(self, resource: str, params: dict[str, str], now: datetime) -> tuple[int, object]:
        """A GET under /api/v2/admin/ as the mall stood at `now`: (status, body)."""
        parts = resource.strip("/").split("/")
        root, rest = parts[0], parts[1:]
        if root == "orders":
            if not rest:
                return self._list_orders(params, now)
            order = self._seen(self.orders, rest[0], now)
            if order is None:
                return 404, _not_found(f"order {rest[0]}")
            if len(rest) == 1:
                return 200, {"order": _embedded(order, params, ("items", "buyer"))}
            if len(rest) == 2 and rest[1] in ("items", "buyer"):
                return 200, {rest[1]: order[rest[1]]}
        elif root == "customersprivacy":
            if not rest:
                return self._list_members(params, now)
            if len(rest) == 1:
                member = self._seen(self.members, rest[0], now)
                if member is None:
                    return 404, _not_found(f"member {rest[0]}")
                return 200, {"customersprivacy": member}
        elif root == "products":
            if not rest:
                return self._list_products(params, now)
            product = self._seen(self.products, rest[0], now)
            if product is None:
                return 404, _not_found(f"product {rest[0]}")
            if len(rest) == 1:
                return 200, {"product": _embedded(product, params, ("variants",))}
            if len(rest) == 2 and rest[1] == "variants":
                return 200, {"variants": product["variants"]}
        return 404, {"error": {"code": 404, "message": "Cannot locate API.", "more_info": {}}}

    # The stored versions themselves, not copies: an answer is serialized to JSON before it leaves the
    # emulator, and nothing on the way changes it (a copy of every order per list call was most of a month).
    @staticmethod
    def _seen(records: dict[str, _History], key: str, now: datetime) -> dict[str, Any] | None:
        history = records.get(key)
        return history.at(now) if history else None

    def _all(self, records: dict[str, _History], now: datetime) -> list[dict[str, Any]]:
        return [r for h in records.values() if (r := h.at(now)) is not None]

    def _list_orders(self, params: dict[str, str], now: datetime) -> tuple[int, object]:
        try:
            page, offset = _paging(params, ORDERS_LIMIT, ORDERS_OFFSET, default=10)
            ids = [i for i in params.get("order_id", "").split(",") if i]
            window = _window(params, "start_date", "end_date", required=not ids)
            date_type = params.get("date_type", "order_date")
            if date_type not in ORDER_DATE_TYPES:
                raise _Invalid(f"date_type must be one of {', '.join(ORDER_DATE_TYPES)}")
        except _Invalid as invalid:
            return 422, _invalid(str(invalid))
        orders = self._all(self.orders, now)
        if ids:
            orders = [o for o in orders if o["order_id"] in ids]
        for name in ("member_id", "order_status"):
            if params.get(name):
                wanted = set(params[name].split(","))
                orders = [
                    o
                    for o in orders
                    if o.get(name) in wanted or any(i.get(name) in wanted for i in o.get("items", []))
                ]
        if window is not None:
            start, end = window
            orders = [o for o in orders if any(start <= d <= end for d in _order_days(o, date_type))]
        orders.sort(key=lambda o: (min(_order_days(o, date_type), default=date.min), str(o["order_id"])))
        listed = [_embedded(o, params, ("items", "buyer")) for o in orders[offset : offset + page]]
        return 200, {"orders": listed, "links": self._links("orders", params, page, offset, len(orders))}

    def _list_members(self, params: dict[str, str], now: datetime) -> tuple[int, object]:
        try:
            page, offset = _paging(params, MEMBERS_LIMIT, MEMBERS_OFFSET, default=30)
            window = _window(params, "start_date", "end_date", required=False, months_cap=False)
            date_type = params.get("date_type", "join")
            if date_type not in MEMBER_DATE_TYPES:
                raise _Invalid(f"date_type must be one of {', '.join(MEMBER_DATE_TYPES)}")
        except _Invalid as invalid:
            return 422, _invalid(str(invalid))
        members = self._all(self.members, now)
        for name in ("member_id", "sms", "news_mail", "group_no"):
            if params.get(name):
                wanted = set(params[name].split(","))
                members = [m for m in members if str(m.get(name)) in wanted]
        field_of = {"join": "created_date", "login": "last_login_date", "age": "birthday"}
        if window is not None:
            start, end = window
            key = field_of.get(date_type, "")
            members = [m for m in members if m.get(key) and start <= _korea_day(str(m[key])) <= end]
        members.sort(key=lambda m: (str(m["created_date"]), str(m["member_id"])))
        return 200, {"customersprivacy": members[offset : offset + page]}

    def _list_products(self, params: dict[str, str], now: datetime) -> tuple[int, object]:
        try:
            page, offset = _paging(params, PRODUCTS_LIMIT, PRODUCTS_OFFSET, default=10)
            updated = _window(
                params, "updated_start_date", "updated_end_date", required=False, months_cap=False
            )
            created = _window(
                params, "created_start_date", "created_end_date", required=False, months_cap=False
            )
        except _Invalid as invalid:
            return 422, _invalid(str(invalid))
        products = self._all(self.products, now)
        if params.get("product_no"):
            wanted = set(params["product_no"].split(","))
            products = [p for p in products if str(p["product_no"]) in wanted]
        for name in ("display", "selling"):
            if params.get(name):
                products = [p for p in products if p[name] == params[name]]
        for window, key in ((updated, "updated_date"), (created, "created_date")):
            if window is not None:
                products = [p for p in products if window[0] <= _korea_day(str(p[key])) <= window[1]]
        products.sort(key=lambda p: int(p["product_no"]))
        listed = [_embedded(p, params, ("variants",)) for p in products[offset : offset + page]]
        return 200, {
            "products": listed,
            "links": self._links("products", params, page, offset, len(products)),
        }

    def _links(
        self, path: str, params: dict[str, str], page: int, offset: int, total: int
    ) -> list[dict[str, str]]:
        """The `links` Cafe24 adds to a list answer (rel previous/next, as in its samples)."""
        base = f"https://{self.mall_id}{HOST_SUFFIX}/api/v2/admin/{path}"
        links = []
        if offset > 0:
            previous = {**params, "offset": str(max(0, offset - page))}
            links.append({"rel": "previous", "href": f"{base}?{urlencode(previous)}"})
        if offset + page < total:
            links.append(
                {"rel": "next", "href": f"{base}?{urlencode({**params, 'offset': str(offset + page)})}"}
            )
        return links


class _Invalid(ValueError):
    pass


def _invalid(message: str) -> dict[str, object]:
    return {"error": {"code": 422, "message": message, "more_info": {}}}


def _not_found(what: str) -> dict[str, object]:
    return {"error": {"code": 404, "message": f"No data found: {what}.", "more_info": {}}}


def _amounts(goods: Decimal, fee: Decimal, *, due: Decimal) -> dict[str, str]:
    """An order's amounts object (initial_order_amount / actual_order_amount in orders.d.ts)."""
    zero = "0.00"
    return {
        "order_price_amount": _money(goods),
        "shipping_fee": _money(fee),
        "points_spent_amount": zero,
        "credits_spent_amount": zero,
        "coupon_discount_price": zero,
        "coupon_shipping_fee_amount": zero,
        "membership_discount_amount": zero,
        "shipping_fee_discount_amount": zero,
        "set_product_discount_amount": zero,
        "app_discount_amount": zero,
        "point_incentive_amount": zero,
        "total_amount_due": _money(due),
        "payment_amount": _money(goods + fee),
        "market_other_discount_amount": zero,
        "tax": zero,
    }


def _embedded(record: dict[str, Any], params: dict[str, str], embeddable: tuple[str, ...]) -> dict[str, Any]:
    """A record with only the sub-resources `embed` asks for."""
    embed = set(params.get("embed", "").split(","))
    return {k: v for k, v in record.items() if k not in embeddable or k in embed}


def _paging(params: dict[str, str], most: int, max_offset: int, default: int) -> tuple[int, int]:
    try:
        page = int(params.get("limit", str(default)))
        offset = int(params.get("offset", "0"))
    except ValueError:
        raise _Invalid("limit and offset must be numbers") from None
    if not 1 <= page <= most:
        raise _Invalid(f"limit must be between 1 and {most}")
    if not 0 <= offset <= max_offset:
        raise _Invalid(f"offset must be between 0 and {max_offset}")
    return page, offset


def _window(
    params: dict[str, str], start_name: str, end_name: str, *, required: bool, months_cap: bool = True
) -> tuple[date, date] | None:
    start_text, end_text = params.get(start_name), params.get(end_name)
    if not start_text and not end_text:
        if required:
            raise _Invalid(f"{start_name} and {end_name} (YYYY-MM-DD) are required")
        return None
    if not start_text or not end_text:
        raise _Invalid(f"{start_name} and {end_name} must be used together")
    try:
        start, end = _korea_day(start_text), _korea_day(end_text)
    except ValueError:
        raise _Invalid(f"{start_name} and {end_name} must be dates (YYYY-MM-DD)") from None
    if end < start:
        raise _Invalid(f"{end_name} is before {start_name}")
    if months_cap and (end - start).days > WINDOW_DAYS:
        raise _Invalid("the search period may not be longer than 3 months")
    return start, end


def _order_days(order: dict[str, Any], date_type: str) -> list[date]:
    """The Korea dates an order has for a `date_type` (any one in the window finds it)."""
    items = order.get("items") or []
    order_field = {"order_date": "order_date", "pay_date": "payment_date", "cancel_date": "cancel_date"}
    item_field = {
        "shipbegin_date": "shipped_date",
        "shipend_date": "delivered_date",
        "cancel_request_date": "cancel_request_date",
        "cancel_accept_date": "cancel_date",
        "cancel_complete_date": "cancel_date",
        "return_request_date": "return_request_date",
        "return_accept_date": "return_request_date",
        "return_complete_date": "return_confirmed_date",
        "exchange_request_date": "exchange_request_date",
        "exchange_complete_date": "exchange_date",
        "purchaseconfirmation_date": "purchaseconfirmation_date",
    }
    texts: list[Any] = [order.get(date_type)]  # an order put in whole (add_order) may carry the type's name
    if date_type in order_field:
        texts.append(order.get(order_field[date_type]))
    if date_type in item_field:
        texts.extend(item.get(item_field[date_type]) for item in items if isinstance(item, dict))
    days = []
    for text in texts:
        if isinstance(text, str) and text:
            try:
                days.append(_korea_day(text))
            except ValueError:
                continue
    return days


class Cafe24Emulator:
    def __init__(self, now: Callable[[], datetime], apps: list[Cafe24App], malls: list[str]) -> None:
        self.now = now
        self.apps = {app.client_id: app for app in apps}
        self._lock = threading.RLock()
        self.malls = {mall_id: Cafe24Mall(mall_id, now, self._lock) for mall_id in malls}
        self._codes: dict[str, _Grant] = {}
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self.calls: list[tuple[str, str]] = []  # (method, url path) of every request, for the tests
        # Codes and tokens from a seeded generator: Nudge keeps them in its tables, and the same month must
        # leave the same tables (tests/e2e/test_month_determinism.py). Only ever local, never a real secret.
        self._random = random.Random("nudge-local-cafe24")

    def _secret(self, nbytes: int) -> str:
        return base64.urlsafe_b64encode(self._random.randbytes(nbytes)).rstrip(b"=").decode()

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

    def mall(self, mall_id: str) -> Cafe24Mall:
        """The mall the demo and the tests drive (its members, products and orders, and the webhooks)."""
        return self.malls[mall_id]

    def add_order(self, mall_id: str, order: dict[str, Any]) -> None:
        """An order put in whole, as the Admin API should answer it, visible from always (tests that need
        one exact answer; `mall(…).place_order` builds real-shaped ones)."""
        with self._lock:
            history = _History()
            history.put(None, order)
            self.malls[mall_id].orders[str(order["order_id"])] = history

    def expire_refresh_tokens(self, mall_id: str) -> None:
        """What two weeks without a refresh does (or the merchant removing the app)."""
        with self._lock:
            for token, grant in list(self._refresh.items()):
                if grant.mall_id == mall_id:
                    grant.expires = self.now() - timedelta(seconds=1)
                    self._refresh[token] = grant

    def revoke(self, mall_id: str) -> None:
        """Every token of the mall stops working at once (the app removed, or its tokens revoked): the Admin
        API answers 401 and a refresh `invalid_grant`, until the app is installed again."""
        with self._lock:
            for tokens in (self._access, self._refresh):
                for token in [t for t, grant in tokens.items() if grant.mall_id == mall_id]:
                    del tokens[token]

    def grant(self, mall_id: str, client_id: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        """Tokens for an app on a mall without the consent round trip (unit tests of Admin API clients):
        the token endpoint's answer."""
        with self._lock:
            now = self.now()
            access, refresh = self._secret(24), self._secret(24)
            self._access[access] = _Grant(mall_id, client_id, scopes, now + ACCESS_LIFETIME)
            self._refresh[refresh] = _Grant(mall_id, client_id, scopes, now + REFRESH_LIFETIME)
            return {
                "access_token": access,
                "expires_at": local_time(now + ACCESS_LIFETIME),
                "refresh_token": refresh,
                "refresh_token_expires_at": local_time(now + REFRESH_LIFETIME),
                "mall_id": mall_id,
                "scopes": list(scopes),
            }

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

    def _authorize(self, mall: Cafe24Mall, params: dict[str, str]) -> Answer:
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
        code = self._secret(16)
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

    def _token(self, mall: Cafe24Mall, headers: Mapping[str, str], body: bytes) -> Answer:
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
        access, refresh = self._secret(24), self._secret(24)
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
        self, mall: Cafe24Mall, method: str, resource: str, params: dict[str, str], headers: Mapping[str, str]
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
        scope = SCOPE_OF.get(resource.split("/", 1)[0])
        if scope is not None and scope not in grant.scopes:
            return _api_error(403, f"No authority to access ({scope})", limit)
        status, body = mall.answer(resource, params, now)
        return _json(status, body, limit)

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
