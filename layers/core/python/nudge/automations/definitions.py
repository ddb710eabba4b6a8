"""Automations: journeys a store's marketer sets up once and that run per customer.

An automation = a trigger (a normalized event type, with an optional filter on the event and an optional
segment the customer must be in when it happens) + one or more steps (each a delay counted from the
trigger and a message) + exit conditions (checked again when a step fires, against the profile then)
+ a re-entry policy (once per business key — an order, a cart, a checkout, a product — at most once per N
days, or once per business key in N days).

Pure: no I/O. `nudge.automations.runs` uses this to start journeys from events and to fire due steps.
Delays are computed in the store's time zone: "3 days later at 16:00" is the trigger's store-zone date
+ 3 days, at 16:00 there; with `business_days`, Saturdays, Sundays and Korean public holidays (the
`holidays` package, which follows the official calendar including substitute holidays) are not counted,
since couriers neither collect nor deliver on them.
"""

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.json_schema import GetJsonSchemaHandler, JsonSchemaValue
from pydantic_core import CoreSchema

from compliance.message import CONSENT_CHANNEL, Message, validate_message
from nudge import ids
from nudge.errors import FieldError, InvalidPayload, field_errors
from nudge.images import ImageStore
from nudge.images.service import facts_for, with_mms_image
from nudge.ports import AUTOMATION
from nudge.profiles.events import (
    GATEWAY_OPTOUT_SOURCE,
    ORDER_EVENT_TYPES,
    CartUpdated,
    CheckoutStarted,
    ConsentChanged,
    ConsentChannel,
    CouponIssued,
    EventType,
    NormalizedEvent,
    OrderPlaced,
    PageViewed,
    ProductBackInStock,
    ProductPriceDropped,
    delivery_of,
)
from nudge.profiles.profile import (
    MAX_VIEWS_PER_PRODUCT,
    PRODUCT_VIEW_HISTORY_DAYS,
    OrderStatus,
    Profile,
)
from nudge.segments.repurchase import DEFAULT_CYCLE_DAYS, RepurchaseCycles
from nudge.sending.gateway import gateway_problems
from nudge.sending.links import Tracking
from nudge.sending.reasons import NudgeReason, detailed
from nudge.sending.variables import STEP_MESSAGE_TEXT, Journey, event_values, fillable
from nudge.stores import Store

MAX_STEPS = 10
MAX_DELAY_DAYS = 800  # the 2-year consent re-confirmation notice is the longest journey
IMMEDIATE_WINDOW = timedelta(seconds=60)  # a step due sooner than this goes straight to the send queue
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Status = Literal["active", "paused"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------- trigger


class TriggerFilter(_Model):
    """Optional conditions on the triggering event; each applies to the event types named beside it."""

    path_prefix: Annotated[str, Field(pattern=r"^/", max_length=512)] | None = None  # page.viewed
    min_items: Annotated[int, Field(ge=0)] | None = None  # cart.updated: items in the cart now
    min_amount: Annotated[Decimal, Field(ge=0)] | None = None  # cart.updated, checkout.started, order.*
    max_amount: Annotated[Decimal, Field(ge=0)] | None = None
    channel: ConsentChannel | None = None  # consent.changed
    granted: bool | None = None  # consent.changed
    first_visit: bool | None = None  # visit.started, page.viewed: the customer's first visit
    # page.viewed: the page's product (PageViewed.product_id) viewed at least this many times within
    # `views_within_days` (7 unless given), this view included: browse abandonment.
    min_product_views: Annotated[int, Field(ge=1, le=MAX_VIEWS_PER_PRODUCT)] | None = None
    views_within_days: Annotated[int, Field(ge=1, le=PRODUCT_VIEW_HISTORY_DAYS)] | None = None
    in_cart: bool | None = None  # product.*, page.viewed: the event's product is (not) in the cart now
    # cart.updated: the store's free-shipping threshold; the cart's amount must be below it, and its steps
    # may say what is missing (#{free_shipping_gap}).
    free_shipping_threshold: Annotated[Decimal, Field(gt=0)] | None = None


DEFAULT_VIEWS_WITHIN_DAYS = 7
PRODUCT_EVENTS = frozenset({EventType.PRODUCT_BACK_IN_STOCK, EventType.PRODUCT_PRICE_DROPPED})
# The triggers whose journeys are about one product (business key "product:{id}"): a page view only when the
# page declared its product.
_PRODUCT_TRIGGERS = PRODUCT_EVENTS | {EventType.PAGE_VIEWED}

_FILTER_EVENTS: dict[str, frozenset[EventType]] = {
    "path_prefix": frozenset({EventType.PAGE_VIEWED}),
    "min_items": frozenset({EventType.CART_UPDATED}),
    "min_amount": frozenset(
        {EventType.CART_UPDATED, EventType.CHECKOUT_STARTED, EventType.ORDER_PLACED, EventType.ORDER_PAID}
    ),
    "channel": frozenset({EventType.CONSENT_CHANGED}),
    "granted": frozenset({EventType.CONSENT_CHANGED}),
    "first_visit": frozenset({EventType.VISIT_STARTED, EventType.PAGE_VIEWED}),
    "min_product_views": frozenset({EventType.PAGE_VIEWED}),
    "views_within_days": frozenset({EventType.PAGE_VIEWED}),
    "in_cart": _PRODUCT_TRIGGERS,
    "free_shipping_threshold": frozenset({EventType.CART_UPDATED}),
}
_FILTER_EVENTS["max_amount"] = _FILTER_EVENTS["min_amount"]


class Trigger(_Model):
    event: EventType
    filter: TriggerFilter = TriggerFilter()
    segment: dict[str, Any] | None = None  # the segment language: the customer must be in it when it happens

    @model_validator(mode="after")
    def _filter_fits_event(self) -> Self:
        for name in self.filter.model_fields_set:
            if getattr(self.filter, name) is not None and self.event not in _FILTER_EVENTS[name]:
                allowed = ", ".join(sorted(_FILTER_EVENTS[name]))
                raise ValueError(f"filter.{name} applies to {allowed}, not {self.event}")
        low, high = self.filter.min_amount, self.filter.max_amount
        if low is not None and high is not None and high < low:
            raise ValueError("filter.max_amount must not be below filter.min_amount")
        threshold = self.filter.free_shipping_threshold
        if low is not None and threshold is not None and threshold <= low:
            raise ValueError("filter.free_shipping_threshold must be above filter.min_amount")
        if self.filter.views_within_days is not None and self.filter.min_product_views is None:
            raise ValueError("filter.views_within_days goes with filter.min_product_views")
        return self

    @property
    def journey(self) -> Journey:
        """The parameters the trigger gives its journey's variables (nudge.sending.variables)."""
        return Journey(free_shipping_threshold=self.filter.free_shipping_threshold)


# ---------------------------------------------------------------- delays


_DELAY_TEXT = re.compile(
    r"^\s*(?:(?P<days>\d+)\s*(?P<business>business\s+)?days?)?"
    r"\s*(?:(?P<hours>\d+)\s*hours?)?\s*(?:(?P<minutes>\d+)\s*minutes?)?"
    r"\s*(?:later)?\s*(?:at\s+(?P<at>\d{1,2}:\d{2}))?\s*$"
)


class Delay(_Model):
    """How long after the trigger a step is due: a duration (`minutes`, `hours`, `days`), or `days` later
    at a wall-clock time `at` in the store's time zone; `business_days` skips weekends and holidays.
    Also written as text: "1 hour", "2 hours 30 minutes", "3 days later at 16:00",
    "3 business days later at 16:00", "now"."""

    minutes: Annotated[int, Field(ge=0, le=60 * 24 * 7)] = 0
    hours: Annotated[int, Field(ge=0, le=24 * 90)] = 0
    days: Annotated[int, Field(ge=0, le=MAX_DELAY_DAYS)] = 0
    at: time | None = None  # "16:00"
    business_days: bool = False
    repurchase_cycle: bool = False  # `days` = the product's learned repurchase cycle (plus `days`, if any)
    before_expiry: bool = False  # coupon.issued: `days` *before* the coupon's expiry date, at `at`

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The object, or the same as text (`_from_text`): the admin API's OpenAPI document shows both."""
        written = {"type": "string", "examples": ["1 hour", "3 business days later at 16:00", "now"]}
        return {"anyOf": [handler.resolve_ref_schema(handler(core_schema)), written], "title": "Delay"}

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip().lower()
        if text in ("now", "at once", "immediately"):
            return {}
        match = _DELAY_TEXT.match(text)
        if not text or match is None or not any(match.groupdict().values()):
            raise ValueError(f"{value!r} is not a delay like '1 hour' or '3 days later at 16:00'")
        parts = match.groupdict()
        out: dict[str, Any] = {k: int(parts[k]) for k in ("days", "hours", "minutes") if parts[k]}
        if parts["business"]:
            out["business_days"] = True
        if parts["at"]:
            out["at"] = parts["at"].zfill(5)
        return out

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if self.at is not None:
            if self.minutes or self.hours:
                raise ValueError("give either `at` (with `days`) or `minutes`/`hours`, not both")
            if self.at.tzinfo is not None or self.at.second or self.at.microsecond:
                raise ValueError("`at` is a wall-clock time HH:MM in the store's time zone")
        if self.business_days and not self.days and not self.repurchase_cycle:
            raise ValueError("`business_days` counts `days`: give days >= 1")
        if self.repurchase_cycle and (self.hours or self.minutes):
            raise ValueError("a repurchase-cycle delay counts days: use `at`, not `hours`/`minutes`")
        if self.before_expiry and (self.at is None or self.repurchase_cycle or self.business_days):
            raise ValueError("`before_expiry` counts `days` before the expiry date and needs `at`")
        if self.days * 86_400 + self.hours * 3600 + self.minutes * 60 > MAX_DELAY_DAYS * 86_400:
            raise ValueError(f"a delay is at most {MAX_DELAY_DAYS} days")
        return self


@cache
def _korean_holidays(year: int) -> frozenset[date]:
    import holidays  # imported on first use: only business-day delays need the calendar

    return frozenset(holidays.country_holidays("KR", years=[year]))


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a Korean public holiday (substitute and election days included)."""
    return day.weekday() < 5 and day not in _korean_holidays(day.year)


def add_business_days(day: date, count: int, business_day: Callable[[date], bool] = is_business_day) -> date:
    """The `count`-th business day after `day` (the start day itself is never counted)."""
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if business_day(day):
            remaining -= 1
    return day


def due_at(
    trigger_at: datetime,
    delay: Delay,
    zone: ZoneInfo,
    cycle_days: int | None = None,
    expires_at: datetime | None = None,
) -> datetime:
    """When a step with this delay is due for a trigger at `trigger_at` (a UTC-aware instant).
    `cycle_days`: the repurchase cycle of what was bought, for `repurchase_cycle` delays; `expires_at`:
    the coupon's expiry, for `before_expiry` delays."""
    if delay.before_expiry and expires_at is not None and delay.at is not None:
        day = expires_at.astimezone(zone).date() - timedelta(days=delay.days)
        return datetime.combine(day, delay.at, tzinfo=zone).astimezone(trigger_at.tzinfo)
    local = trigger_at.astimezone(zone)
    days = delay.days
    if delay.repurchase_cycle:
        days += cycle_days if cycle_days is not None else DEFAULT_CYCLE_DAYS
    if delay.business_days:
        day = add_business_days(local.date(), days)
    else:
        day = local.date() + timedelta(days=days)
    if delay.at is not None:
        return datetime.combine(day, delay.at, tzinfo=zone).astimezone(trigger_at.tzinfo)
    shifted = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
    return (shifted + timedelta(hours=delay.hours, minutes=delay.minutes)).astimezone(trigger_at.tzinfo)


# ---------------------------------------------------------------- exit and re-entry

ExitWhen = Literal[
    "order_canceled",  # the order (business key) was canceled or refunded, in full or in part
    "cart_emptied",  # the cart was checked out or emptied since the trigger
    "checkout_completed",  # the checkout (business key) became an order
    "purchased",  # any purchase since the trigger
    "joined",  # the customer signed up (for visitor nudges)
    "consent_withdrawn",  # the step's channel consent was withdrawn or refused
    "order_paid",  # the order (business key) was paid: for unpaid-order reminders
    "consent_changed",  # the consent (business key) was answered again since: withdrawn or re-given
    "carted",  # the product (business key) is in the cart now
    "not_in_cart",  # the product (business key) is not in the cart now (it left since the trigger)
    "product_purchased",  # the product (business key) was bought since the trigger
]
_PRODUCT_EXITS = ("carted", "not_in_cart", "product_purchased")
CUSTOMER_GONE = "customer_gone"  # an exit no condition names: the profile is gone


class ExitConditions(_Model):
    when: tuple[ExitWhen, ...] = ()
    segment: dict[str, Any] | None = None  # exit when the customer is in this segment at firing time


class ReEntry(_Model):
    """`once_per_business_key`: one journey per key, ever; `once_per_days`: one per customer in any `days`;
    `once_per_business_key_per_days`: one per key in any `days` (a product again after two weeks)."""

    policy: Literal["once_per_business_key", "once_per_days", "once_per_business_key_per_days"] = (
        "once_per_business_key"
    )
    days: Annotated[int, Field(ge=1, le=3650)] | None = None

    @model_validator(mode="after")
    def _days_with_policy(self) -> Self:
        if (self.policy != "once_per_business_key") != (self.days is not None):
            raise ValueError(
                "`days` goes with policy once_per_days or once_per_business_key_per_days, and only with them"
            )
        return self


# ---------------------------------------------------------------- definition


class StepDefinition(_Model):
    name: Annotated[str, Field(max_length=100)] = ""
    delay: Delay
    message: Annotated[dict[str, Any], Field(description=STEP_MESSAGE_TEXT)]  # the compliance layer checks it
    tracking: Tracking = Tracking()


class AutomationDefinition(_Model):
    """What the marketer sends to create or replace an automation."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    status: Status = "active"
    trigger: Trigger
    steps: Annotated[list[StepDefinition], Field(min_length=1, max_length=MAX_STEPS)]
    exit: ExitConditions = ExitConditions()
    reentry: ReEntry = ReEntry()
    template: Annotated[str, Field(max_length=64)] | None = None  # the ready-made automation it came from


class Step(_Model):
    name: str
    delay: Delay
    message: Message
    tracking: Tracking


class Automation(_Model):
    catalog_kind: ClassVar[str] = AUTOMATION  # the sender reads steps[step].message of its document

    automation_id: Identifier
    store_id: str
    name: str
    status: Status
    trigger: Trigger
    steps: tuple[Step, ...]
    exit: ExitConditions
    reentry: ReEntry
    template: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    # Set when a sync paused it because a step's AlimTalk template stopped being approved (nudge.alimtalk);
    # saving it again (the marketer's resume) writes it without them.
    paused_reason: str | None = None
    paused_at: AwareDatetime | None = None

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Self:
        """An automation from its catalog document (`document_of`, validated when it was saved); a step's
        name and tracking may be absent. Anything missing is pydantic's ValidationError, not a KeyError."""

        def step(s: Any) -> Any:
            if not isinstance(s, dict):
                return s
            return {
                "name": s.get("name", ""),
                "delay": s.get("delay"),
                "message": s.get("message"),
                "tracking": s.get("tracking", {}),
            }

        steps = document.get("steps")
        return cls.model_validate(
            {
                **{k: v for k, v in document.items() if k != "steps"},
                "steps": [step(s) for s in steps] if isinstance(steps, list) else steps,
            }
        )

    @property
    def source(self) -> str:
        """How send jobs and the ledger name this automation."""
        return f"automation:{self.automation_id}"

    @property
    def active(self) -> bool:
        return self.status == "active"


def new_automation_id() -> str:
    return "aut_" + ids.token_hex(8)


def _segment_problems(definition: dict[str, Any], prefix: str) -> list[FieldError]:
    from nudge.segments.language import SegmentInvalid, parse_segment

    try:
        parse_segment(definition)
    except SegmentInvalid as exc:
        out = []
        for line in exc.errors:
            path, _, message = line.partition(": ")
            where = f"{prefix}.{path}" if path and path != "segment" else prefix
            out.append(FieldError(where, message or line))
        return out
    return []


def validate_automation(
    payload: Any,
    store: Store,
    now: datetime,
    automation_id: str,
    created_at: datetime | None = None,
    images: ImageStore | None = None,
) -> tuple[Automation, dict[str, Any]]:
    """The automation and its catalog document, or InvalidPayload naming every wrong field. The images its
    messages name must be the store's uploads and fit where they are shown (`images`)."""
    if not isinstance(payload, dict):
        raise InvalidPayload("automation is not valid", [FieldError("body", "expected a JSON object")])
    try:
        definition = AutomationDefinition.model_validate(payload)
    except ValidationError as exc:
        raise InvalidPayload("automation is not valid", field_errors(exc)) from exc
    problems: list[FieldError] = []
    # The profile's, those the trigger's event gives and those its parameters allow.
    variables = fillable(definition.trigger.event, definition.trigger.journey)
    facts = facts_for(images, store.store_id, [step.message for step in definition.steps])
    for index, step in enumerate(definition.steps):
        prefix = f"steps[{index}].message"
        problems.extend(
            FieldError(f"{prefix}.{p.field}" if p.field != "message" else prefix, p.message)
            for p in [
                *validate_message(step.message, store.compliance, variables=variables, images=facts),
                *gateway_problems(step.message, store.gateway.provider if store.gateway else None),
            ]
        )
    if definition.trigger.segment is not None:
        problems.extend(_segment_problems(definition.trigger.segment, "trigger.segment"))
    if definition.exit.segment is not None:
        problems.extend(_segment_problems(definition.exit.segment, "exit.segment"))
    for needs_order in ("order_canceled", "order_paid"):
        if needs_order in definition.exit.when and definition.trigger.event not in ORDER_EVENT_TYPES:
            problems.append(FieldError("exit.when", f"{needs_order} needs an order.* trigger"))
    if "consent_changed" in definition.exit.when and definition.trigger.event != EventType.CONSENT_CHANGED:
        problems.append(FieldError("exit.when", "consent_changed needs the consent.changed trigger"))
    event = definition.trigger.event
    if "checkout_completed" in definition.exit.when and event != EventType.CHECKOUT_STARTED:
        problems.append(FieldError("exit.when", "checkout_completed needs the checkout.started trigger"))
    for needs_product in _PRODUCT_EXITS:
        if needs_product in definition.exit.when and event not in _PRODUCT_TRIGGERS:
            triggers = ", ".join(sorted(_PRODUCT_TRIGGERS))
            problems.append(FieldError("exit.when", f"{needs_product} needs a product trigger ({triggers})"))
    for index, step in enumerate(definition.steps):
        if step.delay.before_expiry and event != EventType.COUPON_ISSUED:
            where = f"steps[{index}].delay"
            problems.append(FieldError(where, "before_expiry needs the coupon.issued trigger"))
    if problems:
        raise InvalidPayload("automation is not valid", problems)
    steps = [
        step.model_copy(update={"message": with_mms_image(step.message, facts)}) for step in definition.steps
    ]
    definition = definition.model_copy(update={"steps": steps})  # as saved: with Nudge's `mms_image`
    automation = Automation(
        automation_id=automation_id,
        store_id=store.store_id,
        name=definition.name,
        status=definition.status,
        trigger=definition.trigger,
        steps=tuple(
            Step(name=s.name, delay=s.delay, message=Message.model_validate(s.message), tracking=s.tracking)
            for s in definition.steps
        ),
        exit=definition.exit,
        reentry=definition.reentry,
        template=definition.template,
        created_at=created_at or now,
        updated_at=now,
    )
    return automation, document_of(automation, definition)


def _normalized_segment(definition: dict[str, Any] | None) -> dict[str, Any] | None:
    from nudge.segments.language import parse_segment, segment_json

    return None if definition is None else segment_json(parse_segment(definition))


def document_of(automation: Automation, definition: AutomationDefinition) -> dict[str, Any]:
    """The catalog document: `status` and `steps[i].message` / `.tracking` are what the sender reads."""
    trigger = automation.trigger.model_dump(mode="json", exclude_none=True, exclude={"segment"})
    if automation.trigger.segment is not None:
        trigger["segment"] = _normalized_segment(automation.trigger.segment)
    exit_: dict[str, Any] = {"when": list(automation.exit.when)}
    if automation.exit.segment is not None:
        exit_["segment"] = _normalized_segment(automation.exit.segment)
    return {
        "automation_id": automation.automation_id,
        "store_id": automation.store_id,
        "name": automation.name,
        "status": automation.status,
        "trigger": trigger,
        "steps": [
            {
                "name": step.name,
                "delay": step.delay.model_dump(mode="json", exclude_defaults=True),
                "message": step.message,  # as the marketer sent it (and as validate_message accepted it)
                "tracking": step.tracking.model_dump(mode="json", exclude_none=True),
            }
            for step in definition.steps
        ],
        "exit": exit_,
        "reentry": automation.reentry.model_dump(mode="json", exclude_none=True),
        "template": automation.template,
        "created_at": automation.created_at.isoformat(),
        "updated_at": automation.updated_at.isoformat(),
    }


# ---------------------------------------------------------------- matching events


def _order_id(event: NormalizedEvent) -> str | None:
    return getattr(event, "order_id", None) if event.type in ORDER_EVENT_TYPES else None


def _event_amount(event: NormalizedEvent, profile: Profile) -> Decimal | None:
    match event:
        case CartUpdated():
            return profile.cart.amount
        case CheckoutStarted():
            return event.amount
        case OrderPlaced():
            return event.amount
    order_id = _order_id(event)
    order = profile.orders.get(order_id) if order_id else None
    return order.amount if order else None


def _event_product(event: NormalizedEvent) -> str | None:
    """The product an event is about: a product event's, or the product page viewed."""
    if isinstance(event, ProductBackInStock | ProductPriceDropped):
        return event.product_id
    if isinstance(event, PageViewed):
        return event.product_id
    return None


def _views_within(profile: Profile, product_id: str, at: datetime, days: int) -> int:
    """Views of the product's page in the `days` up to `at` (this one included)."""
    since = at - timedelta(days=days)
    return sum(1 for seen in profile.product_views.get(product_id, ()) if since < seen <= at)


def _product_filters_pass(f: TriggerFilter, event: NormalizedEvent, profile: Profile) -> bool:
    if f.min_product_views is None and f.in_cart is None:
        return True
    product = _event_product(event)
    if product is None:
        return False
    if f.in_cart is not None and profile.cart.holds(product) != f.in_cart:
        return False
    if f.min_product_views is not None:
        days = f.views_within_days or DEFAULT_VIEWS_WITHIN_DAYS
        return _views_within(profile, product, event.occurred_at, days) >= f.min_product_views
    return True


def trigger_matches(automation: Automation, event: NormalizedEvent, profile: Profile, zone: ZoneInfo) -> bool:
    """Does this event (already applied to `profile`) start the automation for this customer?"""
    trigger = automation.trigger
    if event.type != trigger.event:
        return False
    f = trigger.filter
    if f.path_prefix is not None and not (
        isinstance(event, PageViewed) and event.path.startswith(f.path_prefix)
    ):
        return False
    if f.min_items is not None and profile.cart.item_count < f.min_items:
        return False
    if f.min_amount is not None or f.max_amount is not None:
        amount = _event_amount(event, profile)
        if amount is None:
            return False
        if f.min_amount is not None and amount < f.min_amount:
            return False
        if f.max_amount is not None and amount > f.max_amount:
            return False
    if f.free_shipping_threshold is not None and not (
        profile.cart.amount and profile.cart.amount < f.free_shipping_threshold
    ):
        return False
    if not _product_filters_pass(f, event, profile):
        return False
    if isinstance(event, ConsentChanged):
        if event.source.startswith(GATEWAY_OPTOUT_SOURCE):
            # An opt-out read from a gateway (a result, or the store's 080 list) was already answered with
            # the consent-result notice (nudge.reports.opt_outs): a journey here would send it a second time.
            return False
        if f.channel is not None and event.channel != f.channel:
            return False
        if f.granted is not None and event.granted != f.granted:
            return False
    if f.first_visit is not None and (profile.visit_count <= 1) != f.first_visit:
        return False
    if trigger.segment is not None:
        return _in_segment(trigger.segment, profile, zone, event.occurred_at)
    return True


def _in_segment(definition: dict[str, Any], profile: Profile, zone: ZoneInfo, at: datetime) -> bool:
    # The segment engine is loaded only by automations that use a segment (cold starts stay short).
    from nudge.segments.evaluate import compile_segment

    return compile_segment(definition, zone, at).matches(profile)


def business_key(event: NormalizedEvent, profile: Profile) -> str:
    """What one journey is about: the order, the checkout, the cart (since the last order emptied it),
    a consent answer, a product (the catalog's news, a product page viewed), or the customer (sign-up,
    visits)."""
    order_id = _order_id(event)
    if order_id is not None:
        return f"order:{order_id}"
    product = _event_product(event)
    if product is not None:
        return f"product:{product}"
    match event:
        case CheckoutStarted():
            return f"checkout:{event.checkout_id}"
        case CartUpdated():
            cleared = profile.cart.cleared_at
            return f"cart:{cleared.strftime('%Y%m%dT%H%M%SZ') if cleared else 'first'}"
        case ConsentChanged():
            # The webhook's id, not the event time: a platform without event times (Cafe24) stamps each
            # delivery with its arrival, and a redelivered webhook must not make a second answer of it. One
            # answer per webhook and direction: a sign-up that refuses SMS and e-mail gets one notice
            # naming both (variables_of), not one per channel.
            return f"consent:{'granted' if event.granted else 'refused'}:{delivery_of(event.event_id)}"
        case CouponIssued():
            return f"coupon:{event.coupon_id}"
    return "customer"


def variables_of(
    event: NormalizedEvent, profile: Profile, zone: ZoneInfo, automation: Automation | None = None
) -> dict[str, str]:
    """Personalisation values known when the journey starts (the profile supplies the rest at send time):
    nudge.sending.variables, the one table of what a message may use. `automation`: the journey's, whose
    trigger's parameters some values need (`#{free_shipping_gap}`: its free-shipping threshold)."""
    journey = automation.trigger.journey if automation is not None else None
    return event_values(event, profile, zone, journey)


# ---------------------------------------------------------------- exit conditions at firing time


def exit_reason(
    automation: Automation,
    step: int,
    key: str,
    trigger_at: datetime,
    profile: Profile | None,
    zone: ZoneInfo,
    now: datetime,
) -> str | None:
    """Why this step must not be sent any more (`exited:<condition>`), or None to go on."""
    if profile is None:
        return detailed(NudgeReason.EXITED, CUSTOMER_GONE)
    for condition in automation.exit.when:
        if _exited(condition, automation, step, key, trigger_at, profile):
            return detailed(NudgeReason.EXITED, condition)
    if automation.exit.segment is not None and _in_segment(automation.exit.segment, profile, zone, now):
        return detailed(NudgeReason.EXITED, "segment")
    return None


def _purchased_since(profile: Profile, since: datetime) -> bool:
    return any(
        (o.placed_at or o.paid_at or o.status_at) > since
        and o.status not in (OrderStatus.CANCELED, OrderStatus.REFUNDED)
        for o in profile.orders.values()
    )


def _bought_since(profile: Profile, product: str, since: datetime) -> bool:
    """An order placed (or paid) after `since` holding the product, not canceled or refunded in full."""
    return any(
        product in o.products
        and (o.placed_at or o.paid_at or o.status_at) > since
        and o.status not in (OrderStatus.CANCELED, OrderStatus.REFUNDED)
        for o in profile.orders.values()
    )


def _exited(
    condition: str, automation: Automation, step: int, key: str, trigger_at: datetime, profile: Profile
) -> bool:
    kind, _, value = key.partition(":")
    match condition:
        case "order_canceled":
            # Any refund counts: a review request or a repurchase reminder for goods sent back is unwelcome.
            order = profile.orders.get(value) if kind == "order" else None
            return order is not None and (
                order.status in (OrderStatus.CANCELED, OrderStatus.REFUNDED) or order.refunded is not None
            )
        case "cart_emptied":
            cart = profile.cart
            return cart.item_count == 0 or (cart.cleared_at is not None and cart.cleared_at > trigger_at)
        case "checkout_completed":
            checkout = profile.checkout
            if checkout is not None and checkout.checkout_id == value and checkout.completed_at is not None:
                return True
            return any(o.checkout_id == value for o in profile.orders.values())
        case "purchased":
            return _purchased_since(profile, trigger_at)
        case "joined":
            return profile.joined_at is not None
        case "consent_withdrawn":
            channel = CONSENT_CHANNEL.get(automation.steps[step].message.channel)
            consent = profile.consents.get(channel) if channel else None
            return consent is not None and not consent.granted
        case "order_paid":
            order = profile.orders.get(value) if kind == "order" else None
            return order is not None and order.paid_at is not None
        case "carted":
            return kind == "product" and profile.cart.holds(value)
        case "not_in_cart":
            return kind == "product" and not profile.cart.holds(value)
        case "product_purchased":
            return kind == "product" and _bought_since(profile, value, trigger_at)
        case "consent_changed":
            # The journey is about one answer (key "consent:granted|refused:<delivery>") on the channels it
            # named; each still holds it while its consent has that direction and that second (the profile
            # keeps whole seconds). It exits once none does: every channel was answered again since.
            if kind != "consent":
                return False
            granted = value.partition(":")[0] == "granted"
            answered = int(trigger_at.timestamp())
            return not any(
                c.granted == granted and int(c.at.timestamp()) == answered for c in profile.consents.values()
            )
    return False


REPURCHASE_CYCLES = "repurchase-cycles"  # catalog kind; one document, id "learned"


class LearnedCycle(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")  # `intervals`, `source`: for the marketer

    days: int


class LearnedCycles(BaseModel):
    """The store's learned repurchase cycles as the catalog keeps them (`cycles_document`), as far as a
    repurchase delay reads them."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    catalog_kind: ClassVar[str] = REPURCHASE_CYCLES

    store: LearnedCycle | None = None
    products: dict[str, LearnedCycle] = {}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Self:
        return cls.model_validate(document)


def repurchase_cycle_days(cycles: LearnedCycles | None, products: Iterable[str]) -> int:
    """The cycle for a purchase of these products: the shortest learned one (the first to run out),
    else the store's, else seed 004's 32 days."""
    if cycles is None:
        return DEFAULT_CYCLE_DAYS
    found = [cycles.products[p].days for p in products if p in cycles.products]
    if found:
        return min(found)
    return cycles.store.days if cycles.store is not None else DEFAULT_CYCLE_DAYS


def cycles_document(cycles: RepurchaseCycles, now: datetime) -> dict[str, Any]:
    """Learned cycles as the catalog keeps them."""

    def one(c: Any) -> dict[str, Any]:
        return {"days": c.days, "intervals": c.intervals, "source": c.source}

    return {
        "store": one(cycles.store),
        "products": {product: one(c) for product, c in sorted(cycles.products.items())},
        "learned_at": now.isoformat(),
    }


def reentry_window(automation: Automation) -> timedelta | None:
    """How long one journey blocks the next for the same customer, or with `reentry_per_key` for the same
    business key (None: once per business key, ever)."""
    if automation.reentry.policy != "once_per_business_key" and automation.reentry.days is not None:
        return timedelta(days=automation.reentry.days)
    return None


def reentry_per_key(automation: Automation) -> bool:
    """Whether one journey blocks the next only for its own business key (else for the customer)."""
    return automation.reentry.policy != "once_per_days"
