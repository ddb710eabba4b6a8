"""Stores, automations and events for the automation tests."""

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

from nudge.automations.definitions import validate_automation
from nudge.ports import AUTOMATION
from nudge.profiles.events import NormalizedEvent
from nudge.profiles.profile import Profile, apply_event
from nudge_local.runtime.stores import DOGDAY
from tests.unit.automations.fakes import World

KST = ZoneInfo("Asia/Seoul")
STORE = DOGDAY.store
_events: TypeAdapter[NormalizedEvent] = TypeAdapter(NormalizedEvent)

REVIEW_MESSAGE = {
    "message_class": "informational",
    "channel": "alimtalk",
    "content": "#{name}님, 주문번호 #{order_id} 상품은 잘 받으셨나요? 사용 후기를 남겨 주세요.",
    "template_code": "REVIEW_REQUEST_01",
    "template_approved": True,
}
CART_MESSAGE = {
    "message_class": "advertising",
    "channel": "brand_message",
    "content": "#{name}님, 장바구니에 담아 두신 상품이 기다리고 있어요.",
    "buttons": [
        {"name": "장바구니 보기", "type": "WL", "link_mo": "https://dogday.example/order/basket.html"}
    ],
    "targeting": "I",
}
REVIEW = {
    "name": "review",
    "trigger": {"event": "order.delivered"},
    "steps": [{"delay": {"days": 3, "at": "16:00"}, "message": REVIEW_MESSAGE}],
    "exit": {"when": ["order_canceled"]},
}
CART = {
    "name": "cart",
    "trigger": {"event": "cart.updated", "filter": {"min_items": 1}},
    "steps": [
        {"delay": {"hours": 1}, "message": CART_MESSAGE},
        {"delay": {"days": 1, "at": "12:00"}, "message": CART_MESSAGE},
    ],
    "exit": {"when": ["purchased", "cart_emptied"]},
    "reentry": {"policy": "once_per_days", "days": 3},
}


def install(world: World, definition: dict[str, Any], automation_id: str, now: datetime) -> None:
    _, document = validate_automation(definition, STORE, now, automation_id)
    world.catalog.items[(STORE.store_id, AUTOMATION, automation_id)] = document


def event(type_: str, event_id: str, at: datetime, customer: str = "c1", **data: Any) -> NormalizedEvent:
    return _events.validate_python(
        {"type": type_, "event_id": event_id, "store_id": STORE.store_id, "customer_id": customer,
         "occurred_at": at, "source": "nudge", **data}
    )  # fmt: skip


def happen(world: World, e: NormalizedEvent) -> Profile:
    """Apply an event to the customer's profile, as ingest does before handing it on."""
    key = (e.store_id, e.customer_id)
    profile = world.profiles.profiles.setdefault(key, Profile(e.store_id, e.customer_id, name="김민지"))
    apply_event(profile, e, KST)
    return profile


def placed(order_id: str, at: datetime, customer: str = "c1") -> list[NormalizedEvent]:
    lines = [{"product_id": "P1", "quantity": 1, "price": Decimal(42000)}]
    return [
        event("order.placed", f"{order_id}-p", at, customer, order_id=order_id, amount=42000, lines=lines),
        event("order.paid", f"{order_id}-paid", at, customer, order_id=order_id, amount=42000),
    ]
