"""The automation function reads a store's automations once per invocation, not once per event; the sender
reads a campaign's message once per batch of its send jobs."""

from typing import Any

from nudge.adapters.catalog import InvocationCatalog


class CountingCatalog:
    def __init__(self) -> None:
        self.documents_read = 0
        self.items_read = 0
        self.automations = [{"automation_id": "a1", "status": "active"}]
        self.campaign: dict[str, Any] | None = {"campaign_id": "c1", "message": {"content": "v1"}}

    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]:
        self.documents_read += 1
        return [dict(d) for d in self.automations]

    def get(self, store_id: str, kind: str, item_id: str) -> dict[str, Any] | None:
        self.items_read += 1
        return None if self.campaign is None else dict(self.campaign)


def test_a_batch_reads_the_automations_once_and_the_next_invocation_sees_a_change() -> None:
    inner = CountingCatalog()
    catalog = InvocationCatalog(inner)
    for _ in range(10):  # ten events of one store in one batch
        assert [d["automation_id"] for d in catalog.documents("dogday-mall", "automation")] == ["a1"]
    assert inner.documents_read == 1
    catalog.documents("dogday-mall", "automation")[0]["status"] = "paused"  # a caller's change stays its own
    assert catalog.documents("dogday-mall", "automation")[0]["status"] == "active"

    inner.automations.append({"automation_id": "a2", "status": "active"})
    catalog.forget()  # the next invocation
    assert [d["automation_id"] for d in catalog.documents("dogday-mall", "automation")] == ["a1", "a2"]
    assert inner.documents_read == 2


def test_a_batch_of_one_campaigns_jobs_reads_its_message_once_and_a_deletion_is_seen_next_time() -> None:
    inner = CountingCatalog()
    catalog = InvocationCatalog(inner)
    for _ in range(10):
        assert catalog.get("dogday-mall", "campaign", "c1") == inner.campaign
    assert inner.items_read == 1
    inner.campaign = None  # deleted by the marketer
    catalog.forget()
    assert catalog.get("dogday-mall", "campaign", "c1") is None
    assert catalog.get("dogday-mall", "campaign", "c1") is None  # "gone" is remembered for the batch too
    assert inner.items_read == 2
