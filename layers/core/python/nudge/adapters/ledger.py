"""The send ledger in SENDS_TABLE: one item per send key (pk `s#{send_id}`), and the gateway accounts'
rate-limit slots (pk `rate#{account}`).

Indexes: `by_source` (src = store|source) for a campaign's or automation's report, `by_customer`
(cust = store|customer, at = created) for the frequency rules and conversion attribution.
Both indexes hold keys only (records are then read with BatchGetItem). Items expire (TTL) after
SEND_RECORD_TTL: the report window and the longest attribution window fit in it.

An erased customer's records (`customer_records`, then `erase` each) keep what the reports and exactly-once
need (the send key's hash, source, state, kind, reasons, times, clicks) and lose what names the person:
`cust` (so the `by_customer` index no longer lists them), the occurrence (an automation's is the triggering
event's id, which may name the customer: a Shopify delivery's key does), the job kept for a fallback (its
variables), the tracked links' destinations and the gateway's message id; `erased` says when. Such a record
is done for good: a retried or late job for it sends nothing (`claim` answers DONE) and a sender attempt
that was in flight cannot write the customer back (`finish` is conditioned on `erased` being absent). A
record suppressed because the customer has no profile (`no_profile`: erased, or never known) is written
without `cust` either.
"""

from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from nudge import clock as nudge_clock
from nudge import config
from nudge.adapters.dynamodb import batch_get, concurrently, dynamodb_client
from nudge.sending.records import Claim, ClaimStatus, SendRecord, State

SEND_RECORD_TTL = timedelta(days=400)
# Slots are spaced for 98 % of the limit: a sender whose thread wakes a little late for its slot must not
# push the calls of one second over the limit.
RATE_HEADROOM = 0.98
RATE_WINDOW_TTL_SECONDS = 3600  # an idle account's slot item goes away
# Slots a sender takes with one write: an SQS batch's worth, and at most a quarter second of the limit, so
# a sender that wakes late for a held slot (dropped, never used late) wastes little of the account's rate.
RATE_BLOCK = 10

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _ts(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _dt(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value), UTC)


def send_pk(send_id: str) -> str:
    return f"s#{send_id}"


# The customer of a record that names nobody (erased, or suppressed for want of a profile): never a store's
# member id (Cafe24's are letters and digits, Shopify's digits; guests are guest:…, visitors anon:…).
ERASED_CUSTOMER = "~erased"
NO_PROFILE = "no_profile"  # the sender's reason when the customer has no profile (nudge.sending.reasons)
# An automation step's stop when the profile is gone (nudge.automations.definitions.CUSTOMER_GONE).
CUSTOMER_GONE = "exited:customer_gone"


def _names_customer(record: SendRecord) -> bool:
    return record.customer_id != ERASED_CUSTOMER and not {NO_PROFILE, CUSTOMER_GONE} & set(record.reasons)


def to_item(record: SendRecord) -> dict[str, Any]:
    created = record.created_at or datetime.now(UTC)
    item: dict[str, Any] = {
        "pk": send_pk(record.send_id),
        "src": f"{record.store_id}|{record.source}",
        "cust": f"{record.store_id}|{record.customer_id}" if _names_customer(record) else None,
        "at": _ts(created),
        "st": record.state.value,
        "n": record.attempt,
        "occ": record.occurrence,
        "lease": _ts(record.lease_until),
        "until": _ts(record.deferred_until),
        "why": list(record.reasons) or None,
        "code": record.code,
        "kind": record.kind,
        "ad": record.is_ad or None,
        "pg": record.promotion_group,
        "fbp": record.fallback_planned or None,
        "fb": record.fell_back or None,
        "fbn": record.fallback_by_nudge or None,
        "job": record.job,
        "gid": record.gateway_message_id,
        "links": list(record.links) or None,
        "sent": _ts(record.sent_at),
        "dlv": _ts(record.delivered_at),
        "clk": _ts(record.clicked_at),
        "clicks": record.clicks or None,
        "stp": record.step,
        "owed": record.owed_by_law or None,
        "ttl": int((created + SEND_RECORD_TTL).timestamp()),
    }
    return {k: _serializer.serialize(v) for k, v in item.items() if v is not None}


def from_item(raw: dict[str, Any]) -> SendRecord:
    item = {k: _deserializer.deserialize(v) for k, v in raw.items()}
    store_id, _, source = item["src"].partition("|")
    customer_id = item["cust"].partition("|")[2] if "cust" in item else ERASED_CUSTOMER
    return SendRecord(
        send_id=item["pk"][2:],
        store_id=store_id,
        source=source,
        customer_id=customer_id,
        occurrence=item.get("occ", ""),
        state=State(item["st"]),
        attempt=int(item.get("n", 0)),
        lease_until=_dt(item.get("lease")),
        deferred_until=_dt(item.get("until")),
        reasons=tuple(item.get("why") or ()),
        code=item.get("code"),
        kind=item.get("kind"),
        is_ad=bool(item.get("ad")),
        promotion_group=item.get("pg"),
        fallback_planned=bool(item.get("fbp")),
        fell_back=bool(item.get("fb")),
        fallback_by_nudge=bool(item.get("fbn")),
        job=item.get("job"),
        gateway_message_id=item.get("gid"),
        links=tuple(item.get("links") or ()),
        created_at=_dt(item.get("at")),
        sent_at=_dt(item.get("sent")),
        delivered_at=_dt(item.get("dlv")),
        clicked_at=_dt(item.get("clk")),
        clicks=int(item.get("clicks", 0)),
        step=None if item.get("stp") is None else int(item["stp"]),
        owed_by_law=bool(item.get("owed")),
    )


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


class DynamoSendLedger:
    def __init__(self, table: str, client: Any | None = None) -> None:
        self.table = table
        self.client = client or dynamodb_client()

    def get(self, send_id: str) -> SendRecord | None:
        item = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": send_pk(send_id)}}, ConsistentRead=True
        ).get("Item")
        return None if item is None else from_item(item)

    def get_many(self, send_ids: list[str]) -> dict[str, SendRecord]:
        """The records of these send keys that exist, by send key (BatchGetItem, strongly consistent)."""
        keys = [send_pk(send_id) for send_id in dict.fromkeys(send_ids)]
        return {record.send_id: record for record in self._records(keys, consistent=True)}

    def claim(self, record: SendRecord, now: datetime, lease: timedelta) -> Claim:
        first = _with(record, attempt=1, lease_until=now + lease, created_at=now)
        try:
            self.client.put_item(
                TableName=self.table, Item=to_item(first), ConditionExpression="attribute_not_exists(pk)"
            )
            return Claim(ClaimStatus.NEW, first)
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
        current = self.get(record.send_id)
        if current is None:  # expired between the two calls: claim again
            return self.claim(record, now, lease)
        if current.state in (State.SENT, State.DELIVERED, State.FAILED, State.SUPPRESSED):
            return Claim(ClaimStatus.DONE, current)
        if current.customer_id == ERASED_CUSTOMER:
            return Claim(ClaimStatus.DONE, current)  # the customer was erased: nothing more is sent
        if current.state is State.DEFERRED:
            if current.deferred_until is not None and current.deferred_until > now:
                return Claim(ClaimStatus.NOT_DUE, current)
            status = ClaimStatus.NEW  # a deferral was never sent: decide it again
        elif current.lease_until is not None and current.lease_until > now:
            return Claim(ClaimStatus.BUSY, current)
        else:
            status = ClaimStatus.TAKEOVER
        taken = _with(current, attempt=current.attempt + 1, lease_until=now + lease, state=State.SENDING)
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": send_pk(record.send_id)}},
                UpdateExpression="SET st = :sending, n = :next, lease = :lease",
                ConditionExpression="n = :n AND st = :st",
                ExpressionAttributeValues={
                    ":sending": {"S": State.SENDING.value},
                    ":next": {"N": str(taken.attempt)},
                    ":lease": {"N": str(_ts(taken.lease_until))},
                    ":n": {"N": str(current.attempt)},
                    ":st": {"S": current.state.value},
                },
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return Claim(ClaimStatus.BUSY, current)  # another attempt won the takeover
            raise
        return Claim(status, taken)

    def record_stop(self, record: SendRecord) -> bool:
        """An automation's stopped step (nudge.automations.runs.StoppedSteps): one conditional put, only
        where the send key has no record yet; False when it has one (this stop, recorded by an earlier
        try, or the step's job, claimed by the sender)."""
        try:
            self.client.put_item(
                TableName=self.table, Item=to_item(record), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def finish(self, record: SendRecord, now: datetime) -> bool:
        """The outcome of attempt `record.attempt`, written only while that attempt holds the record (and
        the customer was not erased meanwhile: the attempt's copy still names them)."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item=to_item(record),
                ConditionExpression="n = :n AND st = :sending AND attribute_not_exists(erased)",
                ExpressionAttributeValues={
                    ":n": {"N": str(record.attempt)},
                    ":sending": {"S": State.SENDING.value},
                },
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def recent(self, store_id: str, customer_id: str, since: datetime) -> list[SendRecord]:
        keys = self._index_keys("by_customer", "cust", f"{store_id}|{customer_id}", since=since)
        return self._records(keys, consistent=True)  # the frequency rule counts a send of a second ago

    def recent_many(
        self, store_id: str, customer_ids: list[str], since: datetime
    ) -> dict[str, list[SendRecord]]:
        """Each customer's sends since `since`, for a report: the index Queries run READERS at a time, then
        one batched read of all their records (eventually consistent: a report is no frequency rule)."""
        ids = list(dict.fromkeys(customer_ids))
        keys = concurrently(
            lambda customer_id: self._index_keys(
                "by_customer", "cust", f"{store_id}|{customer_id}", since=since
            ),
            ids,
        )
        out: dict[str, list[SendRecord]] = {customer_id: [] for customer_id in ids}
        for record in self._records([key for listed in keys for key in listed], consistent=False):
            out[record.customer_id].append(record)
        return out

    def for_source(self, store_id: str, source: str) -> list[SendRecord]:
        return self._records(self._index_keys("by_source", "src", f"{store_id}|{source}"), consistent=False)

    def _index_keys(self, index: str, key: str, value: str, since: datetime | None = None) -> list[str]:
        """The send keys an index lists. The indexes hold keys only: a ledger write that changes no key
        then costs no index write, where an index holding every attribute costs one per index."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": f"{key} = :v" + (" AND #at >= :since" if since else ""),
            "ExpressionAttributeValues": {":v": {"S": value}},
        }
        if since is not None:
            request["ExpressionAttributeNames"] = {"#at": "at"}
            request["ExpressionAttributeValues"][":since"] = {"N": str(_ts(since))}
        keys: list[str] = []
        for page in self.client.get_paginator("query").paginate(**request):
            keys.extend(item["pk"]["S"] for item in page["Items"])
        return keys

    def _records(self, keys: list[str], *, consistent: bool) -> list[SendRecord]:
        """The records of these keys, in this order (BatchGetItem, 100 keys a request)."""
        items = batch_get(self.client, self.table, [{"pk": {"S": pk}} for pk in keys], consistent)
        found = {item["pk"]["S"]: from_item(item) for item in items}
        return [found[pk] for pk in keys if pk in found]  # one that expired meanwhile is simply gone

    def customer_records(self, store_id: str, customer_id: str) -> list[SendRecord]:
        """Every record of a customer the `by_customer` index lists (all that SEND_RECORD_TTL keeps)."""
        keys = self._index_keys("by_customer", "cust", f"{store_id}|{customer_id}")
        return self._records(keys, consistent=True)

    def erase(self, send_id: str, now: datetime) -> bool:
        """Take what names the customer out of one record (see the module's docstring); False when the
        record is gone (expired)."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": send_pk(send_id)}},
                UpdateExpression="REMOVE cust, occ, job, links, gid SET erased = :at",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":at": {"N": str(_ts(now))}},
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def update_report(
        self, send_id: str, *, state: State, code: str | None, fell_back: bool, at: datetime
    ) -> SendRecord | None:
        """A delivery report: delivered or failed (with the code); None for a send Nudge does not know."""
        values: dict[str, Any] = {
            ":st": {"S": state.value},
            ":at": {"N": str(_ts(at))},
            ":fb": {"BOOL": fell_back},
            ":sent": {"S": State.SENT.value},
            ":sending": {"S": State.SENDING.value},
        }
        expression = "SET st = :st, dlv = :at, fb = :fb"
        if code is not None:
            expression += ", code = :code"
            values[":code"] = {"S": code}
        try:
            answer = self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": send_pk(send_id)}},
                UpdateExpression=expression,
                # A report may overtake the sender's own "sent" write (the crash case): it still counts.
                ConditionExpression="st IN (:sent, :sending, :st)",
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return self.get(send_id)
            raise
        return from_item(answer["Attributes"])

    def record_click(self, send_id: str, at: datetime) -> SendRecord | None:
        try:
            answer = self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": send_pk(send_id)}},
                UpdateExpression="SET clk = if_not_exists(clk, :at) ADD clicks :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":at": {"N": str(_ts(at))}, ":one": {"N": "1"}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return from_item(answer["Attributes"])


def _with(record: SendRecord, **changes: Any) -> SendRecord:
    from dataclasses import replace

    return replace(record, **changes)


class DynamoRateLimiter:
    """The gateway account's limit as evenly spaced slots: one item per account (pk `rate#{account}`)
    holds the next free instant. A sender takes up to RATE_BLOCK consecutive slots with one atomic
    conditional update (moving the instant on by that many intervals) and uses them one call each,
    waiting for each slot: one write per block of sends, not per send. Every sender in every concurrent
    invocation draws from the same item, so calls are at least 1/limit seconds apart: no second, however
    it is cut, sees more than the limit (a fixed per-second window would allow twice the limit across a
    window boundary). A held slot whose time has passed is dropped, never used late: a late call could
    crowd a later slot of another sender."""

    def __init__(
        self,
        table: str,
        client: Any | None = None,
        clock: Callable[[], float] = nudge_clock.timestamp,
        sleep: Callable[[float], None] = nudge_clock.sleep,
    ) -> None:
        self.table = table
        self.client = client or dynamodb_client()
        self.clock = clock
        self.sleep = sleep
        self.conflicts = 0
        self._held: dict[str, deque[float]] = {}

    def acquire(self, account_id: str, per_second: int) -> float:
        """Wait for the next slot; returns it (Unix seconds)."""
        interval = 1.0 / (per_second * RATE_HEADROOM)
        held = self._held.setdefault(account_id, deque())
        now = self.clock()
        while held and held[0] < now - interval / 2:
            held.popleft()
        if not held:
            first, count = self._take(account_id, interval, max(1, min(RATE_BLOCK, per_second // 4)))
            held.extend(first + i * interval for i in range(count))
            now = self.clock()
        slot = held.popleft()
        if slot > now:
            self.sleep(slot - now)
        return slot

    def _take(self, account_id: str, interval: float, count: int) -> tuple[float, int]:
        """Take `count` consecutive slots; returns the first."""
        key = {"pk": {"S": f"rate#{account_id}"}}
        names = {"#next": "next", "#ttl": "ttl"}
        span = f"{interval * count:.6f}"
        while True:
            now = self.clock()
            ttl = {"N": str(int(now) + RATE_WINDOW_TTL_SECONDS)}
            try:  # busy account: the next slot is ahead of now; take the block and move it on (one call)
                answer = self.client.update_item(
                    TableName=self.table,
                    Key=key,
                    UpdateExpression="SET #next = #next + :span, #ttl = :ttl",
                    ConditionExpression="#next >= :now",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues={
                        ":span": {"N": span},
                        ":now": {"N": f"{now:.6f}"},
                        ":ttl": ttl,
                    },
                    ReturnValues="UPDATED_NEW",
                )
                return float(answer["Attributes"]["next"]["N"]) - float(span), count
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise
            try:  # idle account (or a new one): the block starts now
                self.client.update_item(
                    TableName=self.table,
                    Key=key,
                    UpdateExpression="SET #next = :next, #ttl = :ttl",
                    ConditionExpression="attribute_not_exists(#next) OR #next < :now",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues={
                        ":next": {"N": f"{now + float(span):.6f}"},
                        ":now": {"N": f"{now:.6f}"},
                        ":ttl": ttl,
                    },
                )
                return now, count
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise
                self.conflicts += 1  # another sender moved the slot meanwhile: take the next block


def send_ledger() -> DynamoSendLedger:
    return DynamoSendLedger(config.sends_table())


def rate_limiter() -> DynamoRateLimiter:
    return DynamoRateLimiter(config.sends_table())
