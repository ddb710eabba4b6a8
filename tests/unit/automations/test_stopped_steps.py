"""A step stopped when it falls due (or at once, when its journey starts) is a send-ledger record under the
very send key its job would have had: "why" and the automation's report find it there, it is recorded once
however often the slot or the event comes again, and a late job of the same step finds it done."""

from datetime import datetime, timedelta
from typing import get_args

from nudge.automations.definitions import CUSTOMER_GONE, ExitWhen
from nudge.automations.runs import fire_slot, start_journeys
from nudge.automations.templates import template_definition
from nudge.profiles.events import NormalizedEvent
from nudge.reports.sources import report, report_html
from nudge.reports.why import Source, explain
from nudge.sending.jobs import SendJob
from nudge.sending.reasons import NudgeReason, detailed, ends_journey
from nudge.sending.records import ClaimStatus, SendRecord, State, send_id_of
from nudge.sending.service import LEASE
from tests.unit.automations.fakes import World
from tests.unit.automations.helpers import CART, KST, STORE, event, happen, install, placed

ADDED = datetime(2026, 3, 18, 13, 10, tzinfo=KST)
FIRST = datetime(2026, 3, 18, 14, 10, tzinfo=KST)  # the first reminder: 1 h after the cart
SECOND = datetime(2026, 3, 19, 12, 0, tzinfo=KST)  # the second: the next day at 12:00


def _trigger(world: World, e: NormalizedEvent) -> None:
    happen(world, e)
    start_journeys(e, STORE, world.deps, e.occurred_at)


def _cart(world: World, customer: str = "c1", friend: bool = True) -> None:
    install(world, CART, "cart", ADDED - timedelta(days=1))
    profile = happen(world, event("member.joined", f"{customer}-j", ADDED - timedelta(days=1), customer))
    profile.channel_friend = friend
    _trigger(world, event("cart.updated", f"{customer}-cart", ADDED, customer, lines=[{"product_id": "P1"}]))


def _send_id(step: int, customer: str = "c1", occurrence: str = "c1-cart", key: str = "cart:first") -> str:
    """The send key of the job the step would have been: the one the sender claims."""
    job = SendJob(store_id=STORE.store_id, source="automation:cart", occurrence=occurrence,
                  customer_id=customer, business_key=key, step=step, queued_at=ADDED)  # fmt: skip
    return send_id_of(job.send_key)


def test_a_step_stopped_by_an_exit_is_one_ledger_record_under_its_jobs_send_key() -> None:
    world = World()
    _cart(world)
    for e in placed("O-9", ADDED + timedelta(minutes=30)):
        happen(world, e)
    assert fire_slot(STORE, FIRST, world.deps, FIRST).stopped == {"exited:purchased": 1}
    assert world.queue.jobs == []
    record = world.ledger.records[_send_id(0)]
    assert (record.state, record.reasons, record.step, record.attempt) == (
        State.SUPPRESSED, ("exited:purchased",), 0, 0
    )  # fmt: skip
    assert (record.source, record.customer_id, record.occurrence) == ("automation:cart", "c1", "c1-cart")
    assert record.is_ad and record.created_at == FIRST
    # The second step stops at its own slot, under its own key: two facts, each once.
    assert fire_slot(STORE, SECOND, world.deps, SECOND).stopped == {"exited:purchased": 1}
    assert set(world.ledger.records) == {_send_id(0), _send_id(1)}


def test_a_late_job_of_a_stopped_step_finds_it_done_and_a_second_firing_records_nothing() -> None:
    world = World()
    _cart(world)
    install(world, {**CART, "status": "paused"}, "cart", ADDED)
    fire_slot(STORE, FIRST, world.deps, FIRST)
    again = fire_slot(STORE, FIRST, world.deps, FIRST + timedelta(seconds=30))
    assert (again.stopped, again.already_handled) == ({}, 0)  # nothing due any more in the slot
    assert [r.reasons for r in world.ledger.records.values()] == [("automation_paused",)]
    late = SendRecord(_send_id(0), STORE.store_id, "automation:cart", "c1", "c1-cart", State.SENDING, step=0)
    assert world.ledger.claim(late, FIRST + timedelta(hours=1), LEASE).status is ClaimStatus.DONE


def test_a_refusal_when_the_step_falls_due_keeps_the_compliance_codes_as_the_sender_does() -> None:
    world = World()
    _cart(world, friend=False)  # a targeted brand message ("I") goes to channel friends only
    result = fire_slot(STORE, FIRST, world.deps, FIRST)
    [(reason, count)] = result.stopped.items()
    assert count == 1 and reason.startswith("suppressed:")  # as the journey's item keeps it
    record = world.ledger.records[_send_id(0)]
    assert record.reasons == tuple(reason.removeprefix("suppressed:").split(","))
    assert "not_channel_friend" in record.reasons
    assert not any(ends_journey(code) for code in record.reasons)


def test_a_paused_or_deleted_automation_records_its_stopped_steps() -> None:
    world = World()
    _cart(world)
    install(world, {**CART, "status": "paused"}, "cart", ADDED)
    fire_slot(STORE, FIRST, world.deps, FIRST)
    del world.catalog.items[(STORE.store_id, "automation", "cart")]
    fire_slot(STORE, SECOND, world.deps, SECOND)
    records = world.ledger.records
    assert (records[_send_id(0)].reasons, records[_send_id(0)].is_ad) == (("automation_paused",), True)
    # A deleted automation's message is gone: the record says nothing of it.
    assert (records[_send_id(1)].reasons, records[_send_id(1)].is_ad) == (("automation_deleted",), False)


def test_a_deferral_is_no_stop_and_writes_nothing_to_the_ledger() -> None:
    world = World()
    night = datetime(2026, 3, 18, 20, 30, tzinfo=KST)
    install(world, CART, "cart", night - timedelta(days=1))
    profile = happen(world, event("member.joined", "c1-j", night - timedelta(days=1)))
    profile.channel_friend = True
    _trigger(world, event("cart.updated", "c1-cart", night, lines=[{"product_id": "P1"}]))
    due = night + timedelta(hours=1)
    assert fire_slot(STORE, due, world.deps, due).deferred == 1
    assert world.ledger.records == {}


def test_a_customer_gone_when_the_step_falls_due_is_recorded_as_such() -> None:
    world = World()
    _cart(world)
    del world.profiles.profiles[(STORE.store_id, "c1")]
    fire_slot(STORE, FIRST, world.deps, FIRST)
    assert world.ledger.records[_send_id(0)].reasons == (detailed(NudgeReason.EXITED, CUSTOMER_GONE),)


def test_a_step_stopped_when_its_journey_starts_is_recorded_once_however_often_the_event_comes() -> None:
    world = World()
    coupon = template_definition("coupon_expiry", STORE, {"channel": "sms"})
    install(world, coupon, "coupon", ADDED - timedelta(days=1))
    happen(world, event("member.joined", "c1-j", ADDED - timedelta(days=1)))
    issued = event("coupon.issued", "cp-1", ADDED, coupon_id="CP1", expires_at=ADDED - timedelta(hours=1))
    happen(world, issued)
    for _ in range(2):  # the event redelivered
        result = start_journeys(issued, STORE, world.deps, ADDED)
        assert result.stopped == ["coupon[0]: expired"]
    [record] = world.ledger.records.values()
    job = SendJob(store_id=STORE.store_id, source="automation:coupon", occurrence="cp-1", customer_id="c1",
                  business_key="coupon:CP1", step=0, queued_at=ADDED)  # fmt: skip
    assert (record.send_id, record.reasons, record.state) == (
        send_id_of(job.send_key), ("expired",), State.SUPPRESSED
    )  # fmt: skip


def test_every_exit_condition_and_automation_stop_ends_the_journey_and_a_rules_refusal_does_not() -> None:
    for condition in (*get_args(ExitWhen), "segment", CUSTOMER_GONE):
        assert ends_journey(detailed(NudgeReason.EXITED, condition)), condition
    for code in (NudgeReason.AUTOMATION_PAUSED, NudgeReason.AUTOMATION_DELETED, NudgeReason.STEP_REMOVED):
        assert ends_journey(code)
    assert not ends_journey("no_consent") and not ends_journey("expired")
    assert not ends_journey(NudgeReason.SOURCE_PAUSED)  # the sender's: counted as before, suppressed


def _stopped_records(world: World) -> list[SendRecord]:
    _cart(world)
    _cart(world, "c2", friend=False)
    for e in placed("O-9", ADDED + timedelta(minutes=30)):
        happen(world, e)
    fire_slot(STORE, FIRST, world.deps, FIRST)
    return list(world.ledger.records.values())


def test_the_report_counts_steps_stopped_by_reason_apart_from_the_rules_refusals() -> None:
    records = _stopped_records(World())
    data = report("automation:cart", records, lambda ids: {}, lambda ids: {})
    assert (data["targeted"], data["sent"], data["stopped"], data["suppressed"]) == (2, 0, 1, 1)
    assert data["stopped_by_reason"] == {"exited:purchased": 1}
    assert "exited:purchased" not in data["suppressed_by_reason"] and data["suppressed_by_reason"]
    page = report_html("장바구니 리마인드", data)
    assert "Stopped by reason" in page and "자동화 종료 조건 충족: 구매함" in page


def test_why_tells_the_stopped_step_its_source_when_and_why() -> None:
    records = _stopped_records(World())
    sources = {"automation:cart": Source("automation:cart", "장바구니 리마인드", steps=2)}
    answer = explain(None, "c1", [r for r in records if r.customer_id == "c1"], sources, lambda _: False)
    [message] = answer["messages"]
    assert (message["name"], message["step"], message["state"]) == ("장바구니 리마인드", 1, "stopped")
    chain = {link["step"]: link for link in message["chain"]}
    assert chain["stopped"]["at"] == FIRST.isoformat()
    assert chain["stopped"]["reasons"] == [
        {"code": "exited:purchased",
         "meaning": "the customer met one of the automation's exit conditions: they bought something",
         "meaning_ko": "자동화 종료 조건 충족: 구매함"}
    ]  # fmt: skip
    assert "compliance" not in chain and "gateway" not in chain
    # Refused by the rules when it fell due: suppressed, with the compliance reasons, at that moment.
    refused = explain(None, "c2", [r for r in records if r.customer_id == "c2"], sources, lambda _: False)
    [message] = refused["messages"]
    chain = {link["step"]: link for link in message["chain"]}
    assert message["state"] == "suppressed" and chain["compliance"]["decision"] == "suppressed"
    assert "not_channel_friend" in [r["code"] for r in chain["compliance"]["reasons"]]
    assert chain["compliance"]["at"] == FIRST.isoformat()
