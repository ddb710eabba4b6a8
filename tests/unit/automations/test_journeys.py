"""Journeys: events start them, slots fire them, each step is checked again when it fires."""

import json
from datetime import datetime, timedelta

from nudge.automations.runs import fire_slot, start_journeys
from nudge.automations.templates import template_definition
from nudge.profiles.events import NormalizedEvent
from nudge.profiles.profile import Consent, Profile
from nudge.sending.jobs import SendJob
from tests.unit.automations.fakes import World
from tests.unit.automations.helpers import CART, KST, REVIEW, STORE, event, happen, install, placed

ORDERED = datetime(2026, 3, 18, 10, 0, tzinfo=KST)
DELIVERED = datetime(2026, 3, 20, 23, 30, tzinfo=KST)
REVIEW_SLOT = datetime(2026, 3, 23, 16, 0, tzinfo=KST)


def _trigger(world: World, e: NormalizedEvent, now: datetime | None = None) -> None:
    happen(world, e)
    start_journeys(e, STORE, world.deps, now or e.occurred_at)


def _delivered(world: World) -> None:
    install(world, REVIEW, "review", ORDERED)
    for e in placed("O-1", ORDERED):
        _trigger(world, e)
    _trigger(world, event("order.delivered", "O-1-d", DELIVERED, order_id="O-1"))


def test_a_delivery_files_one_due_step_in_the_16_00_slot_and_makes_sure_of_its_schedule() -> None:
    world = World()
    _delivered(world)
    assert world.journeys.states() == [(REVIEW_SLOT, "due", "")]
    assert world.slots.slots == {(STORE.store_id, REVIEW_SLOT)}
    assert world.queue.jobs == []


def test_the_slot_queues_one_send_job_and_a_second_firing_sends_nothing() -> None:
    world = World()
    _delivered(world)
    first = fire_slot(STORE, REVIEW_SLOT, world.deps, REVIEW_SLOT)
    second = fire_slot(STORE, REVIEW_SLOT, world.deps, REVIEW_SLOT + timedelta(seconds=30))
    assert (first.queued, second.queued) == (1, 0)
    [job] = world.queue.jobs
    assert (job.source, job.occurrence) == ("automation:review", "O-1-d")
    assert (job.business_key, job.step) == ("order:O-1", 0)
    assert job.variables["order_id"] == "O-1"
    assert "name" not in job.variables  # personal data stays in the profile; the sender fills it in
    assert job.owed_by_law is False  # a marketer's automation


def test_a_legal_notice_automations_send_job_is_marked_owed_by_law_when_queued() -> None:
    world = World()
    install(world, {**REVIEW, "template": "consent_result"}, "review", ORDERED)
    for e in placed("O-1", ORDERED):
        _trigger(world, e)
    _trigger(world, event("order.delivered", "O-1-d", DELIVERED, order_id="O-1"))
    fire_slot(STORE, REVIEW_SLOT, world.deps, REVIEW_SLOT)
    [job] = world.queue.jobs
    assert job.owed_by_law is True  # the ledger's first write (the claim) carries it
    assert SendJob.model_validate_json(job.model_dump_json()) == job
    # Other jobs are written as before: a sender of an earlier version reads them (they may wait for days
    # in a deferral schedule).
    plain = job.model_copy(update={"owed_by_law": False})
    assert "owed_by_law" not in json.loads(plain.model_dump_json())
    assert SendJob.model_validate_json(plain.model_dump_json()) == plain


def test_a_refund_before_the_slot_stops_the_step_with_its_reason() -> None:
    world = World()
    _delivered(world)
    happen(world, event("order.refunded", "O-1-r", DELIVERED + timedelta(days=1), order_id="O-1"))
    result = fire_slot(STORE, REVIEW_SLOT, world.deps, REVIEW_SLOT)
    assert result.stopped == {"exited:order_canceled": 1}
    assert world.queue.jobs == []
    assert world.journeys.states() == [(REVIEW_SLOT, "stopped", "exited:order_canceled")]


def test_a_retried_event_starts_nothing_twice_and_another_delivery_of_the_order_is_ignored() -> None:
    world = World()
    _delivered(world)
    again = event("order.delivered", "O-1-d", DELIVERED, order_id="O-1")
    start_journeys(again, STORE, world.deps, DELIVERED)  # the queue redelivered the same event
    later = event("order.delivered", "O-1-d2", DELIVERED + timedelta(hours=2), order_id="O-1")
    result = start_journeys(later, STORE, world.deps, later.occurred_at)
    assert result.not_reentered == ["review"]
    assert len(world.journeys.steps) == 1


def test_a_throttled_scheduler_leaves_the_step_due_and_the_retry_makes_the_slot() -> None:
    world = World()
    install(world, REVIEW, "review", ORDERED)
    for e in placed("O-1", ORDERED):
        _trigger(world, e)
    delivered = event("order.delivered", "O-1-d", DELIVERED, order_id="O-1")
    happen(world, delivered)
    world.slots.failures = 1
    try:
        start_journeys(delivered, STORE, world.deps, DELIVERED)
        raise AssertionError("the failure must reach the queue, which redelivers the event")
    except RuntimeError:
        pass
    assert world.journeys.states() == [(REVIEW_SLOT, "due", "")]
    start_journeys(delivered, STORE, world.deps, DELIVERED)  # redelivered
    assert world.slots.slots == {(STORE.store_id, REVIEW_SLOT)}
    assert fire_slot(STORE, REVIEW_SLOT, world.deps, REVIEW_SLOT).queued == 1


def test_a_paused_automation_sends_nothing_when_its_slot_fires() -> None:
    world = World()
    _delivered(world)
    install(world, {**REVIEW, "status": "paused"}, "review", ORDERED)
    assert fire_slot(STORE, REVIEW_SLOT, world.deps, REVIEW_SLOT).stopped == {"automation_paused": 1}


def _cart(world: World, at: datetime, customer: str = "c1") -> None:
    install(world, CART, "cart", at - timedelta(days=1))
    profile = happen(world, event("member.joined", f"{customer}-j", at - timedelta(days=1), customer))
    profile.channel_friend = True
    _trigger(world, event("cart.updated", f"{customer}-cart", at, customer, lines=[{"product_id": "P1"}]))


def test_cart_reminders_stop_when_the_customer_buys() -> None:
    world = World()
    added = datetime(2026, 3, 18, 13, 10, tzinfo=KST)
    _cart(world, added)
    first, second = datetime(2026, 3, 18, 14, 10, tzinfo=KST), datetime(2026, 3, 19, 12, 0, tzinfo=KST)
    assert {slot for _, slot in world.slots.slots} == {first, second}
    assert fire_slot(STORE, first, world.deps, first).queued == 1
    for e in placed("O-9", first + timedelta(hours=1)):
        happen(world, e)
    assert fire_slot(STORE, second, world.deps, second).stopped == {"exited:purchased": 1}
    assert [job.step for job in world.queue.jobs] == [0]


def test_a_night_time_ad_is_deferred_to_08_00_not_dropped() -> None:
    world = World()
    added = datetime(2026, 3, 18, 20, 30, tzinfo=KST)  # reminder due 21:30: inside Kakao's 20:50-08:00 block
    _cart(world, added)
    due = datetime(2026, 3, 18, 21, 30, tzinfo=KST)
    result = fire_slot(STORE, due, world.deps, due)
    assert (result.deferred, result.queued) == (1, 0)
    next_morning = [slot.astimezone(KST) for _, slot in world.slots.slots]
    [morning] = [s for s in next_morning if s.date() == due.date() + timedelta(days=1) and s.hour == 8]
    assert fire_slot(STORE, morning, world.deps, morning).queued == 1
    assert [job.step for job in world.queue.jobs] == [0]


def test_at_most_once_per_days_ignores_a_new_cart_within_the_window() -> None:
    world = World()
    added = datetime(2026, 3, 18, 13, 10, tzinfo=KST)
    _cart(world, added)
    more = event("cart.updated", "c1-cart-2", added + timedelta(days=1), lines=[{"product_id": "P2"}])
    happen(world, more)
    assert start_journeys(more, STORE, world.deps, more.occurred_at).not_reentered == ["cart"]
    later = event("cart.updated", "c1-cart-3", added + timedelta(days=4), lines=[{"product_id": "P3"}])
    happen(world, later)
    assert start_journeys(later, STORE, world.deps, later.occurred_at).started == ["cart"]


def test_a_step_due_within_a_minute_goes_straight_to_the_queue() -> None:
    world = World()
    welcome = {**REVIEW, "trigger": {"event": "member.joined"}, "exit": {"when": []},
               "steps": [{"delay": {}, "message": {**REVIEW_WELCOME}}]}  # fmt: skip
    install(world, welcome, "welcome", ORDERED)
    _trigger(world, event("member.joined", "j-1", ORDERED))
    assert world.slots.slots == set()
    assert [job.source for job in world.queue.jobs] == ["automation:welcome"]


def test_an_ad_to_a_customer_who_withdrew_consent_is_stopped_when_it_fires() -> None:
    world = World()
    steps = [{"delay": {"hours": 1}, "message": AD_SMS}]
    sms = {**CART, "steps": steps, "exit": {"when": ["consent_withdrawn"]}}
    install(world, sms, "cart-sms", ORDERED)
    added = datetime(2026, 3, 18, 13, 10, tzinfo=KST)
    profile = happen(world, event("member.joined", "j", added - timedelta(days=1)))
    profile.consents["sms"] = Consent(True, added - timedelta(days=1), "signup-form")
    _trigger(world, event("cart.updated", "cart-1", added, lines=[{"product_id": "P1"}]))
    profile.consents["sms"] = Consent(False, added + timedelta(minutes=20), "080")
    due = added + timedelta(hours=1)
    assert fire_slot(STORE, due, world.deps, due).stopped == {"exited:consent_withdrawn": 1}


REVIEW_WELCOME = {
    "message_class": "informational",
    "channel": "alimtalk",
    "content": "#{name}님, 도그데이몰 회원이 되신 것을 환영합니다.",
    "template_code": "WELCOME_01",
    "template_approved": True,
    "template_message_type": "BA",
}
AD_SMS = {"message_class": "advertising", "channel": "sms", "content": "장바구니에 담아 두신 상품이 있어요."}


def test_a_declared_fallback_is_filled_when_the_step_fires_as_the_sender_fills_it() -> None:
    """The check when a step fires fills the message's variables as the sender does
    (nudge.sending.variables.fill): `#{name|고객}` is filled for a customer with a name and one without,
    and the step is queued, not stopped `missing_variable`."""
    world = World()
    message = {**REVIEW_WELCOME, "content": "#{name|고객}님, 주문번호 #{order_id} 상품은 잘 받으셨나요?"}
    steps = [{"delay": {"days": 3, "at": "16:00"}, "message": message}]
    install(world, {**REVIEW, "steps": steps}, "review", ORDERED)
    for customer, name in (("c1", "김민지"), ("c2", None)):
        world.profiles.profiles[(STORE.store_id, customer)] = Profile(STORE.store_id, customer, name=name)
        for e in placed(f"O-{customer}", ORDERED, customer):
            _trigger(world, e)
        delivered = event("order.delivered", f"d-{customer}", DELIVERED, customer, order_id=f"O-{customer}")
        _trigger(world, delivered)
    result = fire_slot(STORE, REVIEW_SLOT, world.deps, REVIEW_SLOT)
    assert (result.queued, result.stopped) == (2, {})


def _reconfirmation(world: World, granted_at: datetime) -> datetime:
    """The 2-year re-confirmation notice's journey for an SMS and e-mail opt-in at `granted_at`; its due."""
    install(world, template_definition("consent_reconfirmation", STORE, {}), "reconfirm", granted_at)
    happen(world, event("member.joined", "j", granted_at - timedelta(days=1)))
    for channel in ("sms", "email"):
        answer = event("consent.changed", f"signup#{channel}", granted_at, channel=channel, granted=True)
        _trigger(world, answer)
    [(due, state, _)] = world.journeys.states()
    assert state == "due"
    return due


def test_the_reconfirmation_notice_goes_while_one_channel_still_holds_the_consent_it_reconfirms() -> None:
    world = World()
    granted_at = datetime(2026, 3, 18, 13, 10, 7, 250_000, tzinfo=KST)
    due = _reconfirmation(world, granted_at)
    profile = world.profiles.profiles[(STORE.store_id, "c1")]
    later = granted_at + timedelta(days=30)
    happen(world, event("consent.changed", "080#sms", later, channel="sms", granted=False))
    assert profile.consents["email"].granted
    assert fire_slot(STORE, due, world.deps, due).queued == 1


def test_the_reconfirmation_notice_stops_once_every_channel_was_answered_again() -> None:
    world = World()
    granted_at = datetime(2026, 3, 18, 13, 10, 7, 250_000, tzinfo=KST)
    due = _reconfirmation(world, granted_at)
    later = granted_at + timedelta(days=30)
    happen(world, event("consent.changed", "080#sms", later, channel="sms", granted=False))
    happen(world, event("consent.changed", "form#email", later, channel="email", granted=True))
    assert fire_slot(STORE, due, world.deps, due).stopped == {"exited:consent_changed": 1}
