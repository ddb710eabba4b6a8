"""The emulator's TransactWriteItems keeps DynamoDB's all-or-nothing semantics (Nudge's ingest relies on
them: the delivery record and the profile are written together or not at all)."""

import pytest
from botocore.exceptions import ClientError


def _put(table, pk, sk, value, condition=None):
    put = {"TableName": table, "Item": {"pk": {"S": pk}, "sk": {"S": sk}, "v": {"S": value}}}
    if condition:
        put["ConditionExpression"] = condition
    return {"Put": put}


def _get(runtime, table, pk, sk):
    return (
        runtime.client("dynamodb")
        .get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
        .get("Item")
    )


def test_a_failed_condition_writes_nothing_and_names_the_operation(runtime):
    ddb, table = runtime.client("dynamodb"), runtime.table_name("ItemsTable")
    ddb.transact_write_items(TransactItems=[_put(table, "a", "1", "first")])
    with pytest.raises(ClientError) as raised:
        ddb.transact_write_items(
            TransactItems=[
                _put(table, "b", "1", "would be new"),
                _put(table, "a", "1", "second", condition="attribute_not_exists(pk)"),
            ]
        )
    error = raised.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in error["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert _get(runtime, table, "b", "1") is None
    assert _get(runtime, table, "a", "1")["v"] == {"S": "first"}


def test_all_operations_apply_together(runtime):
    ddb, table = runtime.client("dynamodb"), runtime.table_name("ItemsTable")
    ddb.transact_write_items(
        TransactItems=[
            _put(table, "c", "1", "x"),
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": "d"}, "sk": {"S": "1"}},
                    "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"S": "y"}},
                }
            },
        ]
    )
    assert _get(runtime, table, "c", "1")["v"] == {"S": "x"}
    assert _get(runtime, table, "d", "1")["v"] == {"S": "y"}


def test_two_operations_on_one_item_are_refused(runtime):
    ddb, table = runtime.client("dynamodb"), runtime.table_name("ItemsTable")
    with pytest.raises(ClientError) as raised:
        ddb.transact_write_items(TransactItems=[_put(table, "e", "1", "x"), _put(table, "e", "1", "y")])
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert _get(runtime, table, "e", "1") is None
