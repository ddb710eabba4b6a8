"""The drill: a month of someone posting to the public storefront tracker as fast as it lets them, at one
customer, on the local runtime (which enforces DynamoDB's 400 KB item limit and the template's IAM). The
customer's genuine Cafe24 webhooks meanwhile: orders, shipping, a consent withdrawal. Each day prints the
customer's item size against the budget and DynamoDB's limit, and what the attackers got through.

The attackers, each posting batches of 20 page views of distinct 600-character paths (a 15 KB batch, just
under the tracker's 16 KB), in every hour they post, until the tracker answers 429 and then a few more:
  forger   names the customer's member id without a token (what anyone can do with the page's write key);
  leaked   has a valid member token for the customer (the worst case: a token lifted from their browser);
  crowd    a new visitor id every batch, to make profiles without end (one hour, day 2).

Before the fix, the forger alone made the customer's profile ~400 KB in a week and their next order
webhook failed (500) for good. Usage (`make drill`, HOURS=… DAYS=…):

    .venv/bin/python bench/drill_tracker_abuse.py                # 1 attack hour a day: ~5 minutes on 2 cores
    .venv/bin/python bench/drill_tracker_abuse.py --days 10      # the first ten days
    .venv/bin/python bench/drill_tracker_abuse.py --hours 24     # every hour of every day: hours

A day's page views stop growing once the day holds 100 paths or 8 KB (a few batches into its first hour),
so later hours only raise counts: one hour a day already shows the month's item sizes. Exits 1 if an order
or the withdrawal was not applied, a batch failed, or the item ever passed its budget.
"""

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nudge.adapters.profile_item import from_item, partition_key
from nudge.ingest import tracker
from nudge.profiles.budget import DYNAMODB_ITEM_LIMIT, PROFILE_BUDGET
from nudge_local.bill.capacity import typed_item_size
from nudge_local.demo import samples
from nudge_local.demo.samples import SampleRequest
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.stores import DOGDAY

KST = ZoneInfo("Asia/Seoul")
START = datetime(2026, 3, 1, 0, 0, tzinfo=KST)
STORE = DOGDAY.store.store_id
MEMBER = "dogfan01"
DAYS = 30
ORDER_DAYS = (3, 10, 17, 24, 29)
WITHDRAWAL_DAY = 15
CROWD_DAY, CROWD_BUDGET = 2, 50  # the store's new-visitor budget for the drill (10,000 in production)


def _views(tag: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{tag}-{i}",
            "type": "page_view",
            "path": f"/event/{tag}/{i}/".ljust(600, "x"),
            "dwell_seconds": 9,
        }
        for i in range(20)
    ]


def _forged(visitor: str, tag: str) -> SampleRequest:
    """What anyone can post: the page's write key and the member id of their choice, no token."""
    request = samples.tracker_request(visitor, _views(tag))
    body = request.json() | {"member_id": MEMBER}
    return samples.with_body(request, json.dumps(body).encode())


def _post(runtime: LocalRuntime, request: SampleRequest) -> int:
    status, _, _ = runtime.http(request.method, request.path, request.headers, request.body)
    return status


def _item(runtime: LocalRuntime, customer_id: str) -> dict[str, Any] | None:
    answer = runtime.client("dynamodb").get_item(
        TableName=runtime.table_name("ProfilesTable"),
        Key={"pk": {"S": partition_key(STORE, customer_id)}, "sk": {"S": customer_id}},
    )
    item: dict[str, Any] | None = answer.get("Item")
    return item


def _size(runtime: LocalRuntime, customer_id: str) -> int:
    item = _item(runtime, customer_id)
    return 0 if item is None else typed_item_size(item)


def _attack_hour(
    runtime: LocalRuntime, at: datetime, token_expires: datetime, stats: dict[str, list[int]]
) -> None:
    """Both attackers post until refused, then a few more, within the hour starting `at`."""
    allowance = tracker.TRACKER_BATCHES_PER_HOUR + 5
    sqs, events_queue = runtime.client("sqs"), runtime.queue_url("EventsQueue")
    for n in range(allowance):
        if n % 10 == 0:  # the events the batches hand on: no automation is set up here to take them
            sqs.purge_queue(QueueUrl=events_queue)
        runtime.clock.set(at + timedelta(seconds=n * 3500 // allowance))
        tag = f"{at:%d%H}-{n}"
        stats["forger"].append(_post(runtime, _forged("v-forger", "f" + tag)))
        leaked = samples.tracker_request(
            "v-leaked", _views("l" + tag), member_id=MEMBER, token_expires=token_expires
        )
        stats["leaked"].append(_post(runtime, leaked))


def _crowd(runtime: LocalRuntime, at: datetime) -> tuple[int, int]:
    production, tracker.NEW_VISITORS_PER_HOUR = tracker.NEW_VISITORS_PER_HOUR, CROWD_BUDGET
    try:  # the collect function runs in this process
        statuses = []
        for n in range(CROWD_BUDGET * 2):
            runtime.clock.set(at + timedelta(seconds=n))
            statuses.append(_post(runtime, samples.tracker_request(f"v-crowd-{n}", _views(f"c{n}"))))
    finally:
        tracker.NEW_VISITORS_PER_HOUR = production
    return statuses.count(200), statuses.count(429)


def drill(hours: int, days: int = DAYS) -> int:
    failures: list[str] = []
    started = time.perf_counter()
    # The events queue is emptied as the attack goes (no automation here takes its events, and moto scans the
    # whole queue at each send): more often than SQS's one purge a minute, which moto holds to by default.
    os.environ["MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR"] = "false"
    with LocalRuntime(start=START) as runtime:
        runtime.template.sqs_sources[:] = []  # ingestion only: nothing consumes the events queue here
        joined = samples.cafe24_member_joined(MEMBER, "김민지", "010-0000-1001", START, True, False)
        assert _post(runtime, joined) == 200
        print(
            f"\nThe tracker drill: {days} days, {hours} attack hour(s) a day, on {STORE}'s customer {MEMBER}"
        )
        print(
            f"  budget {PROFILE_BUDGET:,} B; DynamoDB's item limit {DYNAMODB_ITEM_LIMIT:,} B; per profile "
            f"{tracker.TRACKER_BATCHES_PER_HOUR} batches an hour\n"
        )
        print(
            f"  {'day':>3}  {'forger 200/429':>15}  {'leaked 200/429':>15}  {'customer item':>14}  "
            f"{'of limit':>8}  {'forger visitor':>14}  genuine webhooks"
        )
        largest = 0
        for day in range(days):
            stats: dict[str, list[int]] = {"forger": [], "leaked": []}
            for hour in range(hours):
                at = START + timedelta(days=day, hours=9 + hour if hours < 15 else hour)
                _attack_hour(runtime, at, at + timedelta(days=1), stats)
            genuine = []
            if day == CROWD_DAY:
                made, refused = _crowd(runtime, START + timedelta(days=day, hours=20))
                genuine.append(f"(crowd: {made} new visitors, then {refused} refused)")
            at = START + timedelta(days=day, hours=23)
            runtime.clock.set(at)
            if day in ORDER_DAYS:
                order_id = f"{at:%Y%m%d}-0000001"
                status = _post(
                    runtime, samples.cafe24_order_placed(order_id, MEMBER, at, 42000, ["P0000012"])
                )
                genuine.append(f"order {order_id}: {status}")
                if status != 200:
                    failures.append(f"day {day}: the order webhook answered {status}")
            if day == WITHDRAWAL_DAY:
                status = _post(runtime, samples.cafe24_member_changed(MEMBER, sms=False))
                genuine.append(f"SMS consent withdrawn: {status}")
                if status != 200:
                    failures.append(f"day {day}: the withdrawal webhook answered {status}")
            size = _size(runtime, MEMBER)
            largest = max(largest, size)
            f, leaked = stats["forger"], stats["leaked"]
            forger_size = _size(runtime, "anon:v-forger")
            print(
                f"  {day + 1:>3}  {f.count(200):>7}/{f.count(429):<7}  "
                f"{leaked.count(200):>7}/{leaked.count(429):<7}  {size:>12,} B  "
                f"{size / DYNAMODB_ITEM_LIMIT:>8.1%}  {forger_size:>12,} B  {'; '.join(genuine)}",
                flush=True,
            )
            if any(s >= 500 for s in f + leaked):
                failures.append(f"day {day}: a tracker batch answered 5xx")
        item = _item(runtime, MEMBER)
        assert item is not None
        from boto3.dynamodb.types import TypeDeserializer

        profile = from_item(STORE, {k: TypeDeserializer().deserialize(v) for k, v in item.items()})
    expected = {f"{(START + timedelta(days=d, hours=23)):%Y%m%d}-0000001" for d in ORDER_DAYS if d < days}
    print(
        f"\n  {MEMBER}: orders recorded {len(set(profile.orders) & expected)} of {len(expected)}; SMS "
        "consent "
        f"{'withdrawn' if not profile.consents['sms'].granted else 'still granted'}; page-view days kept "
        f"{len(profile.page_views)}; largest item {largest:,} B = {largest / DYNAMODB_ITEM_LIMIT:.1%} of "
        f"DynamoDB's limit, {largest / PROFILE_BUDGET:.1%} of the budget"
    )
    if set(profile.orders) != expected:
        failures.append(f"orders recorded: {sorted(profile.orders)}")
    if days > WITHDRAWAL_DAY and profile.consents["sms"].granted:
        failures.append("the SMS consent withdrawal did not apply")
    if largest > PROFILE_BUDGET:
        failures.append(f"the item reached {largest:,} B, past its budget")
    for failure in failures:
        print(f"  FAILED: {failure}")
    print(f"  ({time.perf_counter() - started:.0f} s)")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--hours",
        type=int,
        default=1,
        choices=range(1, 25),
        metavar="1-24",
        help="attack hours a day, each as fast as the tracker allows (default 1)",
    )
    parser.add_argument("--days", type=int, default=DAYS, choices=range(1, DAYS + 1), metavar=f"1-{DAYS}")
    args = parser.parse_args(argv)
    return drill(args.hours, args.days)


if __name__ == "__main__":
    sys.exit(main())
