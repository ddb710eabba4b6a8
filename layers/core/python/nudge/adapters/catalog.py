"""What a store's marketer sets up, in STORES_TABLE beside the store settings (pk store#{id}):
segments (sk segment#{id}), campaigns (sk campaign#{id}) and campaign runs (sk run#{campaign}#{occurrence}).
Definitions are kept as the JSON the admin API accepted, so what is read back is what was validated."""

import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from nudge import config
from nudge.adapters.dynamodb import dynamodb_client

_deserializer = TypeDeserializer()
RUN_RECORD_TTL_SECONDS = 400 * 86_400


def _pk(store_id: str) -> dict[str, str]:
    return {"S": f"store#{store_id}"}


class DynamoCatalog:
    def __init__(self, table: str, client: Any | None = None) -> None:
        self.table = table
        self.client = client or dynamodb_client()

    # ------------------------------------------------------------ documents (segments, campaigns)
    def put(self, store_id: str, kind: str, item_id: str, document: dict[str, Any], *, create: bool) -> bool:
        """Write a definition; with `create`, only if it does not exist yet (False if it did)."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "Item": {
                "pk": _pk(store_id),
                "sk": {"S": f"{kind}#{item_id}"},
                "doc": {"S": json.dumps(document, ensure_ascii=False, default=str)},
            },
        }
        request["ConditionExpression"] = "attribute_not_exists(sk)" if create else "attribute_exists(sk)"
        try:
            self.client.put_item(**request)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, store_id: str, kind: str, item_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(
            TableName=self.table,
            Key={"pk": _pk(store_id), "sk": {"S": f"{kind}#{item_id}"}},
            ConsistentRead=True,
        ).get("Item")
        return None if item is None else json.loads(item["doc"]["S"])

    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        paginator = self.client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :kind)",
            ExpressionAttributeValues={":pk": _pk(store_id), ":kind": {"S": f"{kind}#"}},
        ):
            out.extend(json.loads(item["doc"]["S"]) for item in page["Items"])
        return out

    def delete(self, store_id: str, kind: str, item_id: str) -> bool:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key={"pk": _pk(store_id), "sk": {"S": f"{kind}#{item_id}"}},
                ConditionExpression="attribute_exists(sk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # ------------------------------------------------------------ campaign runs
    def begin_run(self, store_id: str, campaign_id: str, occurrence: str, now: datetime) -> bool:
        """Record that a run started; False when this occurrence already finished (a retried trigger)."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": _pk(store_id),
                    "sk": {"S": f"run#{campaign_id}#{occurrence}"},
                    "campaign_id": {"S": campaign_id},
                    "occurrence": {"S": occurrence},
                    "started_at": {"S": now.isoformat()},
                    "state": {"S": "running"},
                    "ttl": {"N": str(int(now.timestamp()) + RUN_RECORD_TTL_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(sk) OR #state <> :done",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":done": {"S": "done"}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def finish_run(
        self,
        store_id: str,
        campaign_id: str,
        occurrence: str,
        targeted: int,
        left_out: Mapping[str, int],
        now: datetime,
    ) -> None:
        self.client.update_item(
            TableName=self.table,
            Key={"pk": _pk(store_id), "sk": {"S": f"run#{campaign_id}#{occurrence}"}},
            UpdateExpression="SET #state = :done, targeted = :n, left_out = :out, finished_at = :at",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":done": {"S": "done"},
                ":n": {"N": str(targeted)},
                ":out": {"M": {reason: {"N": str(n)} for reason, n in left_out.items()}},
                ":at": {"S": now.isoformat()},
            },
        )

    def runs(self, store_id: str, campaign_id: str) -> list[dict[str, Any]]:
        response = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :run)",
            ExpressionAttributeValues={":pk": _pk(store_id), ":run": {"S": f"run#{campaign_id}#"}},
        )
        rows = [{k: _deserializer.deserialize(v) for k, v in item.items()} for item in response["Items"]]
        return [
            {
                "occurrence": r["occurrence"],
                "state": r["state"],
                "started_at": r["started_at"],
                "finished_at": r.get("finished_at"),
                "targeted": int(r["targeted"]) if "targeted" in r else None,
                "left_out": {reason: int(n) for reason, n in r.get("left_out", {}).items()},
            }
            for r in rows
        ]


class CatalogReads(Protocol):
    """The reads InvocationCatalog keeps for an invocation (DynamoCatalog's)."""

    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]: ...

    def get(self, store_id: str, kind: str, item_id: str) -> dict[str, Any] | None: ...


class InvocationCatalog:
    """A catalog read once per invocation: a batch of ten events of one store asks for the store's
    automations once, a batch of ten send jobs of one campaign reads its message once. `forget()` at the
    start of each invocation, so a change is seen by the next one, as without it."""

    def __init__(self, catalog: CatalogReads) -> None:
        self.catalog = catalog
        self._documents: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._items: dict[tuple[str, str, str], dict[str, Any] | None] = {}

    def forget(self) -> None:
        self._documents.clear()
        self._items.clear()

    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]:
        key = (store_id, kind)
        if key not in self._documents:
            self._documents[key] = self.catalog.documents(store_id, kind)
        return [dict(document) for document in self._documents[key]]

    def get(self, store_id: str, kind: str, item_id: str) -> dict[str, Any] | None:
        key = (store_id, kind, item_id)
        if key not in self._items:
            self._items[key] = self.catalog.get(store_id, kind, item_id)
        document = self._items[key]
        return None if document is None else dict(document)


def catalog() -> DynamoCatalog:
    return DynamoCatalog(config.stores_table())


@cache
def invocation_catalog() -> InvocationCatalog:
    """The container's per-invocation catalog: its handler calls `forget()` first."""
    return InvocationCatalog(catalog())
