"""The variables a message may use: every `#{name}` Nudge can fill, by where the message is sent from, in
one table.

A campaign's message has the profile's variables, read when each message is sent. An automation's message
also has those its trigger's event gives, read when the journey starts and carried on its due steps and
send jobs. This module reads them (`profile_values`, `event_values`), fills a message's variables from them
(`fill`: the sender, and an automation's check when its step fires) and says which names a message sent
from a campaign or from an automation's trigger may use (`fillable`), which the admin API passes to the
compliance layer when a campaign or automation is saved: any other `#{name}` without a declared fallback
(`#{name|고객}`) is refused then (`unfillable_variable`), not suppressed at every send. One table, so what
a marketer may write and what the sender fills cannot drift apart. docs/sending.md lists them.

A few values depend on the automation as well as on its event: `free_shipping_gap` needs the free-shipping
threshold its trigger names (`Journey`, built by nudge.automations.definitions.variables_of); only an
automation whose trigger names one may use it.

A variable in the table may still have no value for one customer (a profile without a name, a cart
without prices): that send is suppressed `missing_variable`, unless the message declares a fallback.

Names: each variable has its English name and the Korean name(s) AlimTalk templates registered with Kakao
usually use (`aliases`: `#{송장번호}` is `#{tracking_number}`). A message may use either; it is checked and
filled the same, and an AlimTalk's template parameter goes out under the name the template wrote. The
store's own member attributes (nudge.profiles.events.Attributes) are `#{attr_<key>}`: any such name may be
written, and a customer without that attribute is not sent the message unless it declares a fallback.
The store's variables (its name, its address) come from its settings when the message is sent (`fill`'s
`store`).
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from compliance.consent import CHANNEL_NAMES
from compliance.formats import variable_parts
from compliance.links import web_link_problem
from nudge.profiles.events import (
    ORDER_EVENT_TYPES,
    CartUpdated,
    CheckoutStarted,
    ConsentChanged,
    CouponIssued,
    EventType,
    NormalizedEvent,
    OrderShipped,
    PageViewed,
    ProductBackInStock,
    ProductPriceDropped,
)
from nudge.profiles.profile import Order, Profile
from nudge.stores import Store


@dataclass(frozen=True, slots=True)
class ProfileVariable:
    """Filled from the customer's profile when the message is sent: any message may use it."""

    name: str
    meaning: str
    example: str
    read: Callable[[Profile], str | None]
    aliases: tuple[str, ...] = ()  # the Korean names templates use


@dataclass(frozen=True, slots=True)
class StoreVariable:
    """Filled from the store's settings when the message is sent: any message may use it."""

    name: str
    meaning: str
    example: str
    read: Callable[[Store], str | None]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EventVariable:
    """Filled from the event that started an automation's journey: only its steps may use it."""

    name: str
    events: frozenset[EventType]
    meaning: str
    example: str
    read: Callable[[NormalizedEvent, Profile, ZoneInfo], str | None]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Journey:
    """What an automation adds to its event's values: the parameters its trigger carries."""

    free_shipping_threshold: Decimal | None = None  # the trigger's filter.free_shipping_threshold


@dataclass(frozen=True, slots=True)
class JourneyVariable:
    """Filled from the event and a parameter of the automation (`needs`: whether this one has it)."""

    name: str
    events: frozenset[EventType]
    meaning: str
    example: str
    needs: Callable[[Journey], bool]
    read: Callable[[NormalizedEvent, Profile, Journey], str | None]
    aliases: tuple[str, ...] = ()


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:,.0f}"


def _korean_date(instant: datetime, zone: ZoneInfo) -> str:
    day = instant.astimezone(zone).date()
    return f"{day.year}년 {day.month}월 {day.day}일"


def _order_id(event: NormalizedEvent) -> str | None:
    return getattr(event, "order_id", None) if event.type in ORDER_EVENT_TYPES else None


def _order(event: NormalizedEvent, profile: Profile) -> Order | None:
    order_id = _order_id(event)
    return profile.orders.get(order_id) if order_id is not None else None


def _first_product(event: NormalizedEvent, profile: Profile, zone: ZoneInfo) -> str | None:
    order = _order(event, profile)
    return order.products[0] if order is not None and order.products else None


def _order_amount(event: NormalizedEvent, profile: Profile, zone: ZoneInfo) -> str | None:
    order = _order(event, profile)
    return _amount(order.amount) if order is not None else None


def _order_items(event: NormalizedEvent, profile: Profile, zone: ZoneInfo) -> str | None:
    order = _order(event, profile)
    return str(order.item_count) if order is not None and order.item_count else None


def _order_first_item(event: NormalizedEvent, profile: Profile, zone: ZoneInfo) -> str | None:
    order = _order(event, profile)
    return order.first_item if order is not None else None


def _order_item_summary(event: NormalizedEvent, profile: Profile, zone: ZoneInfo) -> str | None:
    """The order's lines the usual Korean way: "강아지 껌" for one, "강아지 껌 외 2건" for three."""
    order = _order(event, profile)
    if order is None or order.first_item is None:
        return None
    others = order.item_count - 1
    return f"{order.first_item} 외 {others}건" if others > 0 else order.first_item


def _shipped(event: NormalizedEvent) -> OrderShipped | None:
    return event if isinstance(event, OrderShipped) else None


def _store_url(store: Store) -> str | None:
    """The storefront's address: the first origin its tracker posts from (the store's own domain), else the
    platform's address of the shop (Cafe24's {mall_id}.cafe24.com, Shopify's shop domain)."""
    if store.allowed_origins:
        return store.allowed_origins[0]
    if store.cafe24_mall_id:
        return f"https://{store.cafe24_mall_id}.cafe24.com"
    if store.shopify_shop_domain:
        return f"https://{store.shopify_shop_domain}"
    return None


def _web_link(url: str | None) -> str | None:
    """A link the platform gave, if it is one a message may carry (compliance.links): else no value."""
    return url if url and web_link_problem(url) is None else None


def _checkout(event: NormalizedEvent) -> CheckoutStarted | None:
    return event if isinstance(event, CheckoutStarted) else None


def _answered_together(event: ConsentChanged, profile: Profile) -> list[str]:
    """The channels this answer covers: the event's, and any other the same webhook answered the same way
    (the profile holds them all by the time the events are read)."""
    channels = {event.channel.value}
    for channel, consent in profile.consents.items():
        if (
            consent.granted == event.granted
            and consent.at == event.occurred_at
            and consent.source == event.source
        ):
            channels.add(channel)
    return sorted(channels, key=lambda c: (c != event.channel.value, c))


def _consent_channel(event: NormalizedEvent, profile: Profile, zone: ZoneInfo) -> str | None:
    if not isinstance(event, ConsentChanged):
        return None
    channels = _answered_together(event, profile)
    return "·".join(CHANNEL_NAMES.get(channel, "야간 광고") for channel in channels)


def _consent_result(event: NormalizedEvent, profile: Profile, zone: ZoneInfo) -> str | None:
    if not isinstance(event, ConsentChanged):
        return None
    return "수신동의" if event.granted else "수신거부"


def _coupon(event: NormalizedEvent) -> CouponIssued | None:
    return event if isinstance(event, CouponIssued) else None


def _product(event: NormalizedEvent) -> ProductBackInStock | ProductPriceDropped | None:
    return event if isinstance(event, ProductBackInStock | ProductPriceDropped) else None


def _viewed_product(event: NormalizedEvent, profile: Profile, zone: ZoneInfo) -> str | None:
    if isinstance(event, PageViewed):
        return event.product_id
    product = _product(event)
    return product.product_id if product is not None else None


def _cart_amount(profile: Profile) -> str | None:
    """The cart's amount when its lines have prices (an amount of 0 is prices unknown, not a value)."""
    return _amount(profile.cart.amount) if profile.cart.amount else None


def _free_shipping_gap(event: NormalizedEvent, profile: Profile, journey: Journey) -> str | None:
    """What the cart still needs to reach the threshold: none when its amount is unknown or reaches it."""
    threshold, amount = journey.free_shipping_threshold, profile.cart.amount
    if threshold is None or not amount or amount >= threshold:
        return None
    return _amount(threshold - amount)


_ORDERS = frozenset(ORDER_EVENT_TYPES)
_SHIPPED = frozenset({EventType.ORDER_SHIPPED})
_CHECKOUT = frozenset({EventType.CHECKOUT_STARTED})
_CART = frozenset({EventType.CART_UPDATED})
_CONSENT = frozenset({EventType.CONSENT_CHANGED})
_COUPON = frozenset({EventType.COUPON_ISSUED})
_PRODUCT = frozenset({EventType.PRODUCT_BACK_IN_STOCK, EventType.PRODUCT_PRICE_DROPPED})
_PRICE_DROP = frozenset({EventType.PRODUCT_PRICE_DROPPED})
_PRODUCT_PAGE = _PRODUCT | {EventType.PAGE_VIEWED}
_CART_NOW = _CART | _PRODUCT

PROFILE_VARIABLES: tuple[ProfileVariable, ...] = (
    ProfileVariable(
        "name",
        "the customer's name on the profile",
        "김하늘",
        lambda p: p.name or None,
        ("고객명", "이름", "회원명", "성명"),
    ),
    ProfileVariable(
        "grade",
        "the customer's member grade as the store gives it (Cafe24: the group number)",
        "2",
        lambda p: p.grade,
        ("회원등급", "등급"),
    ),
)
# The store's own member attributes: `#{attr_<key>}` (nudge.profiles.events.Attributes).
ATTRIBUTE_PREFIX = "attr_"
ATTRIBUTE_NAME = re.compile(ATTRIBUTE_PREFIX + r"[a-z][a-z0-9_]{0,31}")
ATTRIBUTE_EXAMPLE = "초코"  # e.g. #{attr_pet_name}

STORE_VARIABLES: tuple[StoreVariable, ...] = (
    StoreVariable(
        "store_name",
        "the store's name (its settings' name)",
        "도그데이",
        lambda s: s.name,
        ("쇼핑몰", "쇼핑몰명", "상점명", "스토어명"),
    ),
    StoreVariable(
        "store_url",
        "the store's address (its tracker's first allowed origin, else its Cafe24 or Shopify address)",
        "https://dogday.example",
        _store_url,
        ("쇼핑몰주소", "쇼핑몰URL"),
    ),
)

EVENT_VARIABLES: tuple[EventVariable, ...] = (
    EventVariable(
        "order_id", _ORDERS, "the order's number", "20260318-0000012", lambda e, p, z: _order_id(e),
        ("주문번호",),
    ),
    EventVariable("product_id", _ORDERS, "the order's first product", "P-7", _first_product),
    EventVariable(
        "order_amount", _ORDERS, "the order's amount", "42,000", _order_amount, ("결제금액", "주문금액"),
    ),
    EventVariable(
        "order_items", _ORDERS, "how many lines (products) the order has", "3", _order_items, ("주문상품수",),
    ),
    EventVariable(
        "order_first_item", _ORDERS, "the name of the order's first line (when known)", "강아지 껌",
        _order_first_item, ("대표상품명",),
    ),
    EventVariable(
        "product_name", _ORDERS, "the name of the order's first line (when known)", "강아지 껌",
        _order_first_item, ("상품명",),
    ),
    EventVariable(
        "order_item_summary", _ORDERS, "the order's lines: the first's name and how many others",
        "강아지 껌 외 2건", _order_item_summary, ("주문상품", "주문내역"),
    ),
    EventVariable(
        "shipping_company", _SHIPPED, "the carrier (when the platform gives it)", "CJ대한통운",
        lambda e, p, z: sh.shipping_company if (sh := _shipped(e)) else None,
        ("택배사", "택배사명", "배송업체"),
    ),
    EventVariable(
        "tracking_number", _SHIPPED, "the tracking number (when the platform gives it)", "601234567890",
        lambda e, p, z: sh.tracking_number if (sh := _shipped(e)) else None, ("송장번호", "운송장번호"),
    ),
    EventVariable(
        "tracking_url", _SHIPPED, "the carrier's tracking page (Shopify gives it; Cafe24 does not)",
        "https://trace.cjlogistics.com/next/tracking.html?wblNo=601234567890",
        lambda e, p, z: _web_link(sh.tracking_url) if (sh := _shipped(e)) else None,
        ("배송조회링크", "배송조회URL"),
    ),
    EventVariable(
        "checkout_id", _CHECKOUT, "the checkout's id", "c-1001",
        lambda e, p, z: c.checkout_id if (c := _checkout(e)) else None,
    ),
    EventVariable(
        "checkout_url", _CHECKOUT, "the platform's link back to the checkout", "https://shop.example/c/1",
        lambda e, p, z: _web_link(c.recovery_url) if (c := _checkout(e)) else None, ("결제링크",),
    ),
    EventVariable(
        "checkout_amount", _CHECKOUT, "the checkout's amount", "42,000",
        lambda e, p, z: _amount(c.amount) if (c := _checkout(e)) else None,
    ),
    EventVariable(
        "cart_items", _CART, "items in the cart now", "3",
        lambda e, p, z: str(p.cart.item_count) if isinstance(e, CartUpdated) else None,
    ),
    EventVariable(
        "cart_amount", _CART_NOW, "the cart's amount then (when the platform or the catalog gives prices)",
        "42,000", lambda e, p, z: _cart_amount(p), ("장바구니금액",),
    ),
    EventVariable(
        "cart_product_name", _CART_NOW, "the name of the cart's line added last (when known)", "강아지 껌",
        lambda e, p, z: p.cart.last_added_name,
    ),
    EventVariable(
        "consent_channel", _CONSENT, "the channels one answer covered", "문자(SMS/LMS)·이메일",
        _consent_channel, ("수신채널",),
    ),
    EventVariable(
        "consent_result", _CONSENT, "수신동의 or 수신거부", "수신동의", _consent_result,
        ("처리내용", "수신동의여부"),
    ),
    EventVariable(
        "consent_date", _CONSENT, "the day of the answer", "2026년 3월 18일",
        lambda e, p, z: _korean_date(e.occurred_at, z) if isinstance(e, ConsentChanged) else None,
        ("처리일자", "수신동의일자"),
    ),
    EventVariable(
        "path", frozenset({EventType.PAGE_VIEWED}), "the page viewed", "/event/dogday",
        lambda e, p, z: e.path if isinstance(e, PageViewed) else None,
    ),
    EventVariable(
        "product_id", _PRODUCT_PAGE, "the product (of the product page viewed, or the catalog's news)", "123",
        _viewed_product,
    ),
    EventVariable(
        "product_name", _PRODUCT, "the product's name", "강아지 껌",
        lambda e, p, z: pr.name if (pr := _product(e)) else None, ("상품명",),
    ),
    EventVariable(
        "product_price", _PRODUCT, "the product's price now (its sale price, when it has one)", "9,000",
        lambda e, p, z: _amount(pr.price) if (pr := _product(e)) else None, ("상품가격", "판매가"),
    ),
    EventVariable(
        "product_old_price", _PRICE_DROP, "the price before it dropped", "12,000",
        lambda e, p, z: _amount(e.old_price) if isinstance(e, ProductPriceDropped) else None,
    ),
    EventVariable(
        "product_image_url", _PRODUCT, "the product's image (an https:// or http:// link)",
        "https://shop.example/p/123.jpg",
        lambda e, p, z: _web_link(pr.image_url) if (pr := _product(e)) else None,
    ),
    EventVariable(
        "product_url", _PRODUCT, "the product's page in the store (an https:// or http:// link)",
        "https://shop.example/product/123",
        lambda e, p, z: _web_link(pr.url) if (pr := _product(e)) else None, ("상품링크",),
    ),
    EventVariable(
        "coupon_id", _COUPON, "the coupon's id", "WELCOME10",
        lambda e, p, z: c.coupon_id if (c := _coupon(e)) else None,
    ),
    EventVariable(
        "coupon_name", _COUPON, "the coupon's name (its id when it has none)", "신규회원 10% 할인",
        lambda e, p, z: (c.name or c.coupon_id) if (c := _coupon(e)) else None, ("쿠폰명",),
    ),
    EventVariable(
        "coupon_expires", _COUPON, "the day the coupon expires", "2026년 3월 31일",
        lambda e, p, z: _korean_date(c.expires_at, z) if (c := _coupon(e)) else None,
        ("쿠폰만료일", "쿠폰유효기간"),
    ),
)  # fmt: skip

JOURNEY_VARIABLES: tuple[JourneyVariable, ...] = (
    JourneyVariable(
        "free_shipping_gap", _CART, "what the cart lacks to reach the trigger's free_shipping_threshold",
        "4,000", lambda j: j.free_shipping_threshold is not None, _free_shipping_gap, ("무료배송잔액",),
    ),
)  # fmt: skip


class Fillable(frozenset[str]):
    """The names a message may use (`fillable`): those listed, each table name's Korean aliases among them,
    and any `attr_<key>` (a member attribute, whatever keys the store sends)."""

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or (isinstance(name, str) and bool(ATTRIBUTE_NAME.fullmatch(name)))


def _names(
    variables: Iterable[ProfileVariable | StoreVariable | EventVariable | JourneyVariable],
) -> set[str]:
    return {n for v in variables for n in (v.name, *v.aliases)}


def fillable(trigger: EventType | None = None, journey: Journey | None = None) -> Fillable:
    """The names a message may use: a campaign's (`None`) the profile's and the store's; an automation's,
    also those its trigger's event gives, and those its parameters (`journey`) allow. Korean aliases
    included; any `attr_<key>` is fillable too (`Fillable`), listed once as `attr_<key>`."""
    names = _names(PROFILE_VARIABLES) | _names(STORE_VARIABLES) | {f"{ATTRIBUTE_PREFIX}<key>"}
    if trigger is not None:
        names |= _names(v for v in EVENT_VARIABLES if trigger in v.events)
        journey = journey or Journey()
        names |= _names(v for v in JOURNEY_VARIABLES if trigger in v.events and v.needs(journey))
    return Fillable(names)


def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    variables: list[ProfileVariable | StoreVariable | EventVariable | JourneyVariable] = [
        *PROFILE_VARIABLES, *STORE_VARIABLES, *EVENT_VARIABLES, *JOURNEY_VARIABLES,
    ]  # fmt: skip
    for variable in variables:
        for alias in variable.aliases:
            if table.setdefault(alias, variable.name) != variable.name:
                raise ValueError(f"#{{{alias}}} names both {table[alias]} and {variable.name}")
    return table


ALIASES: dict[str, str] = _alias_table()  # Korean name -> the table's name


def canonical(name: str) -> str:
    """The table's name of a variable as a message wrote it (`송장번호` -> `tracking_number`)."""
    return ALIASES.get(name, name)


def event_values(
    event: NormalizedEvent, profile: Profile, zone: ZoneInfo, journey: Journey | None = None
) -> dict[str, str]:
    """The values an event gives its journey, read when the journey starts (`profile`: with the event
    applied; `journey`: the automation's parameters), by the table's names; a variable without a value for
    this event is left out."""
    out: dict[str, str] = {}
    for variable in EVENT_VARIABLES:
        if event.type in variable.events and (value := variable.read(event, profile, zone)) is not None:
            out[variable.name] = value
    journey = journey or Journey()
    for extra in JOURNEY_VARIABLES:
        if not (event.type in extra.events and extra.needs(journey)):
            continue
        if (value := extra.read(event, profile, journey)) is not None:
            out[extra.name] = value
    return out


def profile_values(profile: Profile) -> dict[str, str]:
    """The profile's values now, its attributes as `attr_<key>`; one without a value for this customer is
    left out."""
    out = {v.name: value for v in PROFILE_VARIABLES if (value := v.read(profile)) is not None}
    out.update({f"{ATTRIBUTE_PREFIX}{key}": value for key, value in profile.attributes.items() if value})
    return out


def store_values(store: Store) -> dict[str, str]:
    """The store's values (its name, its address)."""
    return {v.name: value for v in STORE_VARIABLES if (value := v.read(store))}


def fill(
    names: tuple[str, ...], known: Mapping[str, str], profile: Profile, store: Store | None = None
) -> dict[str, str]:
    """Values for a message's variables (`names` as written, `name|fallback` and Korean names included),
    keyed as written: the job's own (`known`: its event's values), then the profile's, then the store's
    (`store`: when the sender passes it); a declared fallback for a missing value. One with none of them is
    left out, and the compliance layer then refuses the message (`missing_variable`): a raw `#{...}` never
    reaches a customer."""
    values = {**(store_values(store) if store is not None else {}), **profile_values(profile), **known}
    out: dict[str, str] = {}
    for token in names:
        name, fallback = variable_parts(token)
        value = values.get(canonical(name), fallback)
        if value is not None:
            out[token] = value
    return out


def event_examples(trigger: EventType, journey: Journey | None = None) -> dict[str, str]:
    """The table's example of every value the trigger's event (and the automation's parameters) may give, by
    the table's names: what a preview shows where the customer has no such value yet. (The profile's and the
    store's values are the customer's and the store's own: a preview never makes those up.)"""
    journey = journey or Journey()
    examples = {v.name: v.example for v in EVENT_VARIABLES if trigger in v.events}
    examples.update(
        {v.name: v.example for v in JOURNEY_VARIABLES if trigger in v.events and v.needs(journey)}
    )
    return examples


def _written(variable: ProfileVariable | StoreVariable | EventVariable | JourneyVariable) -> str:
    korean = "".join(f" / `#{{{alias}}}`" for alias in variable.aliases)
    return f"`#{{{variable.name}}}`{korean}"


def _listed(variables: Iterable[ProfileVariable | StoreVariable]) -> str:
    return ", ".join(f"{_written(v)} ({v.meaning}, e.g. {v.example})" for v in variables)


def _by_event() -> str:
    groups: dict[str, list[str]] = {}
    for variable in EVENT_VARIABLES:
        events = sorted(variable.events)
        key = "order.*" if variable.events == _ORDERS else ", ".join(events)
        groups.setdefault(key, []).append(f"{_written(variable)} ({variable.meaning})")
    listed = "; ".join(f"{event}: {', '.join(names)}" for event, names in groups.items())
    extra = "; ".join(
        f"{_written(v)} ({', '.join(sorted(v.events))}, {v.meaning})" for v in JOURNEY_VARIABLES
    )
    return f"{listed}; and with a parameter of the trigger: {extra}"


_EVERYWHERE = (
    f"{_listed((*PROFILE_VARIABLES, *STORE_VARIABLES))}, and `#{{attr_<key>}}` (the member attribute "
    f"<key> the store imported or sent, e.g. `#{{attr_pet_name}}`: {ATTRIBUTE_EXAMPLE})"
)


_RULES = (
    " A variable is filled in content, title and fallback_text (in AlimTalk also the template's extra_info "
    "and button links); any other name, or a variable anywhere else, is refused at save (400 naming the "
    "field) unless it declares a fallback for a missing value: `#{nickname|고객}`. A customer without a "
    "value for a variable the message uses (a profile without a name) is not sent it (`missing_variable`) "
    "unless the message declares a fallback. Links (buttons' link_mo / link_pc, the coupon's, image and "
    "video URLs) are full https:// (or http://) addresses; an AL button's scheme_android / scheme_ios may "
    "be the app's own scheme (myapp://…); javascript:, data:, file:, relative links and hidden spaces or "
    "control characters are refused."
)
CAMPAIGN_MESSAGE_TEXT = (
    "A message definition (docs/compliance.md), validated with the store's settings when it is saved. "
    f"Variables (the English name or its Korean one): {_EVERYWHERE}." + _RULES
)
STEP_MESSAGE_TEXT = (
    "A message definition (docs/compliance.md), validated with the store's settings when it is saved. "
    f"Variables (the English name or its Korean one): {_EVERYWHERE} in any step; those the trigger's event "
    f"gives: {_by_event()}." + _RULES
)
