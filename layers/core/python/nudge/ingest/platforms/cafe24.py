"""Cafe24 webhooks: `{"event_no": 90023, "resource": {...}}`, authenticated by the app's API key.

Cafe24 asks apps to check the `x-api-key` header on every webhook and answer 403 when it does not match
(developer notice 2023-08-02). Field names follow Cafe24's event sample data (◐ in
shared/domain/korea-messaging.md §4.1); they live here and nowhere else.
"""

import hmac
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from nudge.errors import FieldError, Forbidden, InvalidPayload
from nudge.http import read_json
from nudge.ingest.platforms.delivery import (
    Delivery,
    LocalTimestamp,
    WebhookRequest,
    contact_phone,
    fingerprint,
    guest_customer_id,
    validate,
)
from nudge.privacy import phone_identity
from nudge.profiles.events import (
    CartLine,
    CartUpdated,
    ConsentChanged,
    ConsentChannel,
    MemberDetails,
    MemberJoined,
    MemberLoggedIn,
    MemberUpdated,
    NormalizedEvent,
    OrderDelivered,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    delivery_event_id,
)
from nudge.stores import Store

ORDER_PLACED = 90023
SHIPPING_STATUS_CHANGED = 90024
MEMBER_JOINED = 90032
MEMBER_CHANGED = 90080
ADDED_TO_CART = 90084
MEMBER_LOGGED_IN = 90143

# 90024 shipping_status: F before shipping, M in transit, T delivered, W on hold.
SHIPPING_IN_TRANSIT = "M"
SHIPPING_DELIVERED = "T"


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


Text = Annotated[str | None, BeforeValidator(_blank_to_none)]


class _Resource(BaseModel):
    model_config = ConfigDict(extra="ignore")
    mall_id: Text = None
    member_id: Text = None


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")
    event_no: int
    resource: dict[str, Any]


class OrderResource(_Resource):
    order_id: str
    order_date: LocalTimestamp | None = None
    buyer_name: Text = None
    buyer_cellphone: Text = None
    buyer_email: Text = None
    paid: Text = None  # T paid, F unpaid (e.g. virtual account), M partially
    order_price_amount: Decimal | None = None
    actual_payment_amount: Decimal | None = None
    ordering_product_code: Text = None  # comma-separated when several products were ordered


class ShippingResource(_Resource):
    order_id: str
    shipping_status: str


class CartResource(_Resource):
    member_id: str
    product_no: int | str
    variant_code: Text = None
    quantity: Annotated[int, Field(ge=1)] = 1


class MemberResource(_Resource):
    member_id: str
    name: Text = None
    cellphone: Text = None
    email: Text = None
    sms: Text = None  # T / F: the mall's marketing-SMS opt-in, an input to Nudge's consent record
    news_mail: Text = None
    created_date: LocalTimestamp | None = None


class LoginResource(_Resource):
    member_id: str


def _when(value: datetime | None, store: Store, fallback: datetime) -> datetime:
    if value is None:
        return fallback
    return value if value.tzinfo else value.replace(tzinfo=store.zone)


class Cafe24:
    name = "cafe24"

    def verify(self, request: WebhookRequest, secret: str | None, store: Store) -> None:
        given = request.header("x-api-key")
        if not secret or not given or not hmac.compare_digest(given.encode(), secret.encode()):
            raise Forbidden("x-api-key does not match this store's Cafe24 app key")

    def translate(self, request: WebhookRequest, store: Store) -> Delivery:
        payload = read_json(request.body)
        envelope = validate(Envelope, payload)
        key = f"cafe24:{envelope.event_no}:{fingerprint(payload)}"
        mall_id = envelope.resource.get("mall_id")
        if store.cafe24_mall_id and mall_id and mall_id != store.cafe24_mall_id:
            raise Forbidden(f"webhook is for mall {mall_id!r}, not this store's mall")
        translator = _TRANSLATORS.get(envelope.event_no)
        if translator is None:
            return Delivery(
                key=key, customer_id=None, ignored=f"Cafe24 event {envelope.event_no} is not used"
            )
        return translator(envelope.resource, key, request, store)


def _base(
    key: str, store: Store, customer_id: str, at: datetime, event_no: int, index: int
) -> dict[str, Any]:
    return {
        "event_id": delivery_event_id(key, index),
        "store_id": store.store_id,
        "customer_id": customer_id,
        "occurred_at": at,
        "source": f"cafe24:{event_no}",
    }


def _order_placed(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
    order = validate(OrderResource, resource, "resource")
    not_kept: list[FieldError] = []
    phone = contact_phone(order.buyer_cellphone, "resource.buyer_cellphone", not_kept)
    # Any real number tells a guest apart, a landline too, though only a mobile is kept to message.
    guest_contact = phone_identity(order.buyer_cellphone or "") or order.buyer_email
    if order.member_id:
        customer_id = order.member_id
    elif guest_contact:
        customer_id = guest_customer_id(guest_contact)
    else:
        return Delivery(
            key=key,
            customer_id=None,
            ignored="guest order without a phone number or e-mail",
            not_kept=not_kept,
        )
    at = _when(order.order_date, store, request.received_at)
    amount = (
        order.actual_payment_amount if order.actual_payment_amount is not None else order.order_price_amount
    )
    if amount is None:
        raise InvalidPayload(
            "order has no amount",
            [FieldError("resource.actual_payment_amount", "required (or resource.order_price_amount)")],
        )
    products = [p.strip() for p in (order.ordering_product_code or "").split(",") if p.strip()]
    events: list[NormalizedEvent] = [
        OrderPlaced(
            **_base(key, store, customer_id, at, ORDER_PLACED, 0),
            order_id=order.order_id,
            amount=amount,
            lines=[OrderLine(product_id=p) for p in products],
        )
    ]
    if order.paid == "T":
        events.append(
            OrderPaid(
                **_base(key, store, customer_id, at, ORDER_PLACED, 1), order_id=order.order_id, amount=amount
            )
        )
    if not order.member_id:
        details = MemberDetails(phone=phone, name=order.buyer_name, email=order.buyer_email)
        events.append(MemberUpdated(**_base(key, store, customer_id, at, ORDER_PLACED, 2), member=details))
    return Delivery(key=key, customer_id=customer_id, events=events, not_kept=not_kept)


def _shipping(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
    shipping = validate(ShippingResource, resource, "resource")
    if shipping.shipping_status == SHIPPING_DELIVERED:
        event_type: type[OrderDelivered] | type[OrderShipped] = OrderDelivered
    elif shipping.shipping_status == SHIPPING_IN_TRANSIT:
        event_type = OrderShipped
    else:
        return Delivery(key=key, customer_id=None, ignored=f"shipping status {shipping.shipping_status!r}")

    def events(customer_id: str) -> list[NormalizedEvent]:
        base = _base(key, store, customer_id, request.received_at, SHIPPING_STATUS_CHANGED, 0)
        return [event_type(**base, order_id=shipping.order_id)]

    if shipping.member_id:
        return Delivery(key=key, customer_id=shipping.member_id, events=events(shipping.member_id))
    # A guest order: its customer is found through the order it was placed with.
    return Delivery(key=key, customer_id=None, order_lookup=shipping.order_id, for_customer=events)


def _added_to_cart(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
    cart = validate(CartResource, resource, "resource")
    product = str(cart.product_no)
    event = CartUpdated(
        **_base(key, store, cart.member_id, request.received_at, ADDED_TO_CART, 0),
        lines=[CartLine(product_id=product, quantity=cart.quantity)],
    )
    return Delivery(key=key, customer_id=cart.member_id, events=[event])


def _member(
    resource: dict[str, Any], key: str, request: WebhookRequest, store: Store, joined: bool
) -> Delivery:
    member = validate(MemberResource, resource, "resource")
    event_no = MEMBER_JOINED if joined else MEMBER_CHANGED
    at = _when(member.created_date, store, request.received_at) if joined else request.received_at
    not_kept: list[FieldError] = []
    phone = contact_phone(member.cellphone, "resource.cellphone", not_kept)
    details = MemberDetails(phone=phone, name=member.name, email=member.email)
    first = MemberJoined if joined else MemberUpdated
    events: list[NormalizedEvent] = [
        first(**_base(key, store, member.member_id, at, event_no, 0), member=details)
    ]
    for index, (flag, channel) in enumerate(
        ((member.sms, ConsentChannel.SMS), (member.news_mail, ConsentChannel.EMAIL))
    ):
        if flag in ("T", "F"):
            events.append(
                ConsentChanged(
                    **_base(key, store, member.member_id, at, event_no, index + 1),
                    channel=channel,
                    granted=flag == "T",
                )
            )
    return Delivery(key=key, customer_id=member.member_id, events=events, not_kept=not_kept)


def _login(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
    login = validate(LoginResource, resource, "resource")
    event = MemberLoggedIn(**_base(key, store, login.member_id, request.received_at, MEMBER_LOGGED_IN, 0))
    return Delivery(key=key, customer_id=login.member_id, events=[event])


_TRANSLATORS = {
    ORDER_PLACED: _order_placed,
    SHIPPING_STATUS_CHANGED: _shipping,
    ADDED_TO_CART: _added_to_cart,
    MEMBER_JOINED: lambda r, k, q, s: _member(r, k, q, s, joined=True),
    MEMBER_CHANGED: lambda r, k, q, s: _member(r, k, q, s, joined=False),
    MEMBER_LOGGED_IN: _login,
}
