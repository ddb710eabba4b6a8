"""Who is in a segment, for a whole store, read from the profiles table.

A store's profiles are spread over SHARDS partitions (pk = "{store_id}#{shard:02d}", profile_item.py), so
the read is one Query per shard, all in parallel, each paging through its partition. Each Query asks only
for the attributes the segment reads (ProjectionExpression, nested down to single days of page views or
single products), with eventually consistent reads (half the price; a campaign does not need the last
second), and every page is evaluated as it arrives by the segment's generated item evaluator
(nudge.segments.item_compiler) without deserializing the items.

Note on cost: DynamoDB bills a Query by the size of the items it reads, not of what it returns, so the
projection saves network, memory and CPU, not read units (see docs/segments.md for the figures).
"""

import contextvars
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nudge import clock, config
from nudge.adapters.profile_item import SHARDS
from nudge.profiles.profile import Member
from nudge.segments.evaluate import CompiledSegment, compile_segment
from nudge.segments.item_compiler import member_of, projection_with, screen_paths
from nudge.segments.language import Segment
from nudge.stores import Store


@dataclass
class ShardRead:
    shard: int
    members: list[str] = field(default_factory=list)
    screened: list[Member] = field(default_factory=list)  # with their consent facts, when asked for
    scanned: int = 0
    pages: int = 0
    read_units: float = 0.0


@dataclass(frozen=True)
class SegmentCount:
    members: int
    scanned: int  # profiles read
    pages: int
    read_units: float  # as DynamoDB reported them (ReturnConsumedCapacity)


class SegmentReader:
    """Whole-store segment reads over a boto3 DynamoDB *client* (thread-safe, shared by the workers)."""

    def __init__(
        self,
        client: Any = None,
        table_name: str | None = None,
        workers: int = SHARDS,
        page_limit: int | None = None,  # items per Query page; None: DynamoDB's 1 MB pages
    ) -> None:
        if client is None:
            from nudge.adapters.dynamodb import dynamodb_client

            client = dynamodb_client()
        self.client = client
        self.table_name = table_name or config.profiles_table()
        self.workers = workers
        self.page_limit = page_limit

    def _query_shard(
        self, store_id: str, shard: int, compiled: CompiledSegment, consent_channel: str | None = None
    ) -> ShardRead:
        matcher = compiled.item_matcher
        projection, names = matcher.projection, matcher.names
        if consent_channel is not None:
            projection, names = projection_with(matcher, screen_paths(consent_channel))
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": "pk", **names},
            "ExpressionAttributeValues": {":pk": {"S": f"{store_id}#{shard:02d}"}},
            "ProjectionExpression": projection,
            "ConsistentRead": False,
            "ReturnConsumedCapacity": "TOTAL",
        }
        if self.page_limit is not None:
            request["Limit"] = self.page_limit
        read = ShardRead(shard)
        while True:
            page = self.client.query(**request)
            items = page.get("Items", [])
            if consent_channel is None:
                read.members.extend(matcher.members(items))
            else:
                read.screened.extend(member_of(item, consent_channel) for item in matcher.select(items))
            read.scanned += len(items)
            read.pages += 1
            read.read_units += float(page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))
            last = page.get("LastEvaluatedKey")
            if not last:
                return read
            request["ExclusiveStartKey"] = last

    def shards(
        self,
        store: Store,
        segment: Segment | CompiledSegment | dict[str, Any],
        now: datetime | None = None,
        consent_channel: str | None = None,
    ) -> Iterator[ShardRead]:
        """Each shard's result once that shard has been read to its end, in shard order (the shards are read
        in parallel all the same); with a consent channel, the members come with that consent and their
        channel friendship (`ShardRead.screened`). Shard order, not the order the reads finish in: a
        campaign run queues its members in the order read, the gateway's rate limit spaces their sends, so
        which send goes when must not depend on thread timing (on the local runtime's simulated clock a
        month would not replay the same)."""
        compiled = (
            segment
            if isinstance(segment, CompiledSegment)
            else compile_segment(segment, store.zone, now or clock.now())
        )
        compiled.item_matcher  # noqa: B018 - build the evaluator once, before the workers share it
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="segment-shard") as pool:
            # Each worker runs in a copy of the caller's context, so context-scoped state (log keys,
            # request attribution) follows the shard queries into the threads.
            futures = [
                pool.submit(
                    contextvars.copy_context().run,
                    self._query_shard,
                    store.store_id,
                    s,
                    compiled,
                    consent_channel,
                )
                for s in range(SHARDS)
            ]
            try:
                for future in futures:
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()

    def members(
        self, store: Store, segment: Segment | CompiledSegment | dict[str, Any], now: datetime | None = None
    ) -> Iterator[str]:
        """Customer ids in the segment (each once; shard by shard, in shard order)."""
        for read in self.shards(store, segment, now):
            yield from read.members

    def screened_members(
        self,
        store: Store,
        segment: Segment | CompiledSegment | dict[str, Any],
        consent_channel: str | None,
        now: datetime | None = None,
    ) -> Iterator[Member]:
        """The members with their consent on `consent_channel` and channel friendship, for a run's screen
        (without a channel, nothing to screen: the ids alone are read)."""
        for read in self.shards(store, segment, now, consent_channel):
            if consent_channel is None:
                yield from (Member(customer_id) for customer_id in read.members)
            else:
                yield from read.screened

    def count(
        self, store: Store, segment: Segment | CompiledSegment | dict[str, Any], now: datetime | None = None
    ) -> SegmentCount:
        """How many are in (the admin's live preview), with what the read cost."""
        reads = list(self.shards(store, segment, now))
        return SegmentCount(
            members=sum(len(r.members) for r in reads),
            scanned=sum(r.scanned for r in reads),
            pages=sum(r.pages for r in reads),
            read_units=sum(r.read_units for r in reads),
        )


def members(
    store: Store, segment: Segment | CompiledSegment | dict[str, Any], now: datetime | None = None
) -> Iterator[str]:
    """Customer ids of a store in a segment, from PROFILES_TABLE with the default client."""
    return SegmentReader().members(store, segment, now)


def count(
    store: Store, segment: Segment | CompiledSegment | dict[str, Any], now: datetime | None = None
) -> int:
    return SegmentReader().count(store, segment, now).members
