from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nudge_local.emulation import aws
from nudge_local.runtime.runtime import LocalRuntime

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE = FIXTURES / "template.yaml"
KST = ZoneInfo("Asia/Seoul")
START = datetime(2026, 3, 20, 9, 0, tzinfo=KST)


@pytest.fixture
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(TEMPLATE, start=START) as rt:
        yield rt


@pytest.fixture
def emulated_dynamodb() -> Iterator[Any]:
    """A DynamoDB client of the in-process emulation, with nothing in it; forgotten afterwards."""
    aws.start_in_process()
    try:
        yield aws.client("dynamodb")
    finally:
        aws.stop_in_process()


def indexed_table(client: Any, name: str, indexes: dict[str, tuple[list[tuple[str, str]], str]]) -> None:
    """A table keyed by a string `pk`, with global secondary indexes {name: ([(attribute, S|N), ...] as
    hash [, range], projection type)}."""
    attributes = {"pk": "S"} | {attribute: kind for keys, _ in indexes.values() for attribute, kind in keys}
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": kind} for a, kind in attributes.items()],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": attribute, "KeyType": role}
                    for (attribute, _), role in zip(keys, ("HASH", "RANGE"), strict=False)
                ],
                "Projection": {"ProjectionType": projection},
            }
            for index, (keys, projection) in indexes.items()
        ],
    )
