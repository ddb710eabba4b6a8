"""The "why" answer: each message with its automation step, and the campaigns that ran without the customer
in the order they ran, whatever order the store's campaigns are listed in."""

from datetime import UTC, datetime

from nudge.reports.why import Source, explain
from tests.unit.sending.world import SMS_AD, World


def test_campaigns_not_sent_are_told_in_the_order_they_last_ran() -> None:
    at = [datetime(2026, 3, day, 1, tzinfo=UTC) for day in (10, 11, 12)]
    sources = {  # listed by campaign id, which says nothing of when each ran
        "campaign:a": Source("campaign:a", "둘째 알림", "seg", True, None, at[1]),
        "campaign:b": Source("campaign:b", "셋째 알림", "seg", True, None, at[2]),
        "campaign:c": Source("campaign:c", "첫 알림", "seg", True, None, at[0]),
        "campaign:d": Source("campaign:d", "아직 안 보낸 알림", "seg"),  # never ran: not told
    }
    answer = explain(None, "m1", [], sources, lambda segment_id: False)
    assert [c["name"] for c in answer["campaigns_not_sent"]] == ["첫 알림", "둘째 알림", "셋째 알림"]


def test_the_two_messages_of_a_two_step_automation_are_told_apart_by_their_step() -> None:
    world = World()
    world.customer("c1")
    source = world.campaign("cmp1", SMS_AD)
    for step in (0, 1):
        assert world.send(world.job(source, "c1", step=step, business_key="cart-1")).state == "sent"
    answer = explain(None, "c1", world.ledger.records.values(), {}, lambda segment_id: False)
    assert sorted(m["step"] for m in answer["messages"]) == [1, 2]  # counted from 1, as marketers do
    one_step = {source: Source(source, "환영", steps=1)}
    first = [next(iter(world.ledger.records.values()))]
    assert "step" not in explain(None, "c1", first, one_step, lambda segment_id: False)["messages"][0]
    campaign = World()
    campaign.customer("c1")
    assert campaign.send(campaign.job(campaign.campaign("cmp1", SMS_AD), "c1")).state == "sent"
    plain = explain(None, "c1", campaign.ledger.records.values(), {}, lambda segment_id: False)
    assert [m.get("step") for m in plain["messages"]] == [None]  # a campaign's message has no step
