"""DynamoDB adapters: profiles with their delivery records, the order index, and store settings.

A profile's phone number is never stored as such: `ph` is its keyed hash and `pe` its sealed copy
(nudge.adapters.phones); the repository seals and opens them, so the domain sees the E.164 number only in
memory, and only in the functions that may read it."""

import contextvars
import hashlib
import itertools
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from nudge import clock, config
from nudge.adapters.profile_item import (
    ORDERS_PROJECTION,
    SHARDS,
    from_item,
    orders_from_item,
    partition_key,
    to_item,
)
from nudge.ports import DeliveryRecord, SaveOutcome
from nudge.profiles.profile import Order, Profile
from nudge.stores import Store

if TYPE_CHECKING:
    from nudge.adapters.phones import PhonesAtRest  # loaded when a repository is made, not on a cold start
    from nudge.ingest.reconcile import Pending

# Delivery records only need to outlive the platforms' retry windows (Shopify: 4 hours; Cafe24: ❓) and
# a reasonable replay of old webhooks; the order index lives as long as orders are kept on a profile.
DELIVERY_RECORD_TTL = timedelta(days=90)
ORDER_INDEX_TTL = timedelta(days=800)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _encode(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items()}


def _decode(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


@cache
def dynamodb_client() -> Any:
    # A segment's shard Queries (SHARDS) or a report's reads (READERS) share this client at once: its pool
    # keeps that many connections, so none is opened for one request and thrown away (urllib3's "pool is
    # full" warning; boto3's default pool is 10).
    return boto3.client("dynamodb", config=Config(max_pool_connections=max(SHARDS, READERS)))


def delivery_key(store_id: str, key: str) -> str:
    """A delivery record's key: a digest of the delivery's own key, which may name the customer (a Shopify
    delivery is keyed by its topic, resource id, time and body digest) and would then outlive an erasure for
    the record's 90 days; the dedupe needs only that the same delivery gives the same key. (Records written
    before, under the plain key, are not found by a retry after the upgrade: a delivery retried across it
    is applied once more.)"""
    return f"d#{store_id}#{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def order_index_key(store_id: str, order_id: str) -> str:
    return f"o#{store_id}#{order_id}"


MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
BATCH_GET_KEYS = 100  # DynamoDB's limit per BatchGetItem


# A read of many (a report: thousands of records and profiles) sends this many requests at a time: DynamoDB
# answers each in milliseconds, so one after another would take longer than the HTTP API's 30 seconds.
READERS = 8
UNPROCESSED_BACKOFF = 0.05  # seconds before unprocessed keys are asked again, doubled each time (≤ 1 s)


T = TypeVar("T")
R = TypeVar("R")


def concurrently(task: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """task(item) for every item, up to READERS at a time; the answers in the items' order. Each task runs
    in a copy of the caller's context (contextvars), as the caller's own call would."""
    if len(items) <= 1 or READERS <= 1:
        return [task(item) for item in items]
    pool = ThreadPoolExecutor(max_workers=min(READERS, len(items)))
    try:
        futures = [pool.submit(contextvars.copy_context().run, task, item) for item in items]
        return [future.result() for future in futures]
    finally:
        # On a failure the tasks not yet started are dropped: the caller gets the error now, not after
        # every other read of a report has been made (and billed).
        pool.shutdown(wait=True, cancel_futures=True)


def batch_get(
    client: Any,
    table: str,
    keys: list[dict[str, Any]],
    consistent: bool = False,
    projection: str | None = None,
) -> list[dict[str, Any]]:
    """The items of these keys that exist, or the `projection` of them (BatchGetItem, 100 keys a request,
    READERS requests at a time; unprocessed keys asked again after a growing pause, as DynamoDB asks)."""
    asked: dict[str, Any] = {"ConsistentRead": consistent}
    if projection is not None:
        asked["ProjectionExpression"] = projection

    def chunk_items(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        wanted: dict[str, Any] = {table: {"Keys": chunk, **asked}}
        for attempt in itertools.count():
            answer = client.batch_get_item(RequestItems=wanted)
            items.extend(answer.get("Responses", {}).get(table, []))
            wanted = answer.get("UnprocessedKeys") or {}
            if not wanted:
                return items
            time.sleep(min(UNPROCESSED_BACKOFF * 2**attempt, 1.0))
        raise AssertionError("unreachable")

    chunks = [keys[first : first + BATCH_GET_KEYS] for first in range(0, len(keys), BATCH_GET_KEYS)]
    return [item for items in concurrently(chunk_items, chunks) for item in items]


# Profiles loaded without their number (a function that may not read numbers) whose stored number is kept
# for their next write, by (store, customer, version): at most this many (a load is written back at once).
CARRIED = 4096


class DynamoProfileRepository:
    """Profiles in PROFILES_TABLE; delivery records and the order index in EVENTS_TABLE. `phones`: how the
    function sees numbers (nudge.adapters.phones); by default as its environment says (PHONE_KEY_ARN: it
    may read them), asked at each use."""

    def __init__(
        self,
        profiles_table: str,
        events_table: str,
        client: Any | None = None,
        phones: "PhonesAtRest | None" = None,
    ) -> None:
        self.profiles_table = profiles_table
        self.events_table = events_table
        self.client = client or dynamodb_client()
        self._phones = phones
        self._carried: dict[tuple[str, str, int], dict[str, Any]] = {}

    @property
    def phones(self) -> "PhonesAtRest":
        # From the environment at each use: in Lambda it never changes; the local runtime runs every function
        # in one process, sharing the wiring's objects, and each must still see numbers as its role allows.
        return self._phones if self._phones is not None else phones_at_rest()

    def load(self, store_id: str, customer_id: str) -> Profile | None:
        response = self.client.get_item(
            TableName=self.profiles_table,
            Key={"pk": {"S": partition_key(store_id, customer_id)}, "sk": {"S": customer_id}},
            ConsistentRead=True,  # the version we read is the one the write is conditioned on
        )
        item = response.get("Item")
        return None if item is None else self.profile_of(store_id, _decode(item))

    def profile_of(self, store_id: str, item: dict[str, Any]) -> Profile:
        """The profile of a decoded item, its number opened (or carried, see PhonesAtRest)."""
        stored = self.phones.take(item)
        profile = from_item(store_id, item)
        profile.phone = self.phones.reveal(store_id, profile.customer_id, stored)
        if stored and not self.phones.readable:
            if len(self._carried) >= CARRIED:
                self._carried.pop(next(iter(self._carried)))
            self._carried[(store_id, profile.customer_id, profile.version)] = stored
        return profile

    def _item(self, profile: Profile, expected_version: int | None) -> dict[str, Any]:
        """The profile's item with its number at rest (to_item's `ph` is the number in memory)."""
        item = to_item(profile)
        item.pop("ph", None)
        key = (profile.store_id, profile.customer_id, expected_version or 0)
        carried = self._carried.pop(key, None) if expected_version else None
        item.update(self.phones.stored(profile.store_id, profile.customer_id, profile.phone, carried))
        return item

    def orders_many(self, store_id: str, customer_ids: Iterable[str]) -> dict[str, dict[str, Order]]:
        """The orders of these customers (those with a profile), by customer id, then order id: a report's
        read of many (BatchGetItem of the orders alone, eventually consistent: not a read a write is
        conditioned on)."""
        keys = [
            {"pk": {"S": partition_key(store_id, customer_id)}, "sk": {"S": customer_id}}
            for customer_id in dict.fromkeys(customer_ids)
        ]
        items = batch_get(self.client, self.profiles_table, keys, projection=ORDERS_PROJECTION)
        return {item["sk"]["S"]: orders_from_item(_decode(item)) for item in items}

    def store_profiles(self, store_id: str) -> Iterator[Profile]:
        """Every profile of a store, shard by shard (a whole-store read: for occasional learning jobs)."""
        paginator = self.client.get_paginator("query")
        for shard in range(SHARDS):
            for page in paginator.paginate(
                TableName=self.profiles_table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"{store_id}#{shard:02d}"}},
            ):
                for item in page["Items"]:
                    yield self.profile_of(store_id, _decode(item))

    def seal_plain_phones(self, store_id: str) -> int:
        """Seal the numbers of a store's profiles written before numbers were sealed (the one-off after an
        upgrade: nudge.adapters.seal_phones); the next write of a profile would do it anyway. Each item is
        changed only if it still holds the same plain number, and nothing else of it changes. Answers how
        many were sealed."""
        sealed = 0
        for shard in range(SHARDS):
            for page in self.client.get_paginator("query").paginate(
                TableName=self.profiles_table,
                KeyConditionExpression="pk = :pk",
                FilterExpression="begins_with(ph, :plus)",
                ProjectionExpression="pk, sk, ph",
                ExpressionAttributeValues={":pk": {"S": f"{store_id}#{shard:02d}"}, ":plus": {"S": "+"}},
            ):
                for item in page["Items"]:
                    customer_id, plain = item["sk"]["S"], item["ph"]["S"]
                    stored = _encode(self.phones.stored(store_id, customer_id, plain, None))
                    try:
                        self.client.update_item(
                            TableName=self.profiles_table,
                            Key={"pk": item["pk"], "sk": item["sk"]},
                            UpdateExpression="SET ph = :ph, pe = :pe",
                            ConditionExpression="ph = :plain",
                            ExpressionAttributeValues={
                                ":ph": stored["ph"],
                                ":pe": stored["pe"],
                                ":plain": {"S": plain},
                            },
                        )
                        sealed += 1
                    except ClientError as exc:
                        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                            raise  # a profile written meanwhile was sealed by its own write
        return sealed

    def customers_with_phone(self, store_id: str, phone: str) -> list[str]:
        """The store's customers whose profile has this phone (E.164), through the keys-only `by_phone`
        index: under the number's keyed hash, or the number itself in an item not sealed yet (one number
        may be a customer of several stores in one deployment)."""
        prefix = f"{store_id}#"
        found: list[str] = []
        for value in self.phones.lookup_keys(store_id, phone):
            for page in self.client.get_paginator("query").paginate(
                TableName=self.profiles_table,
                IndexName="by_phone",
                KeyConditionExpression="ph = :ph",
                ExpressionAttributeValues={":ph": {"S": value}},
            ):
                found.extend(i["sk"]["S"] for i in page["Items"] if i["pk"]["S"].startswith(prefix))
        return list(dict.fromkeys(found))

    def customer_for_order(self, store_id: str, order_id: str) -> str | None:
        response = self.client.get_item(
            TableName=self.events_table,
            Key={"pk": {"S": order_index_key(store_id, order_id)}},
            ProjectionExpression="c",
        )
        item = response.get("Item")
        return None if item is None else item["c"]["S"]

    def save(self, profile: Profile, record: DeliveryRecord, expected_version: int) -> SaveOutcome:
        profile.version = expected_version + 1
        profile_put: dict[str, Any] = {
            "TableName": self.profiles_table,
            "Item": _encode(self._item(profile, expected_version)),
        }
        if expected_version == 0:
            profile_put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            profile_put["ConditionExpression"] = "v = :v"
            profile_put["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
        items: list[dict[str, Any]] = [{"Put": self._record_put(record)}, {"Put": profile_put}]
        expires = _epoch(record, ORDER_INDEX_TTL)
        for order_id in record.orders_placed:
            items.append(
                {
                    "Put": {
                        "TableName": self.events_table,
                        "Item": _encode(
                            {
                                "pk": order_index_key(record.store_id, order_id),
                                "c": profile.customer_id,
                                "ttl": expires,
                            }
                        ),
                    }
                }
            )
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            profile.version = expected_version
            return _cancellation_outcome(exc)
        return SaveOutcome.APPLIED

    def create(self, profiles: list[Profile]) -> list[bool]:
        """Write profiles for customers Nudge does not know yet (member import), up to 100 per
        transaction; answers, per profile, whether it was written (False: a profile already existed)."""
        written = [False] * len(profiles)
        for start in range(0, len(profiles), MAX_TRANSACTION_ITEMS):
            pending = list(range(start, min(start + MAX_TRANSACTION_ITEMS, len(profiles))))
            while pending:
                puts = []
                for index in pending:
                    profiles[index].version = 1
                    item = _encode(self._item(profiles[index], None))
                    puts.append(
                        {"Put": {"TableName": self.profiles_table, "Item": item,
                                 "ConditionExpression": "attribute_not_exists(pk)"}}
                    )  # fmt: skip
                try:
                    self.client.transact_write_items(TransactItems=puts)
                except ClientError as exc:
                    if exc.response["Error"]["Code"] != "TransactionCanceledException":
                        raise
                    reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                    known = {pending[i] for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
                    if not known:
                        raise  # a conflict with a concurrent write: the caller may send the page again
                    pending = [index for index in pending if index not in known]
                    continue
                for index in pending:
                    written[index] = True
                pending = []
        return written

    def record(self, record: DeliveryRecord) -> SaveOutcome:
        try:
            self.client.put_item(**self._record_put(record))
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return SaveOutcome.DUPLICATE
            raise
        return SaveOutcome.APPLIED

    def recorded(self, store_id: str, keys: list[str]) -> set[str]:
        """Which of these deliveries are recorded (the reconciliation skips them before reading a profile):
        one BatchGetItem per 100 keys, keys only."""
        by_key = {delivery_key(store_id, key): key for key in dict.fromkeys(keys)}
        found = batch_get(
            self.client,
            self.events_table,
            [{"pk": {"S": k}} for k in by_key],
            consistent=True,
            projection="pk",
        )
        return {by_key[item["pk"]["S"]] for item in found}

    def erase(self, store_id: str, customer_id: str, order_ids: Iterable[str] = ()) -> tuple[int, int]:
        """Delete the customer's entries in the order index (the profile's orders, and `order_ids`), then the
        profile itself: last, so that a retry after a failure still finds the orders to take out of the
        index. Answers (order index entries deleted, profiles deleted); (0, 0) the second time."""
        key = {"pk": {"S": partition_key(store_id, customer_id)}, "sk": {"S": customer_id}}
        item = self.client.get_item(
            TableName=self.profiles_table,
            Key=key,
            ConsistentRead=True,
            ProjectionExpression=ORDERS_PROJECTION,
        ).get("Item")
        orders = orders_from_item(_decode(item)) if item is not None else {}
        unindexed = 0
        for order_id in dict.fromkeys([*orders, *order_ids]):
            try:
                self.client.delete_item(
                    TableName=self.events_table,
                    Key={"pk": {"S": order_index_key(store_id, order_id)}},
                    ConditionExpression="c = :c",  # an entry of this customer's: never another's order
                    ExpressionAttributeValues={":c": {"S": customer_id}},
                )
                unindexed += 1
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        if item is None:
            return unindexed, 0
        self.client.delete_item(TableName=self.profiles_table, Key=key)
        return unindexed, 1

    def _record_put(self, record: DeliveryRecord) -> dict[str, Any]:
        # No customer id: a delivery record is a dedupe marker, and nothing finds it by customer, so an
        # erasure could not find it either (records written before kept one in `c`; they expire in 90 days).
        item = {
            "pk": delivery_key(record.store_id, record.key),
            "st": record.status,
            "at": int(record.received_at.timestamp()),
            "ty": list(record.event_types) or None,
            "why": record.reason,
            "ttl": _epoch(record, DELIVERY_RECORD_TTL),
        }
        return {
            "TableName": self.events_table,
            "Item": _encode({k: v for k, v in item.items() if v is not None}),
            "ConditionExpression": "attribute_not_exists(pk)",
        }


def _epoch(record: DeliveryRecord, ttl: timedelta) -> int:
    return int((record.received_at + ttl).timestamp())


def _cancellation_outcome(exc: ClientError) -> SaveOutcome:
    if exc.response["Error"]["Code"] != "TransactionCanceledException":
        raise exc
    reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
    if reasons and reasons[0] == "ConditionalCheckFailed":
        return SaveOutcome.DUPLICATE
    if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
        return SaveOutcome.CONFLICT
    if "TransactionConflict" in reasons:
        return SaveOutcome.CONFLICT
    raise exc


class DynamoStoreDirectory:
    """Store settings in STORES_TABLE (pk store#{id}, sk settings), cached briefly per container. The cache's
    age is read on nudge.clock (the local runtime's simulated clock locally, so a replayed month reads the
    settings as often however fast the machine runs it)."""

    def __init__(
        self,
        table: str,
        client: Any | None = None,
        max_age_seconds: float = 60.0,
        monotonic: Callable[[], float] = clock.timestamp,
    ) -> None:
        self.table = table
        self.client = client or dynamodb_client()
        self.max_age = max_age_seconds
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, Store | None]] = {}

    @staticmethod
    def key(store_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"store#{store_id}"}, "sk": {"S": "settings"}}

    def get(self, store_id: str) -> Store | None:
        cached = self._cache.get(store_id)
        if cached and self.monotonic() - cached[0] < self.max_age:
            return cached[1]
        item = self.client.get_item(TableName=self.table, Key=self.key(store_id)).get("Item")
        store = None if item is None else Store.model_validate_json(item["settings"]["S"])
        self._cache[store_id] = (self.monotonic(), store)
        return store

    def put(self, store: Store) -> None:
        self.client.put_item(
            TableName=self.table,
            Item={**self.key(store.store_id), "settings": {"S": store.model_dump_json()}},
        )
        self._cache.pop(store.store_id, None)

    def all(self) -> list[Store]:
        """Every store's settings (a scan of the stores table: for the daily upkeep, not for a request)."""
        stores: list[Store] = []
        for page in self.client.get_paginator("scan").paginate(
            TableName=self.table,
            FilterExpression="sk = :settings",
            ExpressionAttributeValues={":settings": {"S": "settings"}},
        ):
            stores.extend(Store.model_validate_json(item["settings"]["S"]) for item in page["Items"])
        return stores


class DynamoSyncCursors:
    """How far a store's sync with an outside list has read (pk store#{id}, sk cursor#{name}): the newest
    entry recorded, in Unix seconds."""

    def __init__(self, table: str, client: Any | None = None) -> None:
        self.table = table
        self.client = client or dynamodb_client()

    @staticmethod
    def key(store_id: str, name: str) -> dict[str, Any]:
        return {"pk": {"S": f"store#{store_id}"}, "sk": {"S": f"cursor#{name}"}}

    def get(self, store_id: str, name: str) -> datetime | None:
        item = self.client.get_item(TableName=self.table, Key=self.key(store_id, name)).get("Item")
        return None if item is None else datetime.fromtimestamp(int(item["at"]["N"]), UTC)

    def put(self, store_id: str, name: str, at: datetime) -> None:
        self.client.put_item(
            TableName=self.table, Item={**self.key(store_id, name), "at": {"N": str(int(at.timestamp()))}}
        )


class DynamoPendingReads:
    """Ids a platform's API could not read when their webhook came (pk store#{id}, sk pending#{platform}),
    as string sets: adding the same id twice keeps it once; the reconciliation removes what it read."""

    FIELDS = ("orders", "members", "products")

    def __init__(self, table: str, platform: str = "cafe24", client: Any | None = None) -> None:
        self.table = table
        self.platform = platform
        self.client = client or dynamodb_client()

    def key(self, store_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"store#{store_id}"}, "sk": {"S": f"pending#{self.platform}"}}

    def _update(self, store_id: str, verb: str, sets: dict[str, tuple[str, ...]]) -> None:
        named = {f: ids for f, ids in sets.items() if ids}
        if not named:
            return
        self.client.update_item(
            TableName=self.table,
            Key=self.key(store_id),
            UpdateExpression=f"{verb} " + ", ".join(f"{f} :{f}" for f in named),
            ExpressionAttributeValues={f":{f}": {"SS": sorted(set(ids))} for f, ids in named.items()},
        )

    def add(
        self, store_id: str, orders: tuple[str, ...], members: tuple[str, ...], products: tuple[str, ...]
    ) -> None:
        self._update(store_id, "ADD", {"orders": orders, "members": members, "products": products})

    def take(self, store_id: str) -> "Pending":
        from nudge.ingest.reconcile import Pending

        item = self.client.get_item(TableName=self.table, Key=self.key(store_id), ConsistentRead=True).get(
            "Item"
        )
        item = item or {}
        ids = {f: tuple(sorted(item.get(f, {}).get("SS", []))) for f in self.FIELDS}
        return Pending(ids["orders"], ids["members"], ids["products"])

    def clear(self, store_id: str, pending: "Pending") -> None:
        sets = {"orders": pending.orders, "members": pending.members, "products": pending.products}
        self._update(store_id, "DELETE", sets)


class DynamoReconcileRuns:
    """A store's last reconciliation (pk store#{id}, sk sync#{platform}): what it read and recovered, as the
    admin API shows it. No personal data: counts and times."""

    def __init__(self, table: str, platform: str = "cafe24", client: Any | None = None) -> None:
        self.table = table
        self.platform = platform
        self.client = client or dynamodb_client()

    def key(self, store_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"store#{store_id}"}, "sk": {"S": f"sync#{self.platform}"}}

    def put(self, store_id: str, run: dict[str, object]) -> None:
        item = {**self.key(store_id), "run": {"S": json.dumps(run, sort_keys=True)}}
        self.client.put_item(TableName=self.table, Item=item)

    def get(self, store_id: str) -> dict[str, object] | None:
        item = self.client.get_item(TableName=self.table, Key=self.key(store_id)).get("Item")
        if item is None:
            return None
        run: dict[str, object] = json.loads(item["run"]["S"])
        return run


def store_directory() -> DynamoStoreDirectory:
    return DynamoStoreDirectory(config.stores_table())


def profile_repository() -> DynamoProfileRepository:
    """The function's profiles: numbers readable when its role may derive the phone keys (PHONE_KEY_ARN)."""
    return DynamoProfileRepository(config.profiles_table(), config.events_table())


def phones_at_rest() -> "PhonesAtRest":
    """Numbers as this function may see them: readable with PHONE_KEY_ARN, not without."""
    return _phones_at_rest(config.phone_key_arn())


@cache
def _phones_at_rest(key: str | None) -> "PhonesAtRest":
    from nudge.adapters.keys import StoreKeys
    from nudge.adapters.phones import PhonesAtRest, PhoneVault

    return PhonesAtRest(PhoneVault(StoreKeys(key)) if key else None)


def sync_cursors() -> DynamoSyncCursors:
    return DynamoSyncCursors(config.stores_table())
