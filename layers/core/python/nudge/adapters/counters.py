"""Counts every container shares (nudge.ingest.tracker.Counters): one item per key in EVENTS_TABLE, pk
`n#{key}`, its count `n` raised by one conditional update (ADD) while it is under the limit; DynamoDB's TTL
deletes it once the window it counts has passed. A count at its limit is refused by the condition (which
DynamoDB still bills as one write), so the item never moves past it."""

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from nudge import config
from nudge.adapters.dynamodb import dynamodb_client


class DynamoCounters:
    def __init__(self, table: str, client: Any | None = None) -> None:
        self.table = table
        self.client = client or dynamodb_client()

    def take(self, key: str, limit: int, until: datetime) -> bool:
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": f"n#{key}"}},
                UpdateExpression="ADD #n :one SET #ttl = :ttl",
                ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
                ExpressionAttributeNames={"#n": "n", "#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":ttl": {"N": str(int(until.timestamp()))},
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def tracker_counters() -> DynamoCounters:
    return DynamoCounters(config.events_table())
