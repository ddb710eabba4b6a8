"""Cafe24's records (an order, a member, a product, as its Admin API answers them) as Nudge's deliveries.

One place for what an order *is* in Nudge's terms, used by the webhook (after reading the order the event
names) and by the reconciliation (which reads what changed): both make the same deliveries with the same keys,
so whichever arrives first applies and the other is a duplicate. An order is a set of facts, each its own
delivery keyed `cafe24:order:{order_id}:{fact}` and timed by the order's own dates, never by when Nudge
heard of it:

- placed: always, at `order_date`;
- paid: `paid` = T, at `payment_date`;
- shipped: `shipping_status` M (in transit) or T (delivered), at the earliest item `shipped_date`, with the
  carrier (`shipping_company_name`) and `tracking_no` of the first item shipped (`_shipment`): items of one
  order may ship under different numbers, and a message names one. Cafe24 gives no tracking link, and none
  is made up;
- delivered: `shipping_status` T, at the latest item `delivered_date`;
- canceled: `canceled` = T (the whole order), at `cancel_date`;
- refund:{order_item_code}: a paid item cancelled or returned (`order_status` C40-C43, R40-R43) while the
  order stands, at the item's `refund_date` (else its `return_confirmed_date` or `cancel_date`).

Field names: Cafe24's Admin API reference (orders, orders/items, customersprivacy, products), as machine-read
into shepherd231/cafe24api-client `types/admin/endpoints/*.d.ts` (docs/cafe24.md lists what was confirmed).
"""

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from nudge.errors import FieldError
from nudge.ingest.platforms.delivery import Delivery, contact_phone, guest_customer_id
from nudge.privacy import phone_identity
from nudge.products.model import ProductRecord
from nudge.profiles.events import (
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

Record = Mapping[str, Any]

# Item order_status codes (orders.d.ts): C40-C43 cancellation complete, R40-R43 return complete.
_CANCELLED_ITEM = ("C40", "C41", "C42", "C43")
_RETURNED_ITEM = ("R40", "R41", "R42", "R43")
SHIPPING_IN_TRANSIT = "M"
SHIPPING_DELIVERED = "T"


def order_key(order_id: str, fact: str) -> str:
    return f"cafe24:order:{order_id}:{fact}"


def member_joined_key(member_id: str, at: datetime) -> str:
    """A sign-up's key: the member and when they joined (an id that leaves and joins again signs up anew)."""
    return f"cafe24:member:{member_id}:joined:{at.astimezone(UTC):%Y%m%dT%H%M%S}"


def read_time(value: object, zone: tzinfo) -> datetime | None:
    """A Cafe24 time, the one reader of them: ISO 8601 with `+09:00`, or without an offset and with a space
    (order items, token answers: then the mall's own time, `zone`); None if there is none or it is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def cafe24_time(value: object, store: Store) -> datetime | None:
    return read_time(value, store.zone)


def money(value: object) -> Decimal | None:
    """Cafe24 writes amounts as strings ("45000.00")."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _items(order: Record) -> list[Record]:
    items = order.get("items")
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def _line(item: Record) -> OrderLine | None:
    product = item.get("product_no")
    if product in (None, "", 0, "0"):
        return None
    unit = money(item.get("product_price"))
    option = money(item.get("option_price")) or Decimal(0)
    quantity = item.get("quantity")
    return OrderLine(
        product_id=str(product),
        quantity=quantity if isinstance(quantity, int) and quantity >= 1 else 1,
        price=None if unit is None else unit + option,
        name=_text(item.get("product_name")),
    )


def _shipment(items: list[Record], store: Store) -> dict[str, str]:
    """The carrier and tracking number of the first item that shipped with a tracking number (the earliest
    `shipped_date`, then the order's own item order): OrderShipped's fields, those Cafe24 gives."""
    tracked = [i for i in items if _text(i.get("tracking_no"))]
    if not tracked:
        return {}
    floor = datetime.max.replace(tzinfo=UTC)

    def shipped_at(item: Record) -> datetime:
        return cafe24_time(item.get("shipped_date"), store) or floor

    first = min(tracked, key=shipped_at)  # min keeps the first of equals: the order's own item order
    fields = {"tracking_number": str(_text(first.get("tracking_no")))[:100]}
    if company := _text(first.get("shipping_company_name")):
        fields["shipping_company"] = company[:100]
    return fields


def _item_amount(item: Record) -> Decimal | None:
    paid = money(item.get("payment_amount"))
    if paid is not None:
        return paid
    line = _line(item)
    return None if line is None or line.price is None else line.price * line.quantity


def order_customer(order: Record, not_kept: list[FieldError]) -> tuple[str | None, MemberDetails | None]:
    """Who placed the order: the member, or a guest keyed by their phone number or e-mail address (with the
    details the order gives of them)."""
    member = _text(order.get("member_id"))
    embedded = order.get("buyer")
    buyer: Record = embedded if isinstance(embedded, Mapping) else {}
    cellphone = _text(buyer.get("cellphone")) or _text(order.get("buyer_cellphone"))
    email = _text(buyer.get("email")) or _text(order.get("buyer_email"))
    name = _text(buyer.get("name")) or _text(order.get("buyer_name"))
    if member:
        return member, None
    contact = phone_identity(cellphone or "") or email
    if not contact:
        return None, None
    phone = contact_phone(cellphone, "buyer.cellphone", not_kept)
    return guest_customer_id(contact), MemberDetails(phone=phone, name=name, email=email)


def order_deliveries(order: Record, store: Store, source: str) -> list[Delivery]:
    """The facts an order holds now, each a delivery (see the table above). An order whose customer cannot
    be told (a guest without a phone number or an e-mail address) makes one ignored delivery."""
    order_id = _text(order.get("order_id"))
    if order_id is None:
        return []
    not_kept: list[FieldError] = []
    customer_id, guest = order_customer(order, not_kept)
    if customer_id is None:
        return [
            Delivery(
                order_key(order_id, "placed"),
                None,
                ignored="guest order without a phone number or e-mail",
                not_kept=not_kept,
            )
        ]
    items = _items(order)
    lines = [line for line in (_line(i) for i in items) if line is not None]
    placed_at = cafe24_time(order.get("order_date"), store)
    if placed_at is None:
        return []
    amount = money(order.get("payment_amount"))
    if not amount:
        amount = sum((line.price or Decimal(0)) * line.quantity for line in lines) or amount or Decimal(0)

    deliveries: list[Delivery] = []

    def add(name: str, at: datetime, make: Any, **fields: Any) -> None:
        key = order_key(order_id, name)
        base = {
            "event_id": delivery_event_id(key, 0),
            "store_id": store.store_id,
            "customer_id": customer_id,
            "occurred_at": at,
            "source": source,
            "order_id": order_id,
        }
        events: list[NormalizedEvent] = [make(**base, **fields)]
        if name == "placed" and guest is not None:
            events.append(
                MemberUpdated(
                    **{k: v for k, v in base.items() if k != "order_id"}
                    | {"event_id": delivery_event_id(key, 1)},
                    member=guest,
                )
            )
        deliveries.append(Delivery(key, customer_id, events, not_kept=not_kept if name == "placed" else []))

    add("placed", placed_at, OrderPlaced, amount=amount, lines=lines[:500])
    if order.get("paid") == "T":
        add("paid", cafe24_time(order.get("payment_date"), store) or placed_at, OrderPaid, amount=amount)
    status = order.get("shipping_status")
    shipped = [t for t in (cafe24_time(i.get("shipped_date"), store) for i in items) if t]
    delivered = [t for t in (cafe24_time(i.get("delivered_date"), store) for i in items) if t]
    if status in (SHIPPING_IN_TRANSIT, SHIPPING_DELIVERED):
        add("shipped", min(shipped) if shipped else placed_at, OrderShipped, **_shipment(items, store))
    if status == SHIPPING_DELIVERED:
        add("delivered", max(delivered) if delivered else max(shipped, default=placed_at), OrderDelivered)
    if order.get("canceled") == "T":
        add("canceled", cafe24_time(order.get("cancel_date"), store) or placed_at, OrderCanceled)
    elif order.get("paid") == "T":
        for item in items:
            if str(item.get("order_status", ""))[:3] not in _CANCELLED_ITEM + _RETURNED_ITEM:
                continue
            code = _text(item.get("order_item_code")) or str(item.get("item_no", ""))
            at = (
                cafe24_time(item.get("refund_date"), store)
                or cafe24_time(item.get("return_confirmed_date"), store)
                or cafe24_time(item.get("cancel_date"), store)
                or cafe24_time(order.get("return_confirmed_date"), store)
                or placed_at
            )
            add(f"refund:{code}", at, OrderRefunded, amount=_item_amount(item))
    return deliveries


def _consents(member: Record) -> list[tuple[ConsentChannel, bool]]:
    out = []
    for flag, channel in (
        (member.get("sms"), ConsentChannel.SMS),
        (member.get("news_mail"), ConsentChannel.EMAIL),
    ):
        if flag in ("T", "F"):
            out.append((channel, flag == "T"))
    return out


def member_details(member: Record, not_kept: list[FieldError], field_prefix: str) -> MemberDetails:
    grade = member.get("group_no")
    return MemberDetails(
        phone=contact_phone(_text(member.get("cellphone")), f"{field_prefix}cellphone", not_kept),
        name=_text(member.get("name")),
        email=_text(member.get("email")),
        grade=str(grade) if grade not in (None, "", 0, "0") else None,
    )


def member_deliveries(
    member: Record, store: Store, source: str, key: str, at: datetime, *, joined: bool, field_prefix: str = ""
) -> Delivery:
    """A member's details and consents (Cafe24's `sms`, `news_mail`: T agrees, F refuses), as a sign-up
    (`joined`) or a change."""
    member_id = _text(member.get("member_id"))
    if member_id is None:
        return Delivery(key, None, ignored="no member_id")
    not_kept: list[FieldError] = []
    details = member_details(member, not_kept, field_prefix)

    def base(index: int) -> dict[str, Any]:
        return {
            "event_id": delivery_event_id(key, index),
            "store_id": store.store_id,
            "customer_id": member_id,
            "occurred_at": at,
            "source": source,
        }

    first = MemberJoined if joined else MemberUpdated
    events: list[NormalizedEvent] = [first(**base(0), member=details)]
    for index, (channel, granted) in enumerate(_consents(member)):
        events.append(ConsentChanged(**base(index + 1), channel=channel, granted=granted))
    return Delivery(key, member_id, events, not_kept=not_kept)


def member_joined(member: Record, store: Store, source: str, fallback: datetime) -> Delivery:
    """A sign-up, from the 90032 webhook or the member list: the same key and time either way."""
    member_id = _text(member.get("member_id")) or ""
    at = cafe24_time(member.get("created_date"), store) or fallback
    return member_deliveries(
        member, store, source, member_joined_key(member_id, at), at, joined=True, field_prefix="resource."
    )


def product_url(store: Store, product_no: str) -> str | None:
    """The product's page on the mall's own Cafe24 address ({mall_id}.cafe24.com)."""
    if not store.cafe24_mall_id:
        return None
    return f"https://{store.cafe24_mall_id}.cafe24.com/product/detail.html?product_no={product_no}"


def product_record(product: Record, store: Store, source: str, fallback: datetime) -> ProductRecord | None:
    """A product as the Admin API answers it (`GET products/{no}?embed=variants`), for the catalog."""
    number = product.get("product_no")
    if number in (None, "", 0):
        return None
    product_no = str(number)
    variants = product.get("variants")
    stock: int | None = None
    if isinstance(variants, list):
        quantities = [v.get("quantity", v.get("stock_quantity")) for v in variants if isinstance(v, Mapping)]
        known = [q for q in quantities if isinstance(q, int) and q >= 0]
        stock = sum(known) if known else None
    elif isinstance(product.get("stock_quantity"), int):
        stock = max(int(product["stock_quantity"]), 0)
    categories = product.get("category")
    category_ids: tuple[str, ...] | None = None
    if isinstance(categories, list):
        category_ids = tuple(
            str(c["category_no"]) for c in categories if isinstance(c, Mapping) and c.get("category_no")
        )[:20]
    image = next(
        (
            _text(product.get(k))
            for k in ("detail_image", "list_image", "small_image")
            if _text(product.get(k))
        ),
        None,
    )
    flags = {k: product.get(k) for k in ("selling", "display", "sold_out")}
    return ProductRecord(
        store_id=store.store_id,
        product_id=product_no,
        updated_at=cafe24_time(product.get("updated_date"), store) or fallback,
        source=source,
        name=_text(product.get("product_name")),
        price=money(product.get("price")),
        image_url=image if image and image.startswith(("https://", "http://")) else None,
        url=product_url(store, product_no),
        category_ids=category_ids,
        stock=stock,
        selling=None if flags["selling"] not in ("T", "F") else flags["selling"] == "T",
        display=None if flags["display"] not in ("T", "F") else flags["display"] == "T",
        sold_out=None if flags["sold_out"] not in ("T", "F") else flags["sold_out"] == "T",
    )
