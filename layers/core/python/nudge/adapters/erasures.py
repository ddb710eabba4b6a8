"""Erasure records in STORES_TABLE, beside the store's settings: pk `store#{id}`, sk `erasure#{reference}`.

`reference` is the customer's pseudonym in the store: HMAC-SHA256 of the customer id under the store's
"customer-pseudonym" key (nudge.adapters.keys, from the pseudonym KMS key), 128 bits in hex. The record holds
no personal data: its state, when the customer was erased, who asked, and what was removed (counts). No TTL:
it is the store's proof of the erasure and what a restore from a backup re-applies (docs/privacy.md).

The ingest path reads it (`erased_at`) only when an event would create a profile: whether the customer was
erased after the event happened."""

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from nudge import config
from nudge.adapters.dynamodb import dynamodb_client
from nudge.adapters.keys import StoreKeys
from nudge.erasure.service import Erasure

REFERENCE_BYTES = 16


def _key(store_id: str, reference: str) -> dict[str, Any]:
    return {"pk": {"S": f"store#{store_id}"}, "sk": {"S": f"erasure#{reference}"}}


class DynamoErasureLog:
    def __init__(self, table: str, keys: StoreKeys, client: Any | None = None) -> None:
        self.table = table
        self.keys = keys
        self.client = client or dynamodb_client()

    def reference(self, store_id: str, customer_id: str) -> str:
        key = self.keys.key(store_id, "customer-pseudonym")
        return hmac.new(key, customer_id.encode(), hashlib.sha256).hexdigest()[: 2 * REFERENCE_BYTES]

    def get(self, store_id: str, reference: str) -> Erasure | None:
        item = self.client.get_item(
            TableName=self.table, Key=_key(store_id, reference), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        return Erasure(
            store_id=store_id,
            reference=reference,
            state="erased" if item["state"]["S"] == "erased" else "erasing",
            erased_at=datetime.fromisoformat(item["erased_at"]["S"]),
            requested_by=item["requested_by"]["S"],
            removed={kind: int(n["N"]) for kind, n in item.get("removed", {}).get("M", {}).items()},
        )

    def erased_at(self, store_id: str, customer_id: str) -> datetime | None:
        """When the customer was last erased (None: never)."""
        item = self.client.get_item(
            TableName=self.table,
            Key=_key(store_id, self.reference(store_id, customer_id)),
            ConsistentRead=True,
            ProjectionExpression="erased_at",
        ).get("Item")
        return None if item is None else datetime.fromisoformat(item["erased_at"]["S"])

    def begin(self, store_id: str, reference: str, requested_by: str, now: datetime) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=_key(store_id, reference),
            UpdateExpression="SET #state = :erasing, erased_at = if_not_exists(erased_at, :now), "
            "requested_by = if_not_exists(requested_by, :by), removed = if_not_exists(removed, :none), "
            "updated_at = :now",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":erasing": {"S": "erasing"},
                ":now": {"S": _instant(now)},
                ":by": {"S": requested_by},
                ":none": {"M": {}},
            },
        )

    def count(self, store_id: str, reference: str, removed: Mapping[str, int]) -> None:
        added = {kind: n for kind, n in removed.items() if n}
        if not added:
            return
        names = {f"#k{i}": kind for i, kind in enumerate(added)}
        self.client.update_item(
            TableName=self.table,
            Key=_key(store_id, reference),
            # removed.#k = if_not_exists(removed.#k, 0) + n: a map's member may be missing, the map may not.
            UpdateExpression="SET "
            + ", ".join(
                f"removed.{name} = if_not_exists(removed.{name}, :zero) + :n{i}"
                for i, name in enumerate(names)
            ),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                ":zero": {"N": "0"},
                **{f":n{i}": {"N": str(n)} for i, n in enumerate(added.values())},
            },
        )

    def finish(
        self, store_id: str, reference: str, requested_by: str, now: datetime, *, renewed: bool
    ) -> Erasure:
        expression = "SET #state = :erased, updated_at = :now"
        values: dict[str, Any] = {":erased": {"S": "erased"}, ":now": {"S": _instant(now)}}
        if renewed:
            expression += ", erased_at = :now, requested_by = :by"
            values[":by"] = {"S": requested_by}
        self.client.update_item(
            TableName=self.table,
            Key=_key(store_id, reference),
            UpdateExpression=expression,
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=values,
        )
        erasure = self.get(store_id, reference)
        assert erasure is not None
        return erasure


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def erasure_log() -> DynamoErasureLog | None:
    """The function's erasure records, when its role may make pseudonyms (PSEUDONYM_KEY_ARN)."""
    key = config.pseudonym_key_arn()
    return None if key is None else _erasure_log(key, config.stores_table())


@cache
def _erasure_log(key: str, table: str) -> DynamoErasureLog:
    return DynamoErasureLog(table, StoreKeys(key))  # one per container: each store's key derived once


class ErasedCustomers:
    """Whether a customer was erased, as ingest asks before an event creates a profile: through the
    function's own erasure records, asked at each use (see DynamoProfileRepository.phones), and never when
    its role may not make pseudonyms (the function only changes existing profiles)."""

    def erased_at(self, store_id: str, customer_id: str) -> datetime | None:
        log = erasure_log()
        return None if log is None else log.erased_at(store_id, customer_id)
