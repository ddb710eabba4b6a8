"""Automation definitions: what is accepted, and a refusal that names every wrong field."""

from datetime import datetime
from typing import Any

import pytest

from nudge.automations.definitions import Automation, trigger_matches, validate_automation
from nudge.errors import InvalidPayload
from nudge.profiles.profile import Profile
from tests.unit.automations.helpers import CART, KST, REVIEW, REVIEW_MESSAGE, STORE, event

NOW = datetime(2026, 3, 18, 9, 0, tzinfo=KST)
NO_TEMPLATE = {k: v for k, v in REVIEW_MESSAGE.items() if k != "template_code"}
PROMOTION = {**REVIEW_MESSAGE, "content": "리뷰 쓰면 쿠폰 증정!"}
BAD_SEGMENT = {"include": [{"field": "nope"}]}


def _step(delay: dict[str, Any], message: dict[str, Any] = REVIEW_MESSAGE) -> dict[str, Any]:
    return {"steps": [{"delay": delay, "message": message}]}


def _fields(payload: Any) -> list[str]:
    with pytest.raises(InvalidPayload) as refused:
        validate_automation(payload, STORE, NOW, "a1")
    return [f.field for f in refused.value.fields]


def test_the_document_keeps_status_and_each_steps_message_where_the_sender_reads_them() -> None:
    automation, document = validate_automation(REVIEW, STORE, NOW, "a1")
    assert document["status"] == "active"
    assert document["steps"][0]["message"] == REVIEW_MESSAGE
    assert document["steps"][0]["delay"] == {"days": 3, "at": "16:00:00"}
    assert Automation.from_document(document) == automation


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"trigger": {"event": "order.teleported"}}, "trigger.event"),
        ({"steps": []}, "steps"),
        (_step({"days": 3, "at": "16:00", "hours": 1}), "steps[0].delay"),
        (_step({"days": 1}, NO_TEMPLATE), "steps[0].message.template_code"),
        (_step({"days": 1}, PROMOTION), "steps[0].message.content"),
        ({"trigger": {"event": "order.delivered", "filter": {"path_prefix": "/event"}}}, "trigger"),
        ({"trigger": {"event": "order.delivered", "segment": BAD_SEGMENT}}, "trigger.segment"),
        ({"exit": {"when": ["checkout_completed"]}}, "exit.when"),
        ({"reentry": {"policy": "once_per_days"}}, "reentry"),
    ],
)  # fmt: skip
def test_a_wrong_field_is_named(change: dict[str, Any], field: str) -> None:
    found = _fields({**REVIEW, **change})
    assert any(f == field or f.startswith(field + ".") or f.startswith(field + "[") for f in found), found


def test_cart_trigger_filter_counts_the_cart_after_the_event() -> None:
    automation, _ = validate_automation(CART, STORE, NOW, "cart")
    profile = Profile(STORE.store_id, "c1")
    empty = event("cart.updated", "e0", NOW, lines=[], replace=True)
    assert not trigger_matches(automation, empty, profile, KST)
    profile.cart.lines["P1"] = 1
    added = event("cart.updated", "e1", NOW, lines=[{"product_id": "P1"}])
    assert trigger_matches(automation, added, profile, KST)


def test_page_path_filter_and_first_visit() -> None:
    visit_join = {**CART, "exit": {}, "trigger": {"event": "page.viewed",
                  "filter": {"path_prefix": "/member/join", "first_visit": True}}}  # fmt: skip
    automation, _ = validate_automation(visit_join, STORE, NOW, "join")
    profile = Profile(STORE.store_id, "v1", visit_count=1)
    assert trigger_matches(automation, event("page.viewed", "p", NOW, path="/member/join.html"), profile, KST)
    assert not trigger_matches(automation, event("page.viewed", "p", NOW, path="/product/1"), profile, KST)
    profile.visit_count = 2
    join_page = event("page.viewed", "p", NOW, path="/member/join.html")
    assert not trigger_matches(automation, join_page, profile, KST)
