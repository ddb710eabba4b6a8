"""What the runtime creates in moto matches the template, and creating it twice is harmless."""

import json

from nudge_local.runtime.resources import provision


def test_tables_match_the_template(runtime):
    table = runtime.client("dynamodb").describe_table(TableName=runtime.table_name("ItemsTable"))["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = runtime.client("dynamodb").describe_time_to_live(TableName=runtime.table_name("ItemsTable"))
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}


def test_queues_have_their_redrive_policy(runtime):
    attributes = runtime.client("sqs").get_queue_attributes(
        QueueUrl=runtime.queue_url("WorkQueue"), AttributeNames=["All"]
    )["Attributes"]
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": runtime.queue_arn("WorkDeadLetterQueue"),
        "maxReceiveCount": 3,
    }
    assert attributes["VisibilityTimeout"] == "30"
    assert attributes["QueueArn"] == runtime.queue_arn("WorkQueue")


def test_schedule_group_and_template_schedules_exist(runtime):
    scheduler = runtime.client("scheduler")
    groups = {g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]}
    assert runtime.schedule_group_name("Slots") in groups
    names = {s["Name"] for s in scheduler.list_schedules()["Schedules"]}
    assert "TickFunction-Nightly" in names


def test_provisioning_twice_is_harmless(runtime):
    provision(runtime.template)
    queues = runtime.client("sqs").list_queues()["QueueUrls"]
    assert len(queues) == len(runtime.template.queues)


def test_a_new_runtime_starts_from_empty_tables(runtime):
    runtime.client("dynamodb").put_item(
        TableName=runtime.table_name("ItemsTable"), Item={"pk": {"S": "a"}, "sk": {"S": "b"}}
    )
    runtime.close()
    runtime.open()
    assert runtime.client("dynamodb").scan(TableName=runtime.table_name("ItemsTable"))["Items"] == []
