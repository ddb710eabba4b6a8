"""The product catalog in PRODUCTS_TABLE (nudge.products.service.ProductStore).

Items (the only place that knows these attribute names):
- product         pk `{store}`, sk `p#{product}`: the merged record (`n` name, `pr` price, `sp` sale price,
  `img`, `url`, `cat`, `st` stock, `sel` selling, `dsp` display, `so` sold out, `ii` inventory items,
  `at` updated_at, `src` source), `v` its version (the conditional write's check) and `ch` the change its
  last write made (`k` kind, `op` old price; its time is `at`). No TTL: a product stays until the store
  deletes it (not handled yet) — a product names no customer.
- inventory item  pk `{store}`, sk `i#{inventory item}`, `p` the product it belongs to (Shopify's
  inventory_levels/update names only the item).
- watcher         pk `{store}#{product}`, sk `w#{kind}#{customer}`, `cust` `{store}|{customer}` (the key of
  the keys-only `by_customer` index, so an erasure finds every watcher of a customer), `exp` when it
  expires and `ttl` (the same instant; DynamoDB deletes expired items within days, so reads check `exp`).

Store ids have no `#` (nudge.stores.STORE_ID_PATTERN), so a watcher's partition never is a store's.
"""

import itertools
import os
import time
from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from nudge.adapters.dynamodb import UNPROCESSED_BACKOFF, _decode, _encode, batch_get, dynamodb_client
from nudge.products.model import ProductRecord
from nudge.products.service import Change, StoredProduct, Watcher

BATCH_WRITE = 25  # DynamoDB's limit per BatchWriteItem
_FIELDS = {  # ProductRecord field -> attribute
    "name": "n",
    "price": "pr",
    "sale_price": "sp",
    "image_url": "img",
    "url": "url",
    "category_ids": "cat",
    "stock": "st",
    "selling": "sel",
    "display": "dsp",
    "sold_out": "so",
    "inventory_items": "ii",
}


def products_table() -> str:
    """PRODUCTS_TABLE, as template.yaml gives every function (its Globals)."""
    value = os.environ.get("PRODUCTS_TABLE")
    if not value:
        raise RuntimeError(
            "environment variable PRODUCTS_TABLE is not set (template.yaml sets it for each function)"
        )
    return value


def _product_key(store_id: str, product_id: str) -> dict[str, Any]:
    return {"pk": {"S": store_id}, "sk": {"S": f"p#{product_id}"}}


def _item_key(store_id: str, item_id: str) -> dict[str, Any]:
    return {"pk": {"S": store_id}, "sk": {"S": f"i#{item_id}"}}


def _customer(store_id: str, customer_id: str) -> str:
    return f"{store_id}|{customer_id}"


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def to_item(store_id: str, stored: StoredProduct) -> dict[str, Any]:
    product = stored.product
    item: dict[str, Any] = {
        "pk": store_id,
        "sk": f"p#{product.product_id}",
        "v": stored.version,
        "at": _instant(product.updated_at),
        "src": product.source,
    }
    for name, attribute in _FIELDS.items():
        value = getattr(product, name)
        if value is None:
            continue
        item[attribute] = list(value) if isinstance(value, tuple) else value
    if stored.change is not None:
        change: dict[str, Any] = {"k": stored.change.kind, "at": _instant(stored.change.at)}
        if stored.change.old_price is not None:
            change["op"] = stored.change.old_price
        item["ch"] = change
    return _encode(item)


def from_item(store_id: str, raw: dict[str, Any]) -> StoredProduct:
    item = _decode(raw)
    fields: dict[str, Any] = {}
    for name, attribute in _FIELDS.items():
        if attribute not in item:
            continue
        value = item[attribute]
        if name in ("category_ids", "inventory_items"):
            value = tuple(value)
        elif name == "stock":
            value = int(value)
        fields[name] = value
    product = ProductRecord(
        store_id=store_id,
        product_id=item["sk"].removeprefix("p#"),
        updated_at=datetime.fromisoformat(item["at"]),
        source=item["src"],
        **fields,
    )
    change = None
    if "ch" in item:
        ch = item["ch"]
        old = ch.get("op")
        change = Change(ch["k"], datetime.fromisoformat(ch["at"]), None if old is None else Decimal(old))
    return StoredProduct(product, int(item["v"]), change)


class DynamoProductStore:
    def __init__(self, table: str | None = None, client: Any | None = None) -> None:
        self._table = table
        self.client = client or dynamodb_client()

    @property
    def table(self) -> str:
        # Asked at first use: every function's ingest dependencies hold a catalog, most never read it.
        if self._table is None:
            self._table = products_table()
        return self._table

    # ------------------------------------------------------------ products

    def get_many(
        self, store_id: str, product_ids: Collection[str], *, consistent: bool = False
    ) -> dict[str, StoredProduct]:
        keys = [_product_key(store_id, p) for p in dict.fromkeys(product_ids)]
        if not keys:
            return {}
        items = batch_get(self.client, self.table, keys, consistent=consistent)
        found = (from_item(store_id, item) for item in items)
        return {stored.product.product_id: stored for stored in found}

    def put(self, store_id: str, product: StoredProduct, expected_version: int) -> bool:
        request: dict[str, Any] = {"TableName": self.table, "Item": to_item(store_id, product)}
        if expected_version == 0:
            request["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            request["ConditionExpression"] = "v = :v"
            request["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
        try:
            self.client.put_item(**request)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def page(self, store_id: str, after: str | None, limit: int) -> tuple[list[StoredProduct], str | None]:
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":pk": {"S": store_id}, ":p": {"S": "p#"}},
            "Limit": limit,
        }
        if after is not None:
            request["ExclusiveStartKey"] = _product_key(store_id, after)
        answer = self.client.query(**request)
        products = [from_item(store_id, item) for item in answer.get("Items", [])]
        last = answer.get("LastEvaluatedKey")
        return products, (last["sk"]["S"].removeprefix("p#") if last else None)

    # ------------------------------------------------------------ inventory items

    def inventory_owners(self, store_id: str, item_ids: Collection[str]) -> dict[str, str]:
        keys = [_item_key(store_id, i) for i in dict.fromkeys(item_ids)]
        if not keys:
            return {}
        items = batch_get(self.client, self.table, keys, projection="sk, p")
        return {item["sk"]["S"].removeprefix("i#"): item["p"]["S"] for item in items}

    def own_inventory(self, store_id: str, product_id: str, item_ids: Collection[str]) -> None:
        self._write(
            [{"PutRequest": {"Item": {**_item_key(store_id, i), "p": {"S": product_id}}}} for i in item_ids]
        )

    # ------------------------------------------------------------ watchers

    def watchers(self, store_id: str, product_id: str) -> list[Watcher]:
        out: list[Watcher] = []
        for page in self.client.get_paginator("query").paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :w)",
            ExpressionAttributeValues={":pk": {"S": f"{store_id}#{product_id}"}, ":w": {"S": "w#"}},
            ProjectionExpression="sk, exp",
        ):
            for item in page["Items"]:
                _, kind, customer_id = item["sk"]["S"].split("#", 2)
                expires = datetime.fromtimestamp(int(item["exp"]["N"]), UTC)
                out.append(Watcher(product_id, customer_id, "cart" if kind == "cart" else "view", expires))
        return out

    def watch(self, store_id: str, watchers: list[Watcher]) -> None:
        requests = []
        for w in watchers:
            expires = str(int(w.expires_at.timestamp()))
            item = {
                "pk": {"S": f"{store_id}#{w.product_id}"},
                "sk": {"S": f"w#{w.kind}#{w.customer_id}"},
                "cust": {"S": _customer(store_id, w.customer_id)},
                "exp": {"N": expires},
                "ttl": {"N": expires},
            }
            requests.append({"PutRequest": {"Item": item}})
        self._write(requests)

    def forget_customer(self, store_id: str, customer_id: str) -> int:
        keys: list[dict[str, Any]] = []
        for page in self.client.get_paginator("query").paginate(
            TableName=self.table,
            IndexName="by_customer",
            KeyConditionExpression="cust = :c",
            ExpressionAttributeValues={":c": {"S": _customer(store_id, customer_id)}},
        ):
            keys.extend({"pk": item["pk"], "sk": item["sk"]} for item in page["Items"])
        self._write([{"DeleteRequest": {"Key": key}} for key in keys])
        return len(keys)

    def _write(self, requests: list[dict[str, Any]]) -> None:
        """BatchWriteItem, 25 at a time; unprocessed items sent again (DynamoDB's documented way)."""
        for first in range(0, len(requests), BATCH_WRITE):
            pending: dict[str, Any] = {self.table: requests[first : first + BATCH_WRITE]}
            for attempt in itertools.count():
                answer = self.client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(UNPROCESSED_BACKOFF * 2**attempt, 1.0))


def product_store() -> DynamoProductStore:
    return DynamoProductStore()
