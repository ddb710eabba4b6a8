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
"""

from collections.abc import Callable, Mapping
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
    PageViewed,
    ProductBackInStock,
    ProductPriceDropped,
)
from nudge.profiles.profile import Order, Profile


@dataclass(frozen=True, slots=True)
class ProfileVariable:
    """Filled from the customer's profile when the message is sent: any message may use it."""

    name: str
    meaning: str
    example: str
    read: Callable[[Profile], str | None]


@dataclass(frozen=True, slots=True)
class EventVariable:
    """Filled from the event that started an automation's journey: only its steps may use it."""

    name: str
    events: frozenset[EventType]
    meaning: str
    example: str
    read: Callable[[NormalizedEvent, Profile, ZoneInfo], str | None]


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
_CHECKOUT = frozenset({EventType.CHECKOUT_STARTED})
_CART = frozenset({EventType.CART_UPDATED})
_CONSENT = frozenset({EventType.CONSENT_CHANGED})
_COUPON = frozenset({EventType.COUPON_ISSUED})
_PRODUCT = frozenset({EventType.PRODUCT_BACK_IN_STOCK, EventType.PRODUCT_PRICE_DROPPED})
_PRICE_DROP = frozenset({EventType.PRODUCT_PRICE_DROPPED})
_PRODUCT_PAGE = _PRODUCT | {EventType.PAGE_VIEWED}
_CART_NOW = _CART | _PRODUCT

PROFILE_VARIABLES: tuple[ProfileVariable, ...] = (
    ProfileVariable("name", "the customer's name on the profile", "김하늘", lambda p: p.name or None),
)

EVENT_VARIABLES: tuple[EventVariable, ...] = (
    EventVariable(
        "order_id", _ORDERS, "the order's number", "20260318-0000012", lambda e, p, z: _order_id(e),
    ),
    EventVariable("product_id", _ORDERS, "the order's first product", "P-7", _first_product),
    EventVariable("order_amount", _ORDERS, "the order's amount", "42,000", _order_amount),
    EventVariable(
        "checkout_id", _CHECKOUT, "the checkout's id", "c-1001",
        lambda e, p, z: c.checkout_id if (c := _checkout(e)) else None,
    ),
    EventVariable(
        "checkout_url", _CHECKOUT, "the platform's link back to the checkout", "https://shop.example/c/1",
        lambda e, p, z: _web_link(c.recovery_url) if (c := _checkout(e)) else None,
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
        "42,000", lambda e, p, z: _cart_amount(p),
    ),
    EventVariable(
        "cart_product_name", _CART_NOW, "the name of the cart's line added last (when known)", "강아지 껌",
        lambda e, p, z: p.cart.last_added_name,
    ),
    EventVariable(
        "consent_channel", _CONSENT, "the channels one answer covered", "문자(SMS/LMS)·이메일",
        _consent_channel,
    ),
    EventVariable("consent_result", _CONSENT, "수신동의 or 수신거부", "수신동의", _consent_result),
    EventVariable(
        "consent_date", _CONSENT, "the day of the answer", "2026년 3월 18일",
        lambda e, p, z: _korean_date(e.occurred_at, z) if isinstance(e, ConsentChanged) else None,
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
        lambda e, p, z: pr.name if (pr := _product(e)) else None,
    ),
    EventVariable(
        "product_price", _PRODUCT, "the product's price now (its sale price, when it has one)", "9,000",
        lambda e, p, z: _amount(pr.price) if (pr := _product(e)) else None,
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
        lambda e, p, z: _web_link(pr.url) if (pr := _product(e)) else None,
    ),
    EventVariable(
        "coupon_id", _COUPON, "the coupon's id", "WELCOME10",
        lambda e, p, z: c.coupon_id if (c := _coupon(e)) else None,
    ),
    EventVariable(
        "coupon_name", _COUPON, "the coupon's name (its id when it has none)", "신규회원 10% 할인",
        lambda e, p, z: (c.name or c.coupon_id) if (c := _coupon(e)) else None,
    ),
    EventVariable(
        "coupon_expires", _COUPON, "the day the coupon expires", "2026년 3월 31일",
        lambda e, p, z: _korean_date(c.expires_at, z) if (c := _coupon(e)) else None,
    ),
)  # fmt: skip

JOURNEY_VARIABLES: tuple[JourneyVariable, ...] = (
    JourneyVariable(
        "free_shipping_gap", _CART, "what the cart lacks to reach the trigger's free_shipping_threshold",
        "4,000", lambda j: j.free_shipping_threshold is not None, _free_shipping_gap,
    ),
)  # fmt: skip


def fillable(trigger: EventType | None = None, journey: Journey | None = None) -> frozenset[str]:
    """The names a message may use: a campaign's (`None`) the profile's; an automation's, also those its
    trigger's event gives, and those its parameters (`journey`) allow."""
    names = {v.name for v in PROFILE_VARIABLES}
    if trigger is not None:
        names.update(v.name for v in EVENT_VARIABLES if trigger in v.events)
        journey = journey or Journey()
        names.update(v.name for v in JOURNEY_VARIABLES if trigger in v.events and v.needs(journey))
    return frozenset(names)


def event_values(
    event: NormalizedEvent, profile: Profile, zone: ZoneInfo, journey: Journey | None = None
) -> dict[str, str]:
    """The values an event gives its journey, read when the journey starts (`profile`: with the event
    applied; `journey`: the automation's parameters); a variable without a value for this event is left
    out."""
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
    """The profile's values now; one without a value for this customer is left out."""
    return {v.name: value for v in PROFILE_VARIABLES if (value := v.read(profile)) is not None}


def fill(names: tuple[str, ...], known: Mapping[str, str], profile: Profile) -> dict[str, str]:
    """Values for a message's variables (`names` as written, `name|fallback` included): the job's own
    (`known`: its event's values), then the profile's; a declared fallback for a missing value. One with
    neither is left out, and the compliance layer then refuses the message (`missing_variable`): a raw
    `#{...}` never reaches a customer."""
    values = {**profile_values(profile), **known}
    out: dict[str, str] = {}
    for token in names:
        name, fallback = variable_parts(token)
        value = values.get(name, fallback)
        if value is not None:
            out[token] = value
    return out


def _listed(variables: tuple[ProfileVariable, ...] | tuple[EventVariable, ...]) -> str:
    return ", ".join(f"`#{{{v.name}}}` ({v.meaning}, e.g. {v.example})" for v in variables)


def _by_event() -> str:
    groups: dict[str, list[str]] = {}
    for variable in EVENT_VARIABLES:
        events = sorted(variable.events)
        key = "order.*" if variable.events == _ORDERS else ", ".join(events)
        groups.setdefault(key, []).append(f"`#{{{variable.name}}}`")
    listed = "; ".join(f"{event}: {', '.join(names)}" for event, names in groups.items())
    extra = "; ".join(
        f"`#{{{v.name}}}` ({', '.join(sorted(v.events))}, {v.meaning})" for v in JOURNEY_VARIABLES
    )
    return f"{listed}; and with a parameter of the trigger: {extra}"


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
    f"Variables: {_listed(PROFILE_VARIABLES)}." + _RULES
)
STEP_MESSAGE_TEXT = (
    "A message definition (docs/compliance.md), validated with the store's settings when it is saved. "
    f"Variables: {_listed(PROFILE_VARIABLES)} in any step; those the trigger's event gives: {_by_event()}."
    + _RULES
)
