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
from nudge.ingest.platforms import cafe24_records as records
from nudge.ingest.platforms.delivery import (
    Delivery,
    ErasureRequest,
    LocalTimestamp,
    PlatformAnswers,
    PlatformRead,
    WebhookRequest,
    contact_phone,
    fingerprint,
    guest_customer_id,
    validate,
)
from nudge.privacy import phone_identity
from nudge.products.model import ProductRecord
from nudge.profiles.events import (
    CartLine,
    CartUpdated,
    ConsentChanged,
    ConsentChannel,
    MemberDetails,
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

# Event numbers (store-platforms.md §1.2, from Cafe24's webhook reference).
ORDER_PLACED = 90023
SHIPPING_STATUS_CHANGED = 90024
DEPOSIT_STATUS_CHANGED = 90025
CANCEL_STATUS_CHANGED = 90026
RETURN_STATUS_CHANGED = 90027
EXCHANGE_STATUS_CHANGED = 90028
REFUND_STATUS_CHANGED = 90029
PRODUCT_ADDED_TO_ORDER = 90031
BULK_SHIPPING_CHANGED = 90071
BULK_CANCEL_CHANGED = 90072
BULK_REFUND_CHANGED = 90073
BULK_RETURN_CHANGED = 90074
MEMBER_JOINED = 90032
MEMBER_CHANGED = 90080
ADDED_TO_CART = 90084
MEMBER_LOGGED_IN = 90143
MEMBER_GRADE_CHANGED = 90144
MEMBER_DORMANT = 90145
MEMBER_DORMANCY_RELEASED = 90146
MEMBER_WITHDRAWN = 90147
PRODUCT_CREATED = 90001
PRODUCT_MODIFIED = 90002
PRODUCT_DELETED = 90003
PRODUCTS_BULK_MODIFIED = 90041
VARIANT_STOCK_CHANGED = 90075
PRODUCT_SOLD_OUT_CHANGED = 90150
APP_DELETED = 90077
APP_EXPIRED = 90078

ORDER_EVENTS = frozenset(
    {
        ORDER_PLACED,
        SHIPPING_STATUS_CHANGED,
        DEPOSIT_STATUS_CHANGED,
        CANCEL_STATUS_CHANGED,
        RETURN_STATUS_CHANGED,
        EXCHANGE_STATUS_CHANGED,
        REFUND_STATUS_CHANGED,
        PRODUCT_ADDED_TO_ORDER,
        BULK_SHIPPING_CHANGED,
        BULK_CANCEL_CHANGED,
        BULK_REFUND_CHANGED,
        BULK_RETURN_CHANGED,
    }
)
# Without the Nudge app (no Admin API), these carry a status change but not the status: nothing can be made
# of them (docs/cafe24.md, "What a store without the app installed loses").
NEEDS_THE_APP = "Cafe24 sends this change without the status: reading it needs the Nudge Cafe24 app"

# 90024 shipping_status: F before shipping, M in transit, T delivered, W on hold.
SHIPPING_IN_TRANSIT = records.SHIPPING_IN_TRANSIT
SHIPPING_DELIVERED = records.SHIPPING_DELIVERED


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
    payment_date: LocalTimestamp | None = None
    order_price_amount: Decimal | None = None
    actual_payment_amount: Decimal | None = None
    ordering_product_code: Text = None  # comma-separated when several products were ordered


class ShippingResource(_Resource):
    order_id: str
    shipping_status: str


class OrderIds(_Resource):
    """Any order event: `order_id` is one order, or several joined by commas (bulk events 90071-90074)."""

    order_id: Annotated[str, Field(min_length=1, max_length=20_000)]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.strip() for p in self.order_id.split(",") if p.strip()))


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
    group_no: int | str | None = None


class MemberIdResource(_Resource):
    member_id: Annotated[str, Field(min_length=1)]


class GradeResource(MemberIdResource):
    after_member_group_name: Text = None


class ProductResource(_Resource):
    product_no: int | str


class SoldOutResource(ProductResource):
    # Per shop, {"1": "T"} (the webhook reference's sample; a plain "T" / "F" is read too): the first shop's.
    sold_out: dict[str, str] | str | None = None

    @property
    def flag(self) -> str | None:
        if isinstance(self.sold_out, dict):
            return self.sold_out.get("1") or next(iter(self.sold_out.values()), None)
        return self.sold_out


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
        if envelope.event_no in ORDER_EVENTS:
            return _order_event(envelope.event_no, envelope.resource, key, request, store)
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


# ---------------------------------------------------------------- orders


def _order_event(
    event_no: int, resource: dict[str, Any], key: str, request: WebhookRequest, store: Store
) -> Delivery:
    """An order event names its orders; what they hold now is read from the Admin API (items, dates,
    status), so the order is never stored half-known, and each fact is keyed as the reconciliation keys it."""
    if event_no in (ORDER_PLACED, DEPOSIT_STATUS_CHANGED):
        validate(OrderResource, resource, "resource")
    elif event_no == SHIPPING_STATUS_CHANGED:
        validate(ShippingResource, resource, "resource")
    order_ids = validate(OrderIds, resource, "resource").ids
    source = f"cafe24:{event_no}"

    def complete(answers: PlatformAnswers) -> list[Delivery]:
        out: list[Delivery] = []
        for order_id in order_ids:
            order = answers.orders.get(order_id)
            if order is None:
                out.append(
                    Delivery(f"{key}:{order_id}", None, ignored=f"order {order_id} is not in the mall")
                )
            else:
                out.extend(records.order_deliveries(order, store, source))
        return out

    def alone() -> list[Delivery]:
        return _order_alone(event_no, resource, key, request, store)

    return Delivery(key, None, read=PlatformRead(complete, alone, orders=order_ids))


def _order_alone(
    event_no: int, resource: dict[str, Any], key: str, request: WebhookRequest, store: Store
) -> list[Delivery]:
    """What an order event says by itself (a store without the app): placed and paid from 90023 and 90025,
    shipped and delivered from 90024; the rest carry no status (NEEDS_THE_APP)."""
    if event_no in (ORDER_PLACED, DEPOSIT_STATUS_CHANGED):
        return _order_placed_alone(event_no, resource, request, store)
    if event_no == SHIPPING_STATUS_CHANGED:
        return [_shipping_alone(resource, request, store)]
    return [Delivery(key, None, ignored=NEEDS_THE_APP)]


def _order_placed_alone(
    event_no: int, resource: dict[str, Any], request: WebhookRequest, store: Store
) -> list[Delivery]:
    order = validate(OrderResource, resource, "resource")
    not_kept: list[FieldError] = []
    phone = contact_phone(order.buyer_cellphone, "resource.buyer_cellphone", not_kept)
    # Any real number tells a guest apart, a landline too, though only a mobile is kept to message.
    guest_contact = phone_identity(order.buyer_cellphone or "") or order.buyer_email
    placed_key = records.order_key(order.order_id, "placed")
    if order.member_id:
        customer_id = order.member_id
    elif guest_contact:
        customer_id = guest_customer_id(guest_contact)
    else:
        return [
            Delivery(
                placed_key, None, ignored="guest order without a phone number or e-mail", not_kept=not_kept
            )
        ]
    at = _when(order.order_date, store, request.received_at)
    amount = (
        order.actual_payment_amount if order.actual_payment_amount is not None else order.order_price_amount
    )
    if amount is None:
        raise InvalidPayload(
            "order has no amount",
            [FieldError("resource.actual_payment_amount", "required (or resource.order_price_amount)")],
        )
    deliveries: list[Delivery] = []
    if event_no == ORDER_PLACED:
        products = [p.strip() for p in (order.ordering_product_code or "").split(",") if p.strip()]
        events: list[NormalizedEvent] = [
            OrderPlaced(
                **_base(placed_key, store, customer_id, at, event_no, 0),
                order_id=order.order_id,
                amount=amount,
                lines=[OrderLine(product_id=p) for p in products],
            )
        ]
        if not order.member_id:
            details = MemberDetails(phone=phone, name=order.buyer_name, email=order.buyer_email)
            events.append(
                MemberUpdated(**_base(placed_key, store, customer_id, at, event_no, 1), member=details)
            )
        deliveries.append(Delivery(placed_key, customer_id, events, not_kept=not_kept))
    if order.paid == "T":
        paid_key = records.order_key(order.order_id, "paid")
        paid_at = _when(order.payment_date, store, at)
        paid = OrderPaid(
            **_base(paid_key, store, customer_id, paid_at, event_no, 0),
            order_id=order.order_id,
            amount=amount,
        )
        deliveries.append(Delivery(paid_key, customer_id, [paid]))
    if not deliveries:
        deliveries.append(Delivery(placed_key + f":{event_no}", None, ignored="the order is not paid yet"))
    return deliveries


def _shipping_alone(resource: dict[str, Any], request: WebhookRequest, store: Store) -> Delivery:
    shipping = validate(ShippingResource, resource, "resource")
    if shipping.shipping_status == SHIPPING_DELIVERED:
        event_type: type[OrderDelivered] | type[OrderShipped] = OrderDelivered
        fact = "delivered"
    elif shipping.shipping_status == SHIPPING_IN_TRANSIT:
        event_type, fact = OrderShipped, "shipped"
    else:
        return Delivery(
            key=records.order_key(shipping.order_id, f"shipping:{shipping.shipping_status}"),
            customer_id=None,
            ignored=f"shipping status {shipping.shipping_status!r}",
        )
    key = records.order_key(shipping.order_id, fact)

    def events(customer_id: str) -> list[NormalizedEvent]:
        base = _base(key, store, customer_id, request.received_at, SHIPPING_STATUS_CHANGED, 0)
        return [event_type(**base, order_id=shipping.order_id)]

    if shipping.member_id:
        return Delivery(key=key, customer_id=shipping.member_id, events=events(shipping.member_id))
    # A guest order: its customer is found through the order it was placed with.
    return Delivery(key=key, customer_id=None, order_lookup=shipping.order_id, for_customer=events)


# ---------------------------------------------------------------- cart, members


def _added_to_cart(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
    cart = validate(CartResource, resource, "resource")
    product = str(cart.product_no)
    event = CartUpdated(
        **_base(key, store, cart.member_id, request.received_at, ADDED_TO_CART, 0),
        lines=[CartLine(product_id=product, quantity=cart.quantity)],
    )
    return Delivery(key=key, customer_id=cart.member_id, events=[event])


def _member_joined(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
    validate(MemberResource, resource, "resource")
    return records.member_joined(resource, store, f"cafe24:{MEMBER_JOINED}", request.received_at)


def _member_changed(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
    """90080 names the member, not the change (diff_key, sub_event_code): the member is read again. The
    consents it restates count only where they differ from the profile's."""
    member_id = validate(MemberIdResource, resource, "resource").member_id
    source = f"cafe24:{MEMBER_CHANGED}"

    def complete(answers: PlatformAnswers) -> list[Delivery]:
        member = answers.members.get(member_id)
        if member is None:
            return [Delivery(key, None, ignored="the member is not in the mall (withdrawn?)")]
        return [records.member_deliveries(member, store, source, key, request.received_at, joined=False)]

    def alone() -> list[Delivery]:
        return [_member_changed_alone(resource, key, request, store)]

    return Delivery(key, None, read=PlatformRead(complete, alone, members=(member_id,)))


def _member_changed_alone(
    resource: dict[str, Any], key: str, request: WebhookRequest, store: Store
) -> Delivery:
    member = validate(MemberResource, resource, "resource")
    at = request.received_at
    not_kept: list[FieldError] = []
    phone = contact_phone(member.cellphone, "resource.cellphone", not_kept)
    details = MemberDetails(phone=phone, name=member.name, email=member.email)
    events: list[NormalizedEvent] = [
        MemberUpdated(**_base(key, store, member.member_id, at, MEMBER_CHANGED, 0), member=details)
    ]
    for index, (flag, channel) in enumerate(
        ((member.sms, ConsentChannel.SMS), (member.news_mail, ConsentChannel.EMAIL))
    ):
        if flag in ("T", "F"):
            events.append(
                ConsentChanged(
                    **_base(key, store, member.member_id, at, MEMBER_CHANGED, index + 1),
                    channel=channel,
                    granted=flag == "T",
                    restated=True,
                )
            )
    return Delivery(key=key, customer_id=member.member_id, events=events, not_kept=not_kept)


def _grade_changed(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
    """The member's grade: its number from the member record (what 90032 and the member list give); without
    the app, the grade's name the event carries."""
    grade = validate(GradeResource, resource, "resource")
    at = request.received_at

    def updated(value: str | None) -> list[Delivery]:
        if value is None:
            return [Delivery(key, None, ignored="no grade")]
        event = MemberUpdated(
            **_base(key, store, grade.member_id, at, MEMBER_GRADE_CHANGED, 0),
            member=MemberDetails(grade=value),
        )
        return [Delivery(key, grade.member_id, [event])]

    def complete(answers: PlatformAnswers) -> list[Delivery]:
        member = answers.members.get(grade.member_id)
        number = member.get("group_no") if member else None
        return updated(str(number) if number not in (None, "") else None)

    return Delivery(
        key,
        None,
        read=PlatformRead(
            complete, lambda: updated(grade.after_member_group_name), members=(grade.member_id,)
        ),
    )


def _withdrawn(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
    """A member who leaves the mall is erased from Nudge (nudge.erasure), the record naming no one."""
    member_id = validate(MemberIdResource, resource, "resource").member_id
    request_by = f"cafe24:{MEMBER_WITHDRAWN}"
    return Delivery(key, None, erasure=ErasureRequest(customer_ids=(member_id,), requested_by=request_by))


def _login(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
    login = validate(MemberIdResource, resource, "resource")
    event = MemberLoggedIn(**_base(key, store, login.member_id, request.received_at, MEMBER_LOGGED_IN, 0))
    return Delivery(key=key, customer_id=login.member_id, events=[event])


def _ignored(reason: str) -> Any:
    def translate(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
        return Delivery(key, None, ignored=reason)

    return translate


# ---------------------------------------------------------------- products


def _product_event(event_no: int) -> Any:
    """A product changed: the catalog takes the product as the Admin API answers it; without the app, what
    the event carries (90001/90002 carry the product's fields, 90150 its sold-out flag)."""

    def translate(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
        product_no = str(validate(ProductResource, resource, "resource").product_no)
        source = f"cafe24:{event_no}"

        def catalog(record: ProductRecord | None) -> list[Delivery]:
            if record is None:
                return [Delivery(key, None, ignored=f"product {product_no} is not in the mall")]
            return [Delivery(key, None, products=[record])]

        def complete(answers: PlatformAnswers) -> list[Delivery]:
            product = answers.products.get(product_no)
            if product is None:  # deleted meanwhile: no longer sold
                return catalog(_withdrawn_product(store, product_no, source, request.received_at))
            return catalog(records.product_record(product, store, source, request.received_at))

        def alone() -> list[Delivery]:
            if event_no == PRODUCT_SOLD_OUT_CHANGED:
                flag = validate(SoldOutResource, resource, "resource").flag
                if flag not in ("T", "F"):
                    return [Delivery(key, None, ignored="no sold_out flag")]
                record = ProductRecord(
                    store_id=store.store_id,
                    product_id=product_no,
                    updated_at=request.received_at,
                    source=source,
                    sold_out=flag == "T",
                )
                return catalog(record)
            if event_no in (PRODUCT_CREATED, PRODUCT_MODIFIED):
                return catalog(records.product_record(resource, store, source, request.received_at))
            return [Delivery(key, None, ignored=NEEDS_THE_APP)]

        return Delivery(key, None, read=PlatformRead(complete, alone, products=(product_no,)))

    return translate


def _withdrawn_product(store: Store, product_no: str, source: str, at: datetime) -> ProductRecord:
    return ProductRecord(
        store_id=store.store_id,
        product_id=product_no,
        updated_at=at,
        source=source,
        selling=False,
        display=False,
    )


def _product_deleted(resource: dict[str, Any], key: str, request: WebhookRequest, store: Store) -> Delivery:
    product_no = str(validate(ProductResource, resource, "resource").product_no)
    record = _withdrawn_product(store, product_no, f"cafe24:{PRODUCT_DELETED}", request.received_at)
    return Delivery(key, None, products=[record])


_TRANSLATORS = {
    ADDED_TO_CART: _added_to_cart,
    MEMBER_JOINED: _member_joined,
    MEMBER_CHANGED: _member_changed,
    MEMBER_LOGGED_IN: _login,
    MEMBER_GRADE_CHANGED: _grade_changed,
    MEMBER_WITHDRAWN: _withdrawn,
    MEMBER_DORMANT: _ignored("a dormant member's profile is kept; sends follow its consents as before"),
    MEMBER_DORMANCY_RELEASED: _ignored(
        "a dormant member's profile is kept; sends follow its consents as before"
    ),
    PRODUCT_CREATED: _product_event(PRODUCT_CREATED),
    PRODUCT_MODIFIED: _product_event(PRODUCT_MODIFIED),
    VARIANT_STOCK_CHANGED: _product_event(VARIANT_STOCK_CHANGED),
    PRODUCT_SOLD_OUT_CHANGED: _product_event(PRODUCT_SOLD_OUT_CHANGED),
    PRODUCT_DELETED: _product_deleted,
    APP_DELETED: _ignored("the app's install is checked at its next Admin API call (docs/cafe24.md)"),
    APP_EXPIRED: _ignored("the app's install is checked at its next Admin API call (docs/cafe24.md)"),
}
