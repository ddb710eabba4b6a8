"""The "why" answer tells the campaigns that ran without the customer in the order they ran, whatever order
the store's campaigns are listed in."""

from datetime import UTC, datetime

from nudge.explain import Source, explain


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
