"""Real-shaped storefront requests: Cafe24 and Shopify webhooks, Nudge-format events and tracker batches,
signed the way each platform signs them. The storyline, the tests, the benchmarks and events/ use these.

Customer data here is invented (phone numbers in the 010-0000-xxxx test range are not real).
"""

import base64
import hashlib
import hmac
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nudge.ingest.identity import member_token
from nudge.ingest.platforms.nudge_json import signature as nudge_signature
from nudge.stores import SECRET_NAMES
from nudge_local.runtime.stores import DOGDAY, MAPLE


@dataclass(frozen=True)
class SampleRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    label: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def _dump(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _kst(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


# ---------------------------------------------------------------- Cafe24


def cafe24_request(
    event_no: int,
    resource: dict[str, Any],
    *,
    api_key: str | None = None,
    store_id: str = DOGDAY.store.store_id,
    label: str = "",
) -> SampleRequest:
    key = api_key if api_key is not None else DOGDAY.secrets["cafe24-api-key"]
    payload = {"event_no": event_no, "resource": {"mall_id": "dogdaymall", "event_shop_no": "1", **resource}}
    headers = {"content-type": "application/json", "user-agent": "Cafe24-Webhook"}
    if key:
        headers["x-api-key"] = key
    return SampleRequest(
        "POST", f"/webhooks/cafe24/{store_id}", headers, _dump(payload), label or f"cafe24 {event_no}"
    )


def cafe24_member_joined(
    member_id: str, name: str, phone: str, at: datetime, sms: bool, news_mail: bool, **kw: Any
) -> SampleRequest:
    return cafe24_request(
        90032,
        {
            "member_id": member_id,
            "name": name,
            "cellphone": phone,
            "email": f"{member_id}@example.com",
            "sms": "T" if sms else "F",
            "news_mail": "T" if news_mail else "F",
            "created_date": _kst(at),
            "group_no": "1",
        },
        label="cafe24 90032 member joined",
        **kw,
    )


def cafe24_login(member_id: str, **kw: Any) -> SampleRequest:
    return cafe24_request(90143, {"member_id": member_id}, label="cafe24 90143 login", **kw)


def cafe24_member_changed(
    member_id: str, *, sms: bool | None = None, phone: str | None = None, **kw: Any
) -> SampleRequest:
    resource: dict[str, Any] = {"member_id": member_id}
    if sms is not None:
        resource["sms"] = "T" if sms else "F"
    if phone is not None:
        resource["cellphone"] = phone
    return cafe24_request(90080, resource, label="cafe24 90080 member changed", **kw)


def cafe24_added_to_cart(member_id: str, product_no: int, quantity: int = 1, **kw: Any) -> SampleRequest:
    return cafe24_request(
        90084,
        {
            "member_id": member_id,
            "product_no": product_no,
            "variant_code": f"P{product_no:07d}000A",
            "quantity": quantity,
        },
        label="cafe24 90084 added to cart",
        **kw,
    )


def cafe24_order_placed(
    order_id: str,
    member_id: str,
    at: datetime,
    amount: int,
    products: list[str],
    *,
    paid: bool = True,
    buyer_name: str = "김민지",
    buyer_phone: str = "010-0000-1001",
    **kw: Any,
) -> SampleRequest:
    return cafe24_request(
        90023,
        {
            "order_id": order_id,
            "order_date": _kst(at),
            "member_id": member_id,
            "buyer_name": buyer_name,
            "buyer_cellphone": buyer_phone,
            "buyer_email": f"{member_id or 'guest'}@example.com",
            "paid": "T" if paid else "F",
            "payment_method": "card" if paid else "cash",
            "order_price_amount": f"{amount + 3000}.00",
            "actual_payment_amount": f"{amount}.00",
            "first_order": "F",
            "shipping_status": "F",
            "order_place_id": "self",
            "ordering_product_code": ",".join(products),
            "ordering_product_name": "강아지 간식 세트",
        },
        label="cafe24 90023 order placed",
        **kw,
    )


def cafe24_shipping(order_id: str, member_id: str, status: str, **kw: Any) -> SampleRequest:
    return cafe24_request(
        90024,
        {
            "order_id": order_id,
            "member_id": member_id,
            "shipping_status": status,
            "shipping_company_code": "0001",
            "tracking_no": "6012345678901",
        },
        label=f"cafe24 90024 shipping status {status}",
        **kw,
    )


# ---------------------------------------------------------------- Shopify


def shopify_request(
    topic: str,
    payload: dict[str, Any],
    event_id: str,
    *,
    secret: str | None = None,
    store_id: str = MAPLE.store.store_id,
    triggered_at: datetime | None = None,
    label: str = "",
) -> SampleRequest:
    body = _dump(payload)
    key = secret if secret is not None else MAPLE.secrets["shopify-client-secret"]
    digest = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "content-type": "application/json",
        "x-shopify-topic": topic,
        "x-shopify-hmac-sha256": digest,
        "x-shopify-shop-domain": "maple-goods.myshopify.com",
        "x-shopify-event-id": event_id,
        "x-shopify-webhook-id": f"wh-{event_id}",
        "x-shopify-api-version": "2026-07",
    }
    if triggered_at is not None:
        headers["x-shopify-triggered-at"] = triggered_at.isoformat()
    return SampleRequest("POST", f"/webhooks/shopify/{store_id}", headers, body, label or f"shopify {topic}")


def shopify_customer(
    customer_id: int, first: str, last: str, phone: str, at: datetime, sms: str = "subscribed"
) -> dict[str, Any]:
    return {
        "id": customer_id,
        "first_name": first,
        "last_name": last,
        "phone": phone,
        "email": f"c{customer_id}@example.com",
        "created_at": at.isoformat(),
        "updated_at": at.isoformat(),
        "sms_marketing_consent": {
            "state": sms,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": at.isoformat(),
            "consent_collected_from": "SHOPIFY",
        },
        "email_marketing_consent": {
            "state": "not_subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": None,
        },
    }


def shopify_order(
    order_id: int,
    customer: dict[str, Any],
    at: datetime,
    lines: list[tuple[int, int, str]],
    *,
    financial_status: str = "paid",
    checkout_token: str | None = None,
) -> dict[str, Any]:
    total = sum(q * float(p) for _, q, p in lines)
    return {
        "id": order_id,
        "name": f"#{order_id % 10000}",
        "email": customer.get("email"),
        "phone": None,
        "created_at": at.isoformat(),
        "updated_at": at.isoformat(),
        "processed_at": at.isoformat(),
        "cancelled_at": None,
        "financial_status": financial_status,
        "currency": "KRW",
        "total_price": f"{total:.2f}",
        "checkout_token": checkout_token,
        "customer": customer,
        "line_items": [
            {
                "id": order_id * 10 + i,
                "product_id": pid,
                "variant_id": pid * 10,
                "quantity": q,
                "price": p,
                "title": "메이플 머그컵",
            }
            for i, (pid, q, p) in enumerate(lines)
        ],
    }


def shopify_fulfillment(
    fulfillment_id: int, order_id: int, at: datetime, shipment_status: str | None
) -> dict:
    return {
        "id": fulfillment_id,
        "order_id": order_id,
        "status": "success",
        "shipment_status": shipment_status,
        "created_at": at.isoformat(),
        "updated_at": at.isoformat(),
        "tracking_company": "CJ대한통운",
        "tracking_number": "6012345678901",
        "name": f"#{order_id % 10000}.1",
    }


def shopify_refund(
    refund_id: int,
    order: dict[str, Any],
    at: datetime,
    lines: list[tuple[int, int]] | None = None,
    *,
    amount: str | None = None,
    status: str = "success",
) -> dict[str, Any]:
    """`refunds/create`: a refund of `order` (a `shopify_order` payload), shaped as Shopify's REST Refund
    resource. `lines`: (index of the order's line, quantity) returned; None: every line in full. `amount`: the
    money the refund transaction returns; None: the returned lines' subtotal."""
    order_lines = order["line_items"]
    if lines is None:
        returned = [(li, li["quantity"]) for li in order_lines]
    else:
        returned = [(order_lines[i], q) for i, q in lines]
    subtotal = sum(q * float(li["price"]) for li, q in returned)
    money = amount if amount is not None else f"{subtotal:.2f}"
    return {
        "id": refund_id,
        "order_id": order["id"],
        "created_at": at.isoformat(),
        "processed_at": at.isoformat(),
        "note": "단순 변심 반품",
        "restock": True,
        "user_id": None,
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
        "refund_line_items": [
            {
                "id": refund_id * 10 + n,
                "quantity": q,
                "line_item_id": li["id"],
                "location_id": None,
                "restock_type": "return",
                "subtotal": round(q * float(li["price"]), 2),
                "total_tax": 0.0,
                "line_item": {k: li[k] for k in ("id", "product_id", "variant_id", "quantity", "price")},
            }
            for n, (li, q) in enumerate(returned)
        ],
        "transactions": [
            {
                "id": refund_id * 100,
                "order_id": order["id"],
                "kind": "refund",
                "gateway": "shopify_payments",
                "status": status,
                "amount": money,
                "currency": order.get("currency", "KRW"),
                "created_at": at.isoformat(),
                "processed_at": at.isoformat(),
                "parent_id": order["id"] * 100,
            }
        ],
        "order_adjustments": [],
        "duties": [],
    }


def shopify_checkout(
    token: str,
    customer: dict[str, Any],
    at: datetime,
    lines: list[tuple[int, int, str]],
    completed_at: datetime | None = None,
) -> dict[str, Any]:
    total = sum(q * float(p) for _, q, p in lines)
    return {
        "id": zlib.crc32(token.encode()),
        "token": token,
        "cart_token": f"cart-{token}",
        "email": customer.get("email"),
        "phone": customer.get("phone"),
        "created_at": at.isoformat(),
        "updated_at": at.isoformat(),
        "completed_at": completed_at.isoformat() if completed_at else None,
        "total_price": f"{total:.2f}",
        "currency": "KRW",
        "customer": customer,
        "abandoned_checkout_url": f"https://maple-goods.myshopify.com/checkouts/{token}/recover",
        "line_items": [
            {"product_id": pid, "variant_id": pid * 10, "quantity": q, "price": p} for pid, q, p in lines
        ],
    }


# ---------------------------------------------------------------- Nudge format and tracker


def nudge_request(
    envelope: dict[str, Any],
    sent_at: datetime,
    *,
    secret: str | None = None,
    store_id: str = DOGDAY.store.store_id,
    label: str = "",
) -> SampleRequest:
    body = _dump(envelope)
    key = secret if secret is not None else DOGDAY.secrets["nudge-signing-secret"]
    timestamp = str(int(sent_at.timestamp()))
    headers = {
        "content-type": "application/json",
        "x-nudge-timestamp": timestamp,
        "x-nudge-signature": nudge_signature(key, timestamp, body),
    }
    return SampleRequest(
        "POST", f"/webhooks/nudge/{store_id}", headers, body, label or f"nudge {envelope.get('type')}"
    )


# When a sample's member token expires unless it says (`token_expires`): the tests replay their requests at
# any simulated time, before this.
MEMBER_TOKEN_EXPIRES = datetime(2099, 12, 31, tzinfo=UTC)


def tracker_request(
    visitor_id: str,
    events: list[dict[str, Any]],
    *,
    member_id: str | None = None,
    write_key: str | None = None,
    store_id: str = DOGDAY.store.store_id,
    origin: str = "https://dogday.example",
    content_type: str = "text/plain",
    token_expires: datetime | None = None,
) -> SampleRequest:
    """A tracker batch; with a member id, the member token the store's page carries for that member (made
    with the store's tracker identity secret, as the store's server makes it: nudge.ingest.identity)."""
    store = {local.store.store_id: local for local in (DOGDAY, MAPLE)}.get(store_id, DOGDAY)
    token = None
    if member_id is not None:
        secret = store.secrets[SECRET_NAMES["tracker"]]
        token = member_token(secret, store_id, member_id, token_expires or MEMBER_TOKEN_EXPIRES)
    body = {
        "write_key": write_key if write_key is not None else store.store.tracker_write_key,
        "visitor_id": visitor_id,
        "member_id": member_id,
        "member_token": token,
        "events": events,
    }
    headers = {"content-type": content_type, "origin": origin}
    return SampleRequest("POST", f"/collect/{store_id}", headers, _dump(body), "tracker batch")


def with_body(request: SampleRequest, body: bytes) -> SampleRequest:
    """The same request carrying another body, signed again the way its platform signs (Shopify's HMAC,
    the Nudge signature), so a mutated body still reaches the parsers."""
    headers = dict(request.headers)
    if "x-shopify-hmac-sha256" in headers:
        shopify_secret = MAPLE.secrets["shopify-client-secret"].encode()
        headers["x-shopify-hmac-sha256"] = base64.b64encode(
            hmac.new(shopify_secret, body, hashlib.sha256).digest()
        ).decode()
    if "x-nudge-signature" in headers:
        nudge_secret = DOGDAY.secrets["nudge-signing-secret"]
        headers["x-nudge-signature"] = nudge_signature(nudge_secret, headers["x-nudge-timestamp"], body)
    return SampleRequest(request.method, request.path, headers, body, request.label, request.meta)
