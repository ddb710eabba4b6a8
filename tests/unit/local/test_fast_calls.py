"""The local runtime's short path for DynamoDB item operations and SQS message operations gives Nudge's
code exactly what botocore's full path gives: the same answers, binary values as bytes, the same
exceptions with their modeled fields; and the counters still count every request."""

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.models import botocore_stubber

from nudge_local.bill import counters
from nudge_local.emulation import aws, fast_calls


def _full_path(service: str) -> Any:
    """A client of the same emulation that goes the whole way (serialize, sign, send, parse)."""
    client = boto3.client(service, region_name=aws.AWS_ENV["AWS_DEFAULT_REGION"])
    client.meta.events.unregister(f"before-call.{service}", fast_calls.answer)
    return client


def _without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


@pytest.fixture
def through_http(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs of the requests that went through moto's HTTP layer (the stubber), in order."""
    urls: list[str] = []
    process = botocore_stubber.process_request

    def recorded(request: Any) -> Any:
        urls.append(request.url)
        return process(request)

    monkeypatch.setattr(botocore_stubber, "process_request", recorded)
    return urls


@pytest.fixture
def table(emulated_dynamodb: Any) -> str:
    emulated_dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "t"


def test_item_answers_are_those_of_the_full_path_binary_values_included(
    emulated_dynamodb: Any, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    short_answers = []
    parsed = fast_calls._parsed

    def recorded(*a: Any) -> dict[str, Any]:
        short_answers.append(a[1].name)
        return parsed(*a)

    monkeypatch.setattr(fast_calls, "_parsed", recorded)
    item = {
        "pk": {"S": "a"},
        "n": {"N": "12.50"},
        "b": {"B": b"\x00\xff"},
        "m": {"M": {"l": {"L": [{"S": "x"}]}}},
    }
    emulated_dynamodb.put_item(TableName=table, Item=item)
    full = _full_path("dynamodb")
    for request in (
        {"TableName": table, "Key": {"pk": {"S": "a"}}, "ConsistentRead": True},
        {"TableName": table, "Key": {"pk": {"S": "nobody"}}},
    ):
        short = emulated_dynamodb.get_item(**request)
        assert _without_metadata(short) == _without_metadata(full.get_item(**request))
        assert short["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert emulated_dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]["b"] == {
        "B": b"\x00\xff"
    }
    query = {
        "TableName": table,
        "KeyConditionExpression": "pk = :a",
        "ExpressionAttributeValues": {":a": {"S": "a"}},
    }
    assert _without_metadata(emulated_dynamodb.query(**query)) == _without_metadata(full.query(**query))
    assert short_answers == ["PutItem", "GetItem", "GetItem", "GetItem", "Query"]  # the full path's are not


def test_a_failed_condition_raises_the_same_exception_with_the_item(
    emulated_dynamodb: Any, table: str
) -> None:
    emulated_dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"S": "first"}})
    request = {
        "TableName": table,
        "Item": {"pk": {"S": "a"}, "v": {"S": "second"}},
        "ConditionExpression": "attribute_not_exists(pk)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    answers = []
    for client in (emulated_dynamodb, _full_path("dynamodb")):
        with pytest.raises(client.exceptions.ConditionalCheckFailedException) as raised:
            client.put_item(**request)
        answers.append(raised.value.response)
    short, full = answers
    assert short["Error"] == full["Error"] and short.get("Item") == full.get("Item") == {
        "pk": {"S": "a"},
        "v": {"S": "first"},
    }
    with pytest.raises(ClientError) as missing:
        emulated_dynamodb.get_item(TableName="no-such-table", Key={"pk": {"S": "a"}})
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_queue_messages_go_and_come_back_as_on_the_full_path(emulated_dynamodb: Any) -> None:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(
        QueueUrl=url,
        MessageBody='{"job": 1}',
        MessageAttributes={"raw": {"DataType": "Binary", "BinaryValue": b"\x01\x02"}},
    )
    [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert message["Body"] == '{"job": 1}'
    assert message["MessageAttributes"]["raw"]["BinaryValue"] == b"\x01\x02"
    assert sqs.delete_message_batch(
        QueueUrl=url, Entries=[{"Id": "1", "ReceiptHandle": message["ReceiptHandle"]}]
    )["Successful"] == [{"Id": "1"}]
    assert "Messages" not in _full_path("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=0)


def test_queue_requests_without_binary_values_skip_motos_http_layer_and_answer_as_it_does(
    emulated_dynamodb: Any, through_http: list[str]
) -> None:
    sqs, full = aws.client("sqs"), _full_path("sqs")
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    through_http.clear()
    attributes = {
        "kind": {"DataType": "String", "StringValue": "job"},
        "n": {"DataType": "Number", "StringValue": "7"},
    }
    sent = {
        client: client.send_message(QueueUrl=url, MessageBody='{"job": 1}', MessageAttributes=attributes)
        for client in (sqs, full)
    }
    assert sent[sqs]["MD5OfMessageBody"] == sent[full]["MD5OfMessageBody"]
    assert sent[sqs]["MD5OfMessageAttributes"] == sent[full]["MD5OfMessageAttributes"]
    assert sent[sqs].keys() == sent[full].keys()
    received = {}
    for client in (sqs, full):
        [message] = client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["All"], MessageAttributeNames=["All"]
        )["Messages"]
        received[client] = message
        client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert received[sqs]["MessageAttributes"] == received[full]["MessageAttributes"] == attributes
    assert received[sqs].keys() == received[full].keys()
    assert received[sqs]["Attributes"].keys() == received[full]["Attributes"].keys()
    assert {m["MessageId"] for m in received.values()} == {a["MessageId"] for a in sent.values()}
    batch = [{"Id": "a", "MessageBody": "1"}, {"Id": "a", "MessageBody": "2"}]
    answers = []
    for client in (sqs, full):
        with pytest.raises(ClientError) as raised:
            client.send_message_batch(QueueUrl=url, Entries=batch)
        answers.append(raised.value.response["Error"]["Code"])
    assert answers[0] == answers[1] == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.receive_message(QueueUrl=url + "-gone")
    assert len(through_http) == 4  # only the full path client's send, receive, delete and batch
    del through_http[:]
    sqs.send_message(
        QueueUrl=url,
        MessageBody="b",
        MessageAttributes={"raw": {"DataType": "Binary", "BinaryValue": b"\x01"}},
    )
    assert len(through_http) == 1  # a binary value: moto's parser decodes it


def test_schedule_writes_skip_motos_http_layer_and_answer_as_it_does(
    emulated_dynamodb: Any, through_http: list[str]
) -> None:
    scheduler, full = aws.client("scheduler"), _full_path("scheduler")
    scheduler.create_schedule_group(Name="g")
    through_http.clear()

    def request(name: str, expression: str) -> dict[str, Any]:
        return {
            "Name": name,
            "GroupName": "g",
            "ScheduleExpression": expression,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": "arn:aws:sqs:ap-northeast-2:123456789012:q",
                "RoleArn": "arn:aws:iam::1:role/r",
            },
            "ActionAfterCompletion": "DELETE",
        }

    created = scheduler.create_schedule(**request("slot-a", "at(2026-03-01T10:00:00)"))
    assert created["ScheduleArn"].endswith(":schedule/g/slot-a")
    codes = []
    for client in (scheduler, full):
        with pytest.raises(ClientError) as raised:
            client.create_schedule(**request("slot-a", "at(2026-03-01T10:00:00)"))
        codes.append(raised.value.response["Error"]["Code"])
    assert codes == ["ConflictException", "ConflictException"]
    scheduler.update_schedule(**request("slot-a", "at(2026-03-01T11:00:00)"))
    assert full.get_schedule(Name="slot-a", GroupName="g")["ScheduleExpression"] == "at(2026-03-01T11:00:00)"
    scheduler.delete_schedule(Name="slot-a", GroupName="g")
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.delete_schedule(Name="slot-a", GroupName="g")
    assert len(through_http) == 2  # the full path client's conflict and read


def test_every_short_path_request_is_counted_and_billed(emulated_dynamodb: Any, table: str) -> None:
    seen = counters.Counters()
    counters.activate(seen)
    try:
        with counters.origin("SenderFunction"):
            emulated_dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}})
            emulated_dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}}, ConsistentRead=True)
    finally:
        counters.activate(None)
    assert seen.aws_calls["dynamodb:PutItem"] == 1 and seen.aws_calls["dynamodb:GetItem"] == 1
    assert seen.billed_units() == (1.0, 1.0)


def test_dynamodb_requests_without_binary_values_skip_motos_http_layer(
    emulated_dynamodb: Any, table: str, through_http: list[str]
) -> None:
    emulated_dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    update = {
        "TableName": table,
        "Key": {"pk": {"S": "a"}},
        "UpdateExpression": "ADD n :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
        "ReturnValues": "ALL_NEW",
    }
    assert emulated_dynamodb.update_item(**update)["Attributes"] == {"pk": {"S": "a"}, "n": {"N": "2"}}
    assert through_http == []
    emulated_dynamodb.put_item(TableName=table, Item={"pk": {"S": "b"}, "b": {"B": b"\x01"}})
    assert len(through_http) == 1  # a binary value: moto's parser decodes it
    assert _full_path("dynamodb").get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "2"}


def test_one_update_expression_used_again_and_again_updates_each_item_with_its_own_values(
    emulated_dynamodb: Any, table: str
) -> None:
    update = (
        "SET st = :st, n = if_not_exists(n, :zero) + :one, tags = list_append(if_not_exists(tags, :none), :t)"
    )
    for round_ in range(3):
        for key in ("a", "b"):
            emulated_dynamodb.update_item(
                TableName=table,
                Key={"pk": {"S": key}},
                UpdateExpression=update,
                ExpressionAttributeValues={
                    ":st": {"S": f"{key}{round_}"},
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                    ":none": {"L": []},
                    ":t": {"L": [{"S": f"{key}{round_}"}]},
                },
            )
    item = emulated_dynamodb.get_item(TableName=table, Key={"pk": {"S": "b"}})["Item"]
    assert item["st"] == {"S": "b2"} and item["n"] == {"N": "3"}
    assert item["tags"] == {"L": [{"S": "b0"}, {"S": "b1"}, {"S": "b2"}]}
    for _ in range(2):  # a text that does not parse is refused every time, not remembered
        with pytest.raises(ClientError) as refused:
            emulated_dynamodb.update_item(
                TableName=table,
                Key={"pk": {"S": "a"}},
                UpdateExpression="SET = :st",
                ExpressionAttributeValues={":st": {"S": "x"}},
            )
        assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_queue_answers_are_written_as_motos_serializer_writes_them(
    emulated_dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from moto.sqs.responses import SQSResponse

    from nudge_local.emulation import moto_patches

    written: list[tuple[str, Any, Any]] = []  # (action, ours, moto's serializer's)
    ours = SQSResponse.serialized
    assert ours is not moto_patches._original_sqs_serialized

    def both(handler: SQSResponse, result: Any) -> Any:
        answer = ours(handler, result)
        written.append(
            (handler._get_action(), answer, moto_patches._original_sqs_serialized(handler, result))
        )
        return answer

    monkeypatch.setattr(SQSResponse, "serialized", both)
    for client in (aws.client("sqs"), _full_path("sqs")):
        url = client.create_queue(QueueName="q")["QueueUrl"]
        client.send_message(QueueUrl=url, MessageBody="a")
        client.send_message(
            QueueUrl=url, MessageBody="b", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}}
        )
        client.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": "1", "MessageBody": "x"},
                {
                    "Id": "2",
                    "MessageBody": "y",
                    "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "3"}},
                },
            ],
        )
        client.send_message(
            QueueUrl=url,
            MessageBody="c",
            MessageAttributes={"raw": {"DataType": "Binary", "BinaryValue": b"\x01"}},
        )
        received = client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
        )["Messages"]
        assert len(received) == 5
        assert client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).keys() == {
            "ResponseMetadata"
        }
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)]
        deleted = client.delete_message_batch(
            QueueUrl=url, Entries=[*entries, {"Id": "x", "ReceiptHandle": "no"}]
        )
        assert len(deleted["Successful"]) == 5 and [f["Id"] for f in deleted["Failed"]] == ["x"]
        client.delete_queue(QueueUrl=url)
        fifo = client.create_queue(
            QueueName="q.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
        )["QueueUrl"]
        sent = client.send_message_batch(
            QueueUrl=fifo,
            Entries=[{"Id": str(i), "MessageBody": str(i), "MessageGroupId": "g"} for i in "12"],
        )
        assert len(sent["Successful"]) == 2
        client.delete_queue(QueueUrl=fifo)
    actions = {action for action, _, _ in written}
    assert {"SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessageBatch"} <= actions
    for action, (status, headers, body), (their_status, their_headers, their_body) in written:
        assert (status, json.loads(body)) == (their_status, json.loads(their_body)), action
        assert headers["Content-Type"] == their_headers["Content-Type"], action
