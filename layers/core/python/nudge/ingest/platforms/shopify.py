"""Shopify webhooks: the topic in `X-Shopify-Topic`, authenticated by a base64 HMAC-SHA256 of the raw body.

Verification and dedupe follow shopify.dev (verify-deliveries; ignore-duplicates): the HMAC is computed
over the raw bytes before any parsing and compared in constant time; `X-Shopify-Event-Id` is the same on
every retry of one event. Field names are Shopify's REST webhook payloads.
"""

import base64
import hashlib
import hmac
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from nudge.errors import FieldError, Forbidden, InvalidPayload, Unauthenticated
from nudge.ingest.platforms.delivery import (
    Delivery,
    WebhookRequest,
    contact_phone,
    guest_customer_id,
    parse_json,
    validate,
)
from nudge.privacy import phone_identity
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
    delivery_event_id,
)
from nudge.stores import Store

SUBSCRIBED = "subscribed"  # sms_marketing_consent.state / email_marketing_consent.state
DELIVERED = "delivered"  # fulfillment shipment_status


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MarketingConsent(_Model):
    state: str
    consent_updated_at: datetime | None = None


class Customer(_Model):
    id: int | str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sms_marketing_consent: MarketingConsent | None = None
    email_marketing_consent: MarketingConsent | None = None


class LineItem(_Model):
    product_id: int | str | None = None
    variant_id: int | str | None = None
    quantity: int = 1
    price: Decimal | None = None


class Order(_Model):
    id: int | str
    created_at: datetime
    updated_at: datetime | None = None
    processed_at: datetime | None = None
    cancelled_at: datetime | None = None
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
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Checkout(_Model):
    token: str
    created_at: datetime
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    email: str | None = None
    phone: str | None = None
    total_price: Decimal | None = None
    abandoned_checkout_url: str | None = None
    customer: Customer | None = None
    line_items: list[LineItem] = []


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
        key = f"shopify:{event_id}"
        payload = parse_json(request.body)
        translator = _TRANSLATORS.get(topic)
        if translator is None:
            return Delivery(key=key, customer_id=None, ignored=f"Shopify topic {topic} is not used")
        return translator(payload, key, topic, store)


def _order(payload: Any, key: str, topic: str, store: Store) -> Delivery:
    order = validate(Order, payload)
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
            OrderLine(product_id=p, quantity=max(line.quantity, 1), price=line.price)
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


def _fulfillment(payload: Any, key: str, topic: str, store: Store) -> Delivery:
    fulfillment = validate(Fulfillment, payload)
    at = fulfillment.updated_at or fulfillment.created_at
    if at is None:
        raise InvalidPayload("fulfillment has no time", [FieldError("updated_at", "required")])
    order_id = str(fulfillment.order_id)
    if fulfillment.shipment_status == DELIVERED:
        event_type: type[OrderDelivered] | type[OrderShipped] = OrderDelivered
    elif fulfillment.status in ("success", "open", "pending") or fulfillment.shipment_status:
        event_type = OrderShipped
    else:
        return Delivery(key=key, customer_id=None, ignored=f"fulfillment status {fulfillment.status!r}")

    def events(customer_id: str) -> list[NormalizedEvent]:
        b = _Builder(key, store, customer_id, topic)
        b.add(event_type, at, order_id=order_id)
        return b.events

    # A fulfillment names only its order: the customer comes from the order index.
    return Delivery(key=key, customer_id=None, order_lookup=order_id, for_customer=events)


def _checkout(payload: Any, key: str, topic: str, store: Store) -> Delivery:
    checkout = validate(Checkout, payload)
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


def _customer(payload: Any, key: str, topic: str, store: Store) -> Delivery:
    customer = validate(Customer, payload)
    at = customer.updated_at or customer.created_at
    if at is None:
        raise InvalidPayload("customer has no time", [FieldError("updated_at", "required (or created_at)")])
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


_TRANSLATORS = {
    "orders/create": _order,
    "orders/paid": _order,
    "orders/cancelled": _order,
    "fulfillments/create": _fulfillment,
    "fulfillments/update": _fulfillment,
    "checkouts/create": _checkout,
    "checkouts/update": _checkout,
    "customers/create": _customer,
    "customers/update": _customer,
}
