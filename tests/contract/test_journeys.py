"""The journey adapters against moto: due steps, journey entries and slot schedules behave as the
automation domain (and its in-memory fakes) expect."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from moto import mock_aws

from nudge.adapters.journeys import DynamoJourneys
from nudge.adapters.scheduler import QueueScheduler, SlotSchedules, slot_schedule_name
from nudge.automations.runs import DueStep
from nudge.schedules import InvalidSchedule
from nudge.stores import Store

pytestmark = pytest.mark.contract

STORE = Store(store_id="dogday-mall", name="Dog Day Mall", platforms=["cafe24"])
NOW = datetime(2026, 3, 20, 14, 30, tzinfo=UTC)
SLOT = datetime(2026, 3, 23, 7, 0, tzinfo=UTC)


class _CloudFormationLoader(yaml.SafeLoader):
    pass


_CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _table_definition() -> dict[str, Any]:
    template = yaml.load(Path("template.yaml").read_text(), Loader=_CloudFormationLoader)
    props = template["Resources"]["JourneysTable"]["Properties"]
    wanted = ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
    return {k: props[k] for k in wanted if k in props}


@pytest.fixture
def aws() -> Any:
    with mock_aws():
        yield


@pytest.fixture
def journeys(aws: Any) -> DynamoJourneys:
    client = boto3.client("dynamodb", region_name="ap-northeast-2")
    client.create_table(TableName="journeys", **_table_definition())
    return DynamoJourneys("journeys", client=client)


def _step(step: int = 0) -> DueStep:
    return DueStep("dogday-mall", "aut_1", "c1", "order:O-1", step, "evt-1", NOW, SLOT, {"order_id": "O-1"})


def test_a_due_step_is_filed_once_read_back_and_moved_on_only_once(journeys: DynamoJourneys) -> None:
    assert journeys.put(_step(), SLOT, NOW)
    assert not journeys.put(_step(), SLOT, NOW)  # a retried event
    assert journeys.in_slot("dogday-mall", SLOT) == [_step()]
    assert journeys.mark(_step(), SLOT, "queued", "informational", NOW)
    assert not journeys.mark(_step(), SLOT, "queued", "informational", NOW)  # the slot fired again
    assert journeys.in_slot("dogday-mall", SLOT) == []
    assert journeys.slot_items("dogday-mall", SLOT)[0]["state"] == "queued"


def test_entries_once_per_business_key_and_once_per_days(journeys: DynamoJourneys) -> None:
    enter = journeys.enter
    assert enter("s", "a", "c", "order:O-1", "e1", NOW, None)
    assert enter("s", "a", "c", "order:O-1", "e1", NOW, None)  # the same event again
    assert not enter("s", "a", "c", "order:O-1", "e2", NOW, None)
    assert enter("s", "a", "c", "order:O-2", "e3", NOW, None)
    window = timedelta(days=3)
    assert enter("s", "b", "c", "cart:first", "e4", NOW, window)
    assert not enter("s", "b", "c", "cart:first", "e5", NOW + timedelta(days=2), window)
    assert enter("s", "b", "c", "cart:x", "e6", NOW + timedelta(days=4), window)


def test_a_slot_schedule_is_created_once_and_a_second_create_finds_it_there(aws: Any) -> None:
    client = boto3.client("scheduler", region_name="ap-northeast-2")
    client.create_schedule_group(Name="slots")
    arn = "arn:aws:sqs:ap-northeast-2:123456789012:"

    def cold() -> SlotSchedules:  # a fresh Lambda container: nothing remembered
        return SlotSchedules(QueueScheduler("slots", arn + "role", arn + "slots", arn + "dlq", client=client))

    first, second = cold(), cold()
    first.ensure_slot(STORE, SLOT, NOW)
    second.ensure_slot(STORE, SLOT, NOW)  # ConflictException: already there
    assert (first.created, second.created) == (1, 0)
    schedule = client.get_schedule(Name=slot_schedule_name("dogday-mall", SLOT), GroupName="slots")
    assert schedule["ScheduleExpression"] == "at(2026-03-23T16:00:00)"
    assert schedule["ScheduleExpressionTimezone"] == "Asia/Seoul"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    first.ensure_slot(STORE, SLOT, NOW)
    assert first.calls == 1  # remembered: no second API call from the same container


class _ConflictsOnce:
    """Scheduler's client, whose first CreateSchedule of each name answers ConflictException though nothing
    was created (another request was changing the schedule: AWS answers so, and that request may fail)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.conflicted: set[str] = set()
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        def call(**request: Any) -> Any:
            self.calls.append(name)
            if name == "create_schedule" and request["Name"] not in self.conflicted:
                self.conflicted.add(request["Name"])
                error = {"Error": {"Code": "ConflictException", "Message": "in progress"}}
                raise ClientError(error, "CreateSchedule")
            return getattr(self.client, name)(**request)

        return call


def test_a_conflict_is_not_taken_for_a_schedule_that_is_there(aws: Any) -> None:
    client = boto3.client("scheduler", region_name="ap-northeast-2")
    client.create_schedule_group(Name="slots")
    arn = "arn:aws:sqs:ap-northeast-2:123456789012:"
    conflicting = _ConflictsOnce(client)
    scheduler = QueueScheduler("slots", arn + "role", arn + "slots", arn + "dlq", client=conflicting)
    slots = SlotSchedules(scheduler)
    slots.ensure_slot(STORE, SLOT, NOW)
    assert conflicting.calls == ["create_schedule", "get_schedule", "create_schedule"] and slots.created == 1
    assert client.get_schedule(Name=slot_schedule_name("dogday-mall", SLOT), GroupName="slots")
    conflicting.calls.clear()
    assert scheduler.put("send-x", "at(2026-03-23T16:00:00)", "Asia/Seoul", {}, one_time=True, now=NOW)
    assert conflicting.calls == ["create_schedule", "update_schedule", "create_schedule"]
    assert client.get_schedule(Name="send-x", GroupName="slots")


def test_a_slot_in_the_past_or_a_bad_zone_is_refused_before_the_api_is_called(aws: Any) -> None:
    client = boto3.client("scheduler", region_name="ap-northeast-2")
    scheduler = QueueScheduler("slots", "r", "q", "d", client=client)
    with pytest.raises(InvalidSchedule):
        scheduler.create_once("slot-x-1", "at(2026-03-20T09:00:00)", "Asia/Seoul", {}, now=NOW)
    with pytest.raises(InvalidSchedule):
        scheduler.create_once("slot-x-2", "at(2026-03-23T16:00:00)", "Mars/Olympus", {}, now=NOW)
    with pytest.raises(InvalidSchedule):
        scheduler.create_once("slot x", "at(2026-03-23T16:00:00)", "Asia/Seoul", {}, now=NOW)
    assert client.list_schedules()["Schedules"] == []


def test_a_store_id_too_long_for_a_schedule_name_is_hashed() -> None:
    name = slot_schedule_name("s" * 63, SLOT)
    assert len(name) <= 64 and name.endswith("-202603230700")
