"""The emulator answers a Query from the asked key's items only (moto_patches): the answers must be the
ones a full scan gives, after puts, updates that move an item between index keys, deletes and
transactions."""

from typing import Any

import pytest

from .conftest import indexed_table


@pytest.fixture
def ddb(emulated_dynamodb: Any) -> Any:
    indexed_table(emulated_dynamodb, "ledger", {"by_group": ([("g", "S"), ("at", "N")], "KEYS_ONLY")})
    return emulated_dynamodb


def _group(ddb: Any, group: str, **extra: Any) -> list[str]:
    answer = ddb.query(
        TableName="ledger",
        IndexName="by_group",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": group}},
        **extra,
    )
    return [item["pk"]["S"] for item in answer["Items"]]


def _put(ddb: Any, pk: str, group: str, at: int) -> None:
    ddb.put_item(TableName="ledger", Item={"pk": {"S": pk}, "g": {"S": group}, "at": {"N": str(at)}})


def test_index_queries_follow_every_kind_of_write(ddb: Any) -> None:
    for i in range(30):
        _put(ddb, f"k{i}", f"g{i % 3}", i)
    assert _group(ddb, "g1") == [f"k{i}" for i in range(1, 30, 3)]  # built from what is there
    ddb.update_item(
        TableName="ledger",
        Key={"pk": {"S": "k4"}},
        UpdateExpression="SET g = :g",
        ExpressionAttributeValues={":g": {"S": "moved"}},
    )
    ddb.delete_item(TableName="ledger", Key={"pk": {"S": "k7"}})
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "ledger", "Item": {"pk": {"S": "t1"}, "g": {"S": "g1"}, "at": {"N": "99"}}}}
        ]
    )
    _put(ddb, "k10", "g2", 10)  # replaced with another group
    assert _group(ddb, "moved") == ["k4"]
    assert _group(ddb, "g1") == ["k1", "k13", "k16", "k19", "k22", "k25", "k28", "t1"]
    assert "k10" in _group(ddb, "g2")
    assert _group(ddb, "g1", ScanIndexForward=False, Limit=2) == ["t1", "k28"]


def test_table_key_queries_see_only_that_key(ddb: Any) -> None:
    for i in range(5):
        _put(ddb, f"k{i}", "g", i)
    answer = ddb.query(
        TableName="ledger", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "k3"}}
    )
    assert [item["at"]["N"] for item in answer["Items"]] == ["3"]
    missing = ddb.query(
        TableName="ledger", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "nope"}}
    )
    assert missing["Items"] == [] and missing["Count"] == 0


def test_a_projection_answers_what_motos_own_gives(emulated_dynamodb: Any) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    from nudge_local.emulation import moto_patches

    item = Item(
        hash_key=DynamoType({"S": "p1"}),
        range_key=None,
        attrs={
            "pk": {"S": "p1"},
            "c": {"M": {"sms": {"M": {"ad": {"BOOL": True}, "at": {"N": "5"}}}, "kakao": {"M": {}}}},
            "pv": {"M": {"2026-03-01": {"N": "3"}, "2026-03-02": {"N": "1"}}},
            "od": {"L": [{"M": {"id": {"S": "o1"}}}, {"S": "x"}]},
            "tags": {"SS": ["a", "b"]},
            "name": {"S": "n"},
        },
    )
    for paths in (
        [["pk"], ["name"]],
        [["pk"], ["absent"]],
        [["c", "sms", "ad"], ["c", "kakao"], ["pv", "2026-03-02"], ["pv", "2026-03-09"]],
        [["c", "sms"], ["name", "deeper"], ["od", "id"], ["missing", "x"]],
        [["c"], ["c", "sms"]],  # overlapping: moto's own way
        [["od[0]"], ["pv", "2026-03-01"]],  # a list index: moto's own path finding
        [["tags"], ["c", "kakao"]],
    ):
        ours = moto_patches._project(item, paths).to_json()
        assert _sets_sorted(ours) == _sets_sorted(moto_patches._original_project(item, paths).to_json()), (
            paths
        )


def _sets_sorted(value: Any) -> Any:
    """A set's members in one order (a set has none; moto's own projection lists them in hash order)."""
    if isinstance(value, dict):
        return {k: sorted(v) if k in ("SS", "NS") else _sets_sorted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sets_sorted(v) for v in value]
    return value


def test_an_item_is_sized_and_refused_as_motos_own(emulated_dynamodb: Any) -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    from nudge_local.emulation import moto_patches

    assert Item.__init__ is moto_patches._item_init
    attrs: dict[str, Any] = {
        "pk": {"S": "p1"},
        "c": {"M": {"sms": {"M": {"ad": {"BOOL": True}, "at": {"N": "5"}}}, "kakao": {"M": {}}}},
        "od": {"L": [{"M": {"id": {"S": "주문"}}}, {"N": "12.5"}]},
        "tags": {"SS": ["a", "bb"]},
        "b": {"B": b"\x00\x01"},
        "none": {"NULL": True},
    }
    p1 = DynamoType({"S": "p1"})  # the items' hash key
    for value in attrs.values():
        typed = DynamoType(value)
        assert moto_patches._typed_size(typed) == moto_patches._original_size(typed), value

    ours = Item(p1, None, attrs)
    theirs = LimitedSizeDict()
    for name, value in attrs.items():  # moto's own way: one checked insert per attribute
        theirs[name] = DynamoType(value)
    assert ours.attrs == theirs and ours.size() == sum(len(k) + v.size() for k, v in theirs.items())

    big = {"pk": {"S": "p1"}, "a": {"S": "x" * 300_000}, "b": {"S": "y" * 110_000}}
    with pytest.raises(ItemSizeTooLarge):
        Item(p1, None, big)
    # Korean text is measured in UTF-8 bytes, three a character, on both sides of the limit.
    assert Item(p1, None, {"pk": {"S": "p1"}, "k": {"S": "가" * 134_000}}).size() == 402_005
    with pytest.raises(ItemSizeTooLarge):
        Item(p1, None, {"pk": {"S": "p1"}, "k": {"S": "가" * 135_000}})
    with pytest.raises(ItemSizeTooLarge):
        LimitedSizeDict({})["a"] = DynamoType({"S": "x" * 410_000})


def test_a_too_large_put_is_refused_and_nothing_is_written(emulated_dynamodb: Any) -> None:
    ddb = emulated_dynamodb
    ddb.create_table(
        TableName="sized",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    with pytest.raises(ddb.exceptions.ClientError, match="Item size has exceeded"):
        ddb.put_item(
            TableName="sized", Item={"pk": {"S": "p"}, "a": {"S": "x" * 300_000}, "b": {"S": "y" * 110_000}}
        )
    assert "Item" not in ddb.get_item(TableName="sized", Key={"pk": {"S": "p"}})
    ddb.put_item(TableName="sized", Item={"pk": {"S": "p"}, "a": {"S": "x" * 300_000}})
    assert len(ddb.get_item(TableName="sized", Key={"pk": {"S": "p"}})["Item"]["a"]["S"]) == 300_000
