"""Shopify webhooks: the topic in `X-Shopify-Topic`, authenticated by a base64 HMAC-SHA256 of the raw body.

Verification follows shopify.dev (verify-deliveries): the HMAC is computed over the raw bytes before any
parsing and compared in constant time. Field names are Shopify's REST webhook payloads.

What is signed, and so what a delivery is: the HMAC covers the body and nothing else. `X-Shopify-Topic`,
`X-Shopify-Event-Id`, `X-Shopify-Webhook-Id`, `X-Shopify-Triggered-At` and `X-Shopify-Shop-Domain` are
headers anyone who captured one delivery can rewrite. So:
- a delivery is known by what its signed body says: the topic, the resource's id, its `updated_at` (or
  `created_at`) and a digest of the bytes (`_Signed.key`). Shopify retries with the original payload, so a
  retry has the same key; a captured body re-sent with another event id is a duplicate; two real changes of
  one order are two bodies (another `updated_at`, or other bytes within the same second);
- a body older than MAX_DELIVERY_AGE (its `updated_at`, or `created_at` for a */create topic) is no retry of
  Shopify's, which stop 4 hours after the event: it is acknowledged (200, `ignored`) and not applied. A 2xx,
  not a 4xx: Shopify counts every non-2xx answer as a failure, retries it and removes a subscription that
  keeps failing;
- the topic must agree with the body: an `orders/cancelled` body has its `cancelled_at`, an `orders/paid` one
  a paid `financial_status`, a `customers/redact` one its `shop_domain` and `orders_to_redact`; otherwise the
  body is some other topic's, re-sent under this one (`ignored`, or 400 for a redaction).
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from nudge.errors import FieldError, Forbidden, InvalidPayload, Unauthenticated
from nudge.http import read_json
from nudge.ingest.platforms.delivery import (
    Delivery,
    ErasureRequest,
    WebhookRequest,
    contact_phone,
    guest_customer_id,
    validate,
)
from nudge.privacy import phone_identity
from nudge.products.model import ProductRecord, inventory_item_record
from nudge.profiles.events import (
    CartLine,
    CartUpdated,
    CheckoutStarted,
    ConsentChanged,
    ConsentChannel,
    MemberDetails,
    MemberJoined,
    MemberUpdated,
    NormalizedEvent,
    OrderCanceled,
    OrderDelivered,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    Timestamp,
    delivery_event_id,
)
from nudge.stores import Store

MAX_EVENT_ID = 200  # Shopify's are UUIDs
SUBSCRIBED = "subscribed"  # sms_marketing_consent.state / email_marketing_consent.state
DELIVERED = "delivered"  # fulfillment shipment_status
# Shopify retries a failed delivery 8 times over 4 hours, always with the original payload (shopify.dev
# changelog "Updates to webhook retry mechanism", 2024-09-10; "Troubleshoot webhooks"; before that 19 times
# over 48 hours). A body whose own time is older than MAX_DELIVERY_AGE is not applied: six times the retry
# window, for Shopify's own delays and clocks; a replay inside it is a duplicate anyway (`_Signed.key`, kept
# 90 days by the delivery records).
RETRY_WINDOW = timedelta(hours=4)
MAX_DELIVERY_AGE = 6 * RETRY_WINDOW
PAID = frozenset({"paid", "partially_paid", "partially_refunded", "refunded"})  # order financial_status
REFUND_KIND, SUCCESS = "refund", "success"  # a refund's transactions: kind, status
MAX_RESOURCE_ID = 40  # characters of a resource id in a delivery key (Shopify's ids have 20 at most)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MarketingConsent(_Model):
    state: str
    consent_updated_at: Timestamp | None = None


class Customer(_Model):
    id: int | str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    sms_marketing_consent: MarketingConsent | None = None
    email_marketing_consent: MarketingConsent | None = None


class LineItem(_Model):
    product_id: int | str | None = None
    variant_id: int | str | None = None
    quantity: int = 1
    price: Decimal | None = None
    title: str | None = None  # the product's title (`name` adds the variant's)


class Order(_Model):
    id: int | str
    created_at: Timestamp
    updated_at: Timestamp | None = None
    processed_at: Timestamp | None = None
    cancelled_at: Timestamp | None = None
    email: str | None = None
    phone: str | None = None
    financial_status: str | None = None
    total_price: Decimal
    checkout_token: str | None = None
    customer: Customer | None = None
    line_items: list[LineItem] = []


class Fulfillment(_Model):
    id: int | str
    order_id: int | str
    status: str | None = None
    shipment_status: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    # The shipment (the fulfillments/create sample payload): one carrier for all its numbers; the number
    # and link given once, or as lists when the fulfillment has several (a message names the first).
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_numbers: list[str | None] = []
    tracking_url: str | None = None
    tracking_urls: list[str | None] = []

    def tracking(self) -> dict[str, str]:
        """OrderShipped's shipping fields, those this fulfillment gives (too long a value is left out)."""
        number = self.tracking_number or next((n for n in self.tracking_numbers if n), None)
        url = self.tracking_url or next((u for u in self.tracking_urls if u), None)
        given = {
            "shipping_company": (self.tracking_company, 100),
            "tracking_number": (number, 100),
            "tracking_url": (url, 2048),
        }
        return {k: v.strip() for k, (v, most) in given.items() if v and v.strip() and len(v.strip()) <= most}


class Checkout(_Model):
    token: str
    created_at: Timestamp
    updated_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    email: str | None = None
    phone: str | None = None
    total_price: Decimal | None = None
    abandoned_checkout_url: str | None = None
    customer: Customer | None = None
    line_items: list[LineItem] = []


class RefundLineItem(_Model):
    line_item_id: int | str | None = None
    quantity: int = 0
    subtotal: Decimal | None = None


class RefundTransaction(_Model):
    kind: str
    status: str | None = None
    amount: Decimal


class Refund(_Model):
    """`refunds/create`: the REST Refund resource (shopify.dev, REST Admin API, Refund): money given back
    (`transactions`, kind `refund`) and the line items returned, for the order `order_id`."""

    id: int | str
    order_id: int | str
    created_at: Timestamp
    processed_at: Timestamp | None = None
    refund_line_items: list[RefundLineItem]
    transactions: list[RefundTransaction]


class Variant(_Model):
    """A product's variant as products/create and products/update carry it (REST Product resource)."""

    price: Decimal | None = None
    compare_at_price: Decimal | None = None  # the "was" price: a sale when it is above `price`
    inventory_quantity: int | None = None  # units across locations (still in the webhook; shopify.dev forums)
    inventory_item_id: int | str | None = None
    inventory_policy: str | None = None  # "deny": not sold at 0; "continue": sold anyway
    inventory_management: str | None = None  # "shopify" when tracked (left out of webhooks since 2024-07)


class ProductImage(_Model):
    src: str | None = None


class Product(_Model):
    """products/create, products/update: the REST Product resource."""

    id: int | str
    title: str | None = None
    handle: str | None = None
    product_type: str | None = None
    status: str | None = None  # active | draft | archived (unlisted from 2025-10: reachable by its link)
    published_at: Timestamp | None = None  # null: not on the online store
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    variants: list[Variant] = []
    image: ProductImage | None = None
    images: list[ProductImage] = []


class InventoryLevel(_Model):
    """inventory_levels/update: one inventory item's units at one location (no product, no variant)."""

    inventory_item_id: int | str
    location_id: int | str | None = None
    available: int | None = None  # null: the item is not tracked
    updated_at: Timestamp


def _details(
    customer: Customer | None,
    not_kept: list[FieldError],
    phone: str | None = None,
    email: str | None = None,
    customer_field: str = "customer.",
) -> MemberDetails:
    """`customer_field`: where the customer's own fields are in the payload ("customer." in an order or a
    checkout, "" when the payload is the customer)."""
    if customer is None:
        return MemberDetails(phone=contact_phone(phone, "phone", not_kept), email=email)
    name = " ".join(p for p in (customer.first_name, customer.last_name) if p) or None
    # The customer's own number first; the order's or checkout's when that one is missing or not a mobile.
    mobile = contact_phone(customer.phone, f"{customer_field}phone", not_kept) or contact_phone(
        phone, "phone", not_kept
    )
    return MemberDetails(phone=mobile, name=name, email=customer.email or email)


def _customer_id(
    customer: Customer | None, phone: str | None, email: str | None, not_kept: list[FieldError]
) -> str | None:
    if customer is not None:
        return str(customer.id)
    contact_phone(phone, "phone", not_kept)  # what the profile keeps, and why not
    # Any real number tells the guest apart, a landline too, though only a mobile is kept to message.
    contact = (phone_identity(phone) if phone else None) or email
    return guest_customer_id(contact) if contact else None


def _product(line: LineItem) -> str | None:
    product = line.product_id if line.product_id is not None else line.variant_id
    return None if product is None else str(product)


@dataclass(frozen=True, slots=True)
class _Signed:
    """One delivery as its signed body identifies it (the module's docstring)."""

    topic: str
    body: bytes
    received_at: datetime

    def key(self, resource: int | str, version: datetime | None) -> str:
        """The delivery's key: the topic, the resource, its time and the body's digest; the same for every
        retry of one event, whatever its headers say."""
        at = "-" if version is None else version.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        digest = hashlib.sha256(self.body).hexdigest()[:16]
        return f"shopify:{self.topic}:{str(resource)[:MAX_RESOURCE_ID]}:{at}:{digest}"

    def stale(self, created_at: datetime | None, updated_at: datetime | None) -> str | None:
        """Why the body is too old to be one of Shopify's deliveries, or None. Its time is when the resource
        was created (a */create topic) or last changed."""
        creates = self.topic.endswith("/create")
        as_of = (created_at or updated_at) if creates else (updated_at or created_at)
        if as_of is None or self.received_at - as_of <= MAX_DELIVERY_AGE:
            return None
        hours = int(MAX_DELIVERY_AGE.total_seconds() // 3600)
        field = "created_at" if creates and created_at is not None else "updated_at"
        return f"the body's {field} is older than {hours} hours: no delivery or retry of Shopify's"


class _Builder:
    """Numbers the events of one delivery and fills in what they share."""

    def __init__(self, key: str, store: Store, customer_id: str, topic: str) -> None:
        self.key, self.store, self.customer_id, self.topic = key, store, customer_id, topic
        self.events: list[NormalizedEvent] = []

    def add(self, event_type: type[NormalizedEvent], at: datetime, **fields: Any) -> None:
        self.events.append(
            event_type(
                event_id=delivery_event_id(self.key, len(self.events)),
                store_id=self.store.store_id,
                customer_id=self.customer_id,
                occurred_at=at,
                source=f"shopify:{self.topic}",
                **fields,
            )
        )

    def consents(self, customer: Customer | None, fallback_at: datetime) -> None:
        if customer is None:
            return
        for consent, channel in (
            (customer.sms_marketing_consent, ConsentChannel.SMS),
            (customer.email_marketing_consent, ConsentChannel.EMAIL),
        ):
            if consent is not None:
                at = consent.consent_updated_at or fallback_at
                self.add(ConsentChanged, at, channel=channel, granted=consent.state == SUBSCRIBED)


class Shopify:
    name = "shopify"

    def verify(self, request: WebhookRequest, secret: str | None, store: Store) -> None:
        given = request.header("x-shopify-hmac-sha256")
        if not given:
            raise Unauthenticated("X-Shopify-Hmac-Sha256 header is missing")
        if not secret:
            raise Unauthenticated("this store has no Shopify client secret configured")
        expected = base64.b64encode(hmac.new(secret.encode(), request.body, hashlib.sha256).digest())
        if not hmac.compare_digest(expected, given.strip().encode()):
            raise Unauthenticated("X-Shopify-Hmac-Sha256 does not match the body")
        domain = request.header("x-shopify-shop-domain")
        if store.shopify_shop_domain and domain and domain != store.shopify_shop_domain:
            raise Forbidden(f"webhook is for shop {domain!r}, not this store's shop")

    def translate(self, request: WebhookRequest, store: Store) -> Delivery:
        topic = request.header("x-shopify-topic")
        if not topic:
            raise InvalidPayload("missing topic", [FieldError("X-Shopify-Topic", "header is required")])
        event_id = request.header("x-shopify-event-id") or request.header("x-shopify-webhook-id")
        if not event_id:
            raise InvalidPayload("missing event id", [FieldError("X-Shopify-Event-Id", "header is required")])
        if len(event_id) > MAX_EVENT_ID:
            # Not covered by the HMAC, and the delivery's key: a DynamoDB key holds 1 KB at most.
            problem = FieldError("X-Shopify-Event-Id", f"at most {MAX_EVENT_ID} characters")
            raise InvalidPayload("event id too long", [problem])
        payload = read_json(request.body)
        translator = _TRANSLATORS.get(topic)
        if translator is None:
            key = f"shopify:{event_id}"
            return Delivery(key=key, customer_id=None, ignored=f"Shopify topic {topic} is not used")
        return translator(payload, _Signed(topic, request.body, request.received_at), store)


def _order(payload: Any, signed: _Signed, store: Store) -> Delivery:
    order = validate(Order, payload)
    topic = signed.topic
    key = signed.key(order.id, order.updated_at or order.created_at)
    if reason := signed.stale(order.created_at, order.updated_at):
        return Delivery(key=key, customer_id=None, ignored=reason)
    if topic == "orders/cancelled" and order.cancelled_at is None:
        reason = "orders/cancelled for an order with no cancelled_at"
        return Delivery(key=key, customer_id=None, ignored=reason)
    if topic == "orders/paid" and order.financial_status not in PAID:
        reason = f"orders/paid for an order whose financial_status is {order.financial_status!r}"
        return Delivery(key=key, customer_id=None, ignored=reason)
    not_kept: list[FieldError] = []
    customer_id = _customer_id(order.customer, order.phone, order.email, not_kept)
    if customer_id is None:
        return Delivery(
            key=key,
            customer_id=None,
            ignored="order without a customer, mobile number or e-mail",
            not_kept=not_kept,
        )
    b = _Builder(key, store, customer_id, topic)
    order_id = str(order.id)
    if topic == "orders/create":
        lines = [
            OrderLine(
                product_id=p,
                quantity=max(line.quantity, 1),
                price=line.price,
                name=line.title.strip()[:250] if line.title and line.title.strip() else None,
            )
            for line in order.line_items
            if (p := _product(line))
        ]
        b.add(
            OrderPlaced,
            order.created_at,
            order_id=order_id,
            amount=order.total_price,
            lines=lines,
            checkout_id=order.checkout_token,
        )
        if order.financial_status == "paid":
            b.add(
                OrderPaid, order.processed_at or order.created_at, order_id=order_id, amount=order.total_price
            )
    elif topic == "orders/paid":
        b.add(
            OrderPaid,
            order.processed_at or order.updated_at or order.created_at,
            order_id=order_id,
            amount=order.total_price,
        )
    elif topic == "orders/cancelled":
        at = order.cancelled_at or order.updated_at or order.created_at
        refunded = order.financial_status in ("refunded", "partially_refunded")
        b.add(OrderRefunded if refunded else OrderCanceled, at, order_id=order_id)
    b.add(
        MemberUpdated,
        order.updated_at or order.created_at,
        member=_details(order.customer, not_kept, order.phone, order.email),
    )
    b.consents(order.customer, order.updated_at or order.created_at)
    return Delivery(key=key, customer_id=customer_id, events=b.events, not_kept=not_kept)


def _fulfillment(payload: Any, signed: _Signed, store: Store) -> Delivery:
    fulfillment = validate(Fulfillment, payload)
    topic = signed.topic
    at = fulfillment.updated_at or fulfillment.created_at
    if at is None:
        raise InvalidPayload("fulfillment has no time", [FieldError("updated_at", "required")])
    key = signed.key(fulfillment.id, at)
    if reason := signed.stale(fulfillment.created_at, fulfillment.updated_at):
        return Delivery(key=key, customer_id=None, ignored=reason)
    order_id = str(fulfillment.order_id)
    if fulfillment.shipment_status == DELIVERED:
        event_type: type[OrderDelivered] | type[OrderShipped] = OrderDelivered
    elif fulfillment.status in ("success", "open", "pending") or fulfillment.shipment_status:
        event_type = OrderShipped
    else:
        return Delivery(key=key, customer_id=None, ignored=f"fulfillment status {fulfillment.status!r}")

    shipping = fulfillment.tracking() if event_type is OrderShipped else {}

    def events(customer_id: str) -> list[NormalizedEvent]:
        b = _Builder(key, store, customer_id, topic)
        b.add(event_type, at, order_id=order_id, **shipping)
        return b.events

    # A fulfillment names only its order: the customer comes from the order index.
    return Delivery(key=key, customer_id=None, order_lookup=order_id, for_customer=events)


def _refund(payload: Any, signed: _Signed, store: Store) -> Delivery:
    """A refund: an `order.refunded` of the money its successful refund transactions gave back (0 when only
    goods came back). A refund names only its order: the customer comes from the order index."""
    refund = validate(Refund, payload)
    key = signed.key(refund.id, refund.created_at)  # a refund is never updated: its creation is its version
    if reason := signed.stale(refund.created_at, None):
        return Delivery(key=key, customer_id=None, ignored=reason)
    amount = sum(
        (t.amount for t in refund.transactions if t.kind == REFUND_KIND and t.status == SUCCESS), Decimal(0)
    )
    order_id, topic = str(refund.order_id), signed.topic

    def events(customer_id: str) -> list[NormalizedEvent]:
        b = _Builder(key, store, customer_id, topic)
        b.add(OrderRefunded, refund.created_at, order_id=order_id, amount=amount)
        return b.events

    return Delivery(key=key, customer_id=None, order_lookup=order_id, for_customer=events)


def _checkout(payload: Any, signed: _Signed, store: Store) -> Delivery:
    checkout = validate(Checkout, payload)
    topic = signed.topic
    key = signed.key(checkout.token, checkout.updated_at or checkout.created_at)
    if reason := signed.stale(checkout.created_at, checkout.updated_at):
        return Delivery(key=key, customer_id=None, ignored=reason)
    not_kept: list[FieldError] = []
    customer_id = _customer_id(checkout.customer, checkout.phone, checkout.email, not_kept)
    if customer_id is None:
        return Delivery(
            key=key, customer_id=None, ignored="checkout without contact details yet", not_kept=not_kept
        )
    at = checkout.updated_at or checkout.created_at
    b = _Builder(key, store, customer_id, topic)
    lines = [
        CartLine(product_id=p, quantity=max(line.quantity, 0), price=line.price)
        for line in checkout.line_items
        if (p := _product(line))
    ]
    b.add(CartUpdated, at, lines=lines, replace=True)
    if checkout.completed_at is None:
        b.add(
            CheckoutStarted,
            checkout.created_at,
            checkout_id=checkout.token,
            amount=checkout.total_price,
            recovery_url=checkout.abandoned_checkout_url,
        )
    b.add(MemberUpdated, at, member=_details(checkout.customer, not_kept, checkout.phone, checkout.email))
    b.consents(checkout.customer, at)
    return Delivery(key=key, customer_id=customer_id, events=b.events, not_kept=not_kept)


def _customer(payload: Any, signed: _Signed, store: Store) -> Delivery:
    customer = validate(Customer, payload)
    topic = signed.topic
    at = customer.updated_at or customer.created_at
    if at is None:
        raise InvalidPayload("customer has no time", [FieldError("updated_at", "required (or created_at)")])
    key = signed.key(customer.id, at)
    if reason := signed.stale(customer.created_at, customer.updated_at):
        return Delivery(key=key, customer_id=None, ignored=reason)
    customer_id = str(customer.id)
    b = _Builder(key, store, customer_id, topic)
    not_kept: list[FieldError] = []
    details = _details(customer, not_kept, customer_field="")
    if topic == "customers/create":
        b.add(MemberJoined, customer.created_at or at, member=details)
    else:
        b.add(MemberUpdated, at, member=details)
    b.consents(customer, at)
    return Delivery(key=key, customer_id=customer_id, events=b.events, not_kept=not_kept)


class _RedactedCustomer(_Model):
    id: int | str | None = None
    phone: str | None = None
    email: str | None = None


class Redaction(_Model):
    """`customers/redact`, one of the mandatory compliance webhooks: the shop (or the customer, through it)
    asks for the customer's data to be erased; Shopify sends it 10 days after the request, or 6 months after
    a customer's last order when they asked to be forgotten (shopify.dev, privacy law compliance)."""

    # Both always there in Shopify's payload, and in no other topic's: a body re-sent under this topic
    # (the topic is a header, not signed) is refused before anything is erased. The shop is signed here.
    shop_domain: str
    customer: _RedactedCustomer
    orders_to_redact: list[int | str]


def _redact(payload: Any, signed: _Signed, store: Store) -> Delivery:
    # No time in the payload: a redaction re-sent erases again, finding nothing (nudge.erasure).
    redaction = validate(Redaction, payload)
    if store.shopify_shop_domain and redaction.shop_domain != store.shopify_shop_domain:
        raise Forbidden(f"redaction is for shop {redaction.shop_domain!r}, not this store's shop")
    topic = signed.topic
    key = signed.key(redaction.customer.id or "-", None)
    customer = redaction.customer
    # The customer's own id, and the ids a guest checkout of theirs is kept under (by number, by e-mail).
    identity = phone_identity(customer.phone) if customer.phone else None
    ids = [str(customer.id)] if customer.id is not None else []
    ids += [guest_customer_id(contact) for contact in (identity, customer.email) if contact]
    orders = tuple(str(order_id) for order_id in redaction.orders_to_redact)
    erasure = ErasureRequest(tuple(dict.fromkeys(ids)), orders, f"shopify:{topic}")
    return Delivery(key=key, customer_id=None, erasure=erasure)


def _sellable(variant: Variant) -> bool:
    untracked = variant.inventory_management is not None and variant.inventory_management != "shopify"
    return untracked or variant.inventory_policy == "continue" or (variant.inventory_quantity or 0) > 0


def _product_record(payload: Any, signed: _Signed, store: Store) -> Delivery:
    """products/create, products/update: the catalog's record of the product. Prices: the cheapest variant's
    (the "from" price a store shows), its `compare_at_price` as the price and `price` as the sale price when
    the variant is on sale. Stock: the variants' units; sold out when no variant can be sold (tracked, not
    sold past 0, no units). A body without `published_at` says nothing of display."""
    product = validate(Product, payload)
    at = product.updated_at or product.created_at
    if at is None:
        raise InvalidPayload("product has no time", [FieldError("updated_at", "required (or created_at)")])
    key = signed.key(product.id, at)
    if reason := signed.stale(product.created_at, product.updated_at):
        return Delivery(key=key, customer_id=None, ignored=reason)
    priced = [v for v in product.variants if v.price is not None]
    cheapest = min(priced, key=lambda v: v.price or Decimal(0)) if priced else None
    price = sale = None
    if cheapest is not None and cheapest.price is not None:
        was = cheapest.compare_at_price
        # No sale: the sale price is the price, so a sale that ended leaves no lower price behind.
        on_sale = was is not None and was > cheapest.price
        price, sale = (was, cheapest.price) if on_sale else (cheapest.price, cheapest.price)
    quantities = [v.inventory_quantity for v in product.variants if v.inventory_quantity is not None]
    image = product.image.src if product.image and product.image.src else None
    image = image or next((i.src for i in product.images if i.src), None)
    domain = store.shopify_shop_domain
    record = ProductRecord(
        store_id=store.store_id,
        product_id=str(product.id),
        updated_at=at,
        source=f"shopify:{signed.topic}",
        name=(product.title or "")[:250] or None,
        price=price,
        sale_price=sale,
        image_url=image if image and image.startswith(("https://", "http://")) else None,
        url=f"https://{domain}/products/{product.handle}" if domain and product.handle else None,
        category_ids=(product.product_type[:64],) if product.product_type else None,
        stock=sum(max(q, 0) for q in quantities) if quantities else None,
        selling=None if product.status is None else product.status in ("active", "unlisted"),
        display=(product.published_at is not None) if "published_at" in product.model_fields_set else None,
        sold_out=not any(_sellable(v) for v in product.variants) if product.variants else None,
        inventory_items=tuple(str(v.inventory_item_id)[:64] for v in product.variants if v.inventory_item_id)
        or None,
    )
    return Delivery(key=key, customer_id=None, products=[record])


def _inventory_level(payload: Any, signed: _Signed, store: Store) -> Delivery:
    """inventory_levels/update: names only the inventory item; the catalog knows its product from the
    product's last products/* webhook (nudge.products: a level can make a sold-out product available again,
    never sold out; the products/update Shopify sends with it carries the total)."""
    level = validate(InventoryLevel, payload)
    key = signed.key(level.inventory_item_id, level.updated_at)
    if reason := signed.stale(None, level.updated_at):
        return Delivery(key=key, customer_id=None, ignored=reason)
    if level.available is None:
        return Delivery(key=key, customer_id=None, ignored="inventory level of an item that is not tracked")
    item = str(level.inventory_item_id)[:64]
    source = f"shopify:{signed.topic}"
    record = inventory_item_record(store.store_id, item, level.available, level.updated_at, source)
    return Delivery(key=key, customer_id=None, products=[record])


_TRANSLATORS = {
    "customers/redact": _redact,
    "products/create": _product_record,
    "products/update": _product_record,
    "inventory_levels/update": _inventory_level,
    "orders/create": _order,
    "orders/paid": _order,
    "orders/cancelled": _order,
    "refunds/create": _refund,
    "fulfillments/create": _fulfillment,
    "fulfillments/update": _fulfillment,
    "checkouts/create": _checkout,
    "checkouts/update": _checkout,
    "customers/create": _customer,
    "customers/update": _customer,
}
