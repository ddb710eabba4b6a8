"""The send ledger and the rate limiter against moto, with SendsTable as template.yaml defines it."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from nudge.adapters.ledger import RATE_HEADROOM, DynamoRateLimiter, DynamoSendLedger
from nudge.automations.definitions import CUSTOMER_GONE
from nudge.sending.reasons import NudgeReason, detailed
from nudge.sending.records import ClaimStatus, SendRecord, State
from nudge.sending.service import LEASE

pytestmark = pytest.mark.contract
NOW = datetime(2026, 3, 18, 3, 0, tzinfo=UTC)


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


@pytest.fixture
def client() -> Any:
    props = yaml.load(Path("template.yaml").read_text(), Loader=_Loader)["Resources"]["SendsTable"][
        "Properties"
    ]
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="ap-northeast-2")
        dynamodb.create_table(
            TableName="sends",
            **{
                k: props[k]
                for k in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
            },
        )
        yield dynamodb


def _stored(ledger: DynamoSendLedger, send_id: str) -> SendRecord:
    record = ledger.get(send_id)
    assert record is not None, send_id
    return record


def _record(send_id: str = "a" * 24) -> SendRecord:
    return SendRecord(send_id, "dogday-mall", "campaign:c1", "cust", "occ", State.SENDING)


def test_a_send_key_is_claimed_once_and_taken_over_only_after_its_lease(client: Any) -> None:
    ledger = DynamoSendLedger("sends", client)
    first = ledger.claim(_record(), NOW, LEASE)
    assert first.status is ClaimStatus.NEW and first.record.attempt == 1
    assert ledger.claim(_record(), NOW + timedelta(seconds=10), LEASE).status is ClaimStatus.BUSY
    later = NOW + LEASE + timedelta(seconds=1)
    takeover = ledger.claim(_record(), later, LEASE)
    assert takeover.status is ClaimStatus.TAKEOVER and takeover.record.attempt == 2
    # The first attempt wakes up: its outcome is refused, the newer attempt's is written.
    assert not ledger.finish(replace(first.record, state=State.SENT), later)
    sent = replace(takeover.record, state=State.SENT, sent_at=later)
    assert ledger.finish(sent, later)
    assert ledger.claim(_record(), later, LEASE).status is ClaimStatus.DONE
    assert [r.send_id for r in ledger.recent("dogday-mall", "cust", NOW - timedelta(days=1))] == ["a" * 24]
    assert [r.state for r in ledger.for_source("dogday-mall", "campaign:c1")] == [State.SENT]


def test_reports_and_clicks_update_the_record(client: Any) -> None:
    ledger = DynamoSendLedger("sends", client)
    claim = ledger.claim(_record(), NOW, LEASE)
    ledger.finish(replace(claim.record, state=State.SENT, sent_at=NOW), NOW)
    updated = ledger.update_report("a" * 24, state=State.DELIVERED, code="3019", fell_back=True, at=NOW)
    assert updated is not None and (updated.state, updated.fell_back, updated.code) == (
        State.DELIVERED,
        True,
        "3019",
    )
    ledger.record_click("a" * 24, NOW + timedelta(hours=1))
    clicked = ledger.record_click("a" * 24, NOW + timedelta(hours=2))
    assert clicked is not None and clicked.clicks == 2 and clicked.clicked_at == NOW + timedelta(hours=1)
    assert ledger.record_click("b" * 24, NOW) is None
    assert list(ledger.get_many(["a" * 24, "b" * 24, "a" * 24])) == ["a" * 24]  # the unknown one is left out
    assert ledger.update_report("b" * 24, state=State.DELIVERED, code=None, fell_back=False, at=NOW) is None


def test_one_write_takes_the_slots_of_ten_sends(client: Any) -> None:
    clock = [1_000.0]
    calls: list[str] = []
    client.meta.events.register("before-call.dynamodb.UpdateItem", lambda **_: calls.append("update"))
    limiter = DynamoRateLimiter(
        "sends", client, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s)
    )
    slots = [limiter.acquire("nhn-main", 50) for _ in range(10)]
    assert len(calls) == 2  # the first block finds the account idle: a failed condition, then the start
    slots += [limiter.acquire("nhn-main", 50) for _ in range(20)]
    assert len(calls) == 4  # then one write per ten sends
    assert all(b - a >= 1 / (50 * RATE_HEADROOM) - 1e-6 for a, b in pairwise(slots))


def test_senders_sharing_an_account_get_slots_spaced_by_the_limit(client: Any) -> None:
    clock = [1_000.0]
    slots: list[float] = []

    def sleep(seconds: float) -> None:
        slots.append(clock[0] + seconds)

    senders = [DynamoRateLimiter("sends", client, clock=lambda: clock[0], sleep=sleep) for _ in range(3)]
    for i in range(30):  # three concurrent invocations, interleaved, all at the same instant
        senders[i % 3].acquire("nhn-main", 10)
    starts = sorted([clock[0], *slots])  # the first call needs no wait
    gaps = [b - a for a, b in pairwise(starts)]
    assert len(starts) == 30 and min(gaps) >= 1 / (10 * RATE_HEADROOM) - 1e-6
    assert sum(1 for t in starts if t < clock[0] + 1.0) <= 10  # never above the limit in a second


def test_an_automation_steps_record_keeps_its_step_through_claim_outcome_and_report(client: Any) -> None:
    ledger = DynamoSendLedger("sends", client)
    claim = ledger.claim(replace(_record(), source="automation:cart", step=1), NOW, LEASE)
    ledger.finish(replace(claim.record, state=State.SENT, sent_at=NOW), NOW)
    ledger.update_report("a" * 24, state=State.DELIVERED, code=None, fell_back=False, at=NOW)
    assert _stored(ledger, "a" * 24).step == 1
    campaign = ledger.claim(_record("b" * 24), NOW, LEASE).record
    assert _stored(ledger, campaign.send_id).step is None  # a campaign's send has no step


def test_a_legal_notice_claimed_as_owed_stays_owed_when_its_report_overtakes_the_outcome(client: Any) -> None:
    ledger = DynamoSendLedger("sends", client)
    claim = ledger.claim(replace(_record(), source="automation:notice", step=0, owed_by_law=True), NOW, LEASE)
    # The gateway took it and reported it before the sender wrote its outcome (it crashed).
    ledger.update_report("a" * 24, state=State.DELIVERED, code=None, fell_back=False, at=NOW)
    assert not ledger.finish(replace(claim.record, state=State.SENT, sent_at=NOW), NOW)
    assert _stored(ledger, "a" * 24).owed_by_law is True


def test_a_legal_notices_mark_survives_the_outcome_and_the_report(client: Any) -> None:
    ledger = DynamoSendLedger("sends", client)
    claim = ledger.claim(replace(_record(), source="automation:notice", step=0), NOW, LEASE)
    ledger.finish(replace(claim.record, state=State.SENT, sent_at=NOW, owed_by_law=True), NOW)
    ledger.update_report("a" * 24, state=State.DELIVERED, code=None, fell_back=False, at=NOW)
    [record] = ledger.for_source("dogday-mall", "automation:notice")
    assert (record.state, record.owed_by_law) == (State.DELIVERED, True)
    other = ledger.claim(_record("b" * 24), NOW, LEASE).record
    assert _stored(ledger, other.send_id).owed_by_law is False


def test_a_reports_read_of_many_customers_sends_gives_each_customer_theirs(client: Any) -> None:
    ledger = DynamoSendLedger("sends", client)
    for n in range(150):  # more than one BatchGetItem's worth, across three customers
        record = replace(_record(f"{n:024d}"), customer_id=f"c{n % 3}", created_at=NOW + timedelta(seconds=n))
        ledger.claim(record, NOW, LEASE)
    old = NOW - timedelta(days=3)
    ledger.claim(replace(_record("f" * 24), customer_id="c0", created_at=old), old, LEASE)
    found = ledger.recent_many("dogday-mall", ["c0", "c1", "c2", "c9", "c0"], NOW - timedelta(hours=1))
    assert sorted(found) == ["c0", "c1", "c2", "c9"]
    assert {c: len(records) for c, records in found.items()} == {"c0": 50, "c1": 50, "c2": 50, "c9": 0}
    assert all(r.customer_id == c for c, records in found.items() for r in records)
    assert found["c1"] == ledger.recent("dogday-mall", "c1", NOW - timedelta(hours=1))  # older one left out


def _stop(send_id: str, customer_id: str = "cust", reason: str = "exited:purchased") -> SendRecord:
    return SendRecord(send_id, "dogday-mall", "automation:cart", customer_id, "occ", State.SUPPRESSED,
                      reasons=(reason,), step=0, is_ad=True, created_at=NOW)  # fmt: skip


def test_a_stopped_step_is_put_once_and_its_late_job_finds_it_done(client: Any) -> None:
    ledger = DynamoSendLedger("sends", client)
    assert ledger.record_stop(_stop("a" * 24))
    assert not ledger.record_stop(_stop("a" * 24, reason="automation_paused"))  # a retry: the first stands
    stored = _stored(ledger, "a" * 24)
    assert (stored.state, stored.reasons, stored.step, stored.attempt) == (
        State.SUPPRESSED, ("exited:purchased",), 0, 0
    )  # fmt: skip
    assert ledger.claim(replace(_record(), source="automation:cart"), NOW, LEASE).status is ClaimStatus.DONE
    assert [r.send_id for r in ledger.recent("dogday-mall", "cust", NOW - timedelta(days=1))] == ["a" * 24]
    # A step whose job the sender already claimed keeps the sender's record.
    ledger.claim(_record("b" * 24), NOW, LEASE)
    assert not ledger.record_stop(_stop("b" * 24))
    assert _stored(ledger, "b" * 24).state is State.SENDING


def test_a_step_stopped_because_the_customer_is_gone_names_nobody(client: Any) -> None:
    ledger = DynamoSendLedger("sends", client)
    assert ledger.record_stop(_stop("a" * 24, "gone", detailed(NudgeReason.EXITED, CUSTOMER_GONE)))
    assert ledger.recent("dogday-mall", "gone", NOW - timedelta(days=1)) == []  # not listed by customer
    [record] = ledger.for_source("dogday-mall", "automation:cart")  # counted in the report
    assert record.reasons == ("exited:customer_gone",)
