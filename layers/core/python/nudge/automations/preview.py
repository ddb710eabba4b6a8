"""An automation step's message as one customer would get it now (nudge.sending.preview): `POST …/automations/
{automation_id}/steps/{step}/preview` with a `customer_id` and, optionally, `event` values.

The values its trigger's event gives come, in this order, from the request's `event` (by English or Korean
name), from the customer's most recent order for an `order.*` trigger (read as if that order's event had
just arrived: its number, amount, lines), and otherwise from the table's examples, which the answer lists
(`examples`). A shipping notice previewed before the order shipped so shows the example tracking number."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

from nudge.automations.definitions import Automation
from nudge.catalog import read_or_404
from nudge.errors import NotFound
from nudge.profiles.events import ORDER_EVENT_TYPES, EventType, NormalizedEvent
from nudge.profiles.profile import Order, Profile
from nudge.sending.preview import PreviewDependencies, overrides, parse_request, preview, recent_records
from nudge.sending.variables import Journey, event_examples, event_values, fillable
from nudge.store_settings import get_store

PREVIEW_SOURCE = "preview"
_AMOUNT_EVENTS = frozenset({EventType.ORDER_PLACED, EventType.ORDER_PAID})  # the order events with an amount


def latest_order(profile: Profile) -> Order | None:
    """The customer's most recent order (by when it was placed, else when its status last changed)."""
    return max(profile.orders.values(), key=lambda o: (o.placed_at or o.status_at, o.order_id), default=None)


def order_values(
    trigger: EventType, profile: Profile, order: Order, journey: Journey, now: datetime, zone: ZoneInfo
) -> dict[str, str]:
    """What the trigger's event would give for this order, had it arrived now (the order's lines and
    amount are the profile's; a shipping event's carrier and number are not kept, so they stay unknown)."""
    fields: dict[str, Any] = {
        "type": trigger.value, "event_id": PREVIEW_SOURCE, "store_id": profile.store_id,
        "customer_id": profile.customer_id, "occurred_at": now, "source": PREVIEW_SOURCE,
        "order_id": order.order_id,
    }  # fmt: skip
    if trigger in _AMOUNT_EVENTS:
        fields["amount"] = order.amount if order.amount is not None else 0
    event: NormalizedEvent = TypeAdapter(NormalizedEvent).validate_python(fields)
    return event_values(event, profile, zone, journey)


def preview_step(
    deps: PreviewDependencies,
    store_id: str,
    automation_id: str,
    step: int,
    payload: object,
    now: datetime,
) -> dict[str, Any]:
    request = parse_request(payload)
    store = get_store(deps.stores, store_id)
    automation = read_or_404(deps.catalog, store_id, Automation, automation_id)
    if not 0 <= step < len(automation.steps):
        raise NotFound(f"automation {automation_id!r} has no step {step} (it has {len(automation.steps)})")
    trigger, journey = automation.trigger.event, automation.trigger.journey
    given = overrides(request.event, fillable(trigger, journey))
    profile = deps.profiles.load(store_id, request.customer_id)
    if profile is None:
        raise NotFound(f"unknown customer {request.customer_id!r}")
    known: dict[str, str] = {}
    order = latest_order(profile) if trigger in ORDER_EVENT_TYPES else None
    if order is not None:
        known = order_values(trigger, profile, order, journey, now, store.zone)
    known.update(given)
    message = automation.steps[step].message
    recent = recent_records(deps, store_id, request.customer_id, message, now)
    examples = event_examples(trigger, journey)
    answer = preview(message, profile, store, now, known=known, examples=examples, recent=recent)
    return {
        "automation_id": automation_id,
        "step": step,
        "trigger": trigger.value,
        "order_id": order.order_id if order is not None else None,
        **answer,
    }
