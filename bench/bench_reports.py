"""A large campaign's report: how long the admin API takes to read it, against the HTTP API's 30 seconds.

A report reads every record of the campaign (the `by_source` index, then BatchGetItem), the profiles of
every customer it reached (BatchGetItem) and, for each customer who ordered inside one of its windows, that
customer's other messages (the `by_customer` index, then BatchGetItem). The store here: a campaign to
CUSTOMERS members, all delivered, 5 % clicked, 4 % ordered the next morning and also got two messages of
another campaign. The tables are the template's, in the local runtime's emulation (moto with its index
lookups); every DynamoDB request waits LATENCY first, a stand-in for DynamoDB's own answer time in the same
Region. The emulation's own work is CPU time that AWS would not spend, so the figures are an upper bound.

Prints the requests the report makes and its time read one request after another (the baseline) and
READERS requests at a time (what Nudge does), their ratio, and both extrapolated to 100,000 members.
Prints figures only; nothing here asserts on timing. Run: .venv/bin/python bench/bench_reports.py
"""

import random
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [
    str(ROOT / "layers/core/python"),
    str(ROOT / "layers/compliance/python"),
    str(ROOT / "local"),
    str(ROOT),  # tests.fakes: the catalog
]

from boto3.dynamodb.types import TypeSerializer  # noqa: E402

from nudge.adapters import dynamodb  # noqa: E402
from nudge.adapters.dynamodb import DynamoProfileRepository  # noqa: E402
from nudge.adapters.ledger import DynamoSendLedger  # noqa: E402
from nudge.adapters.ledger import to_item as send_item  # noqa: E402
from nudge.adapters.profile_item import to_item as profile_item  # noqa: E402
from nudge.ports import CAMPAIGN as CAMPAIGN_KIND  # noqa: E402
from nudge.profiles.profile import Order, OrderStatus, Profile  # noqa: E402
from nudge.reports import sources  # noqa: E402
from nudge.sending.records import SendRecord, State  # noqa: E402
from nudge_local.emulation import aws  # noqa: E402
from nudge_local.runtime.resources import provision  # noqa: E402
from nudge_local.runtime.template import parse_template  # noqa: E402
from tests.fakes import InMemoryCatalog  # noqa: E402

CUSTOMERS = 6_000
LATENCY = 0.004  # seconds per request: DynamoDB's typical single-digit milliseconds in the same Region
HTTP_API_LIMIT = 30.0
STORE = "dogday-mall"
CAMPAIGN = "cmp-dogday"
SENT = datetime(2026, 3, 18, 1, 0, tzinfo=UTC)
_serializer = TypeSerializer()
TEMPLATE = parse_template(ROOT / "template.yaml")
SENDS = TEMPLATE.tables["SendsTable"].name
PROFILES = TEMPLATE.tables["ProfilesTable"].name


def _write(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    for first in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[first : first + 25]]
        client.batch_write_item(RequestItems={table: requests})


def _store(client: Any) -> None:
    rng = random.Random(2026)
    profiles, sends = [], []
    for n in range(CUSTOMERS):
        customer_id = f"m{n:06d}"
        profile = Profile(STORE, customer_id, phone=f"+8210{n:08d}", name="김고객")
        record = SendRecord(
            f"{n:024d}", STORE, f"campaign:{CAMPAIGN}", customer_id, "run-1", State.DELIVERED, kind="SMS",
            is_ad=True, created_at=SENT, sent_at=SENT, delivered_at=SENT,
        )  # fmt: skip
        if rng.random() < 0.05:
            record = replace(record, clicked_at=SENT + timedelta(minutes=5), clicks=1)
        sends.append(record)
        if rng.random() < 0.04:
            placed = SENT + timedelta(hours=20)
            order_id = f"o{customer_id}"
            profile.orders[order_id] = Order(
                order_id, OrderStatus.PAID, placed, placed_at=placed, amount=Decimal(39_000)
            )
            for k in range(2):  # two messages of another campaign, days before
                at = SENT - timedelta(days=k + 1)
                other = replace(record, send_id=f"x{k}{n:022d}", source="campaign:cmp-other", created_at=at,
                                sent_at=at, delivered_at=at, clicked_at=None, clicks=0)  # fmt: skip
                sends.append(other)
        profiles.append({k: _serializer.serialize(v) for k, v in profile_item(profile).items()})
    _write(client, PROFILES, profiles)
    _write(client, SENDS, [send_item(record) for record in sends])


def _catalog() -> InMemoryCatalog:
    catalog = InMemoryCatalog()
    campaign = {"campaign_id": CAMPAIGN, "name": "도그데이 오픈 알림"}
    catalog.put(STORE, CAMPAIGN_KIND, CAMPAIGN, campaign, create=True)
    return catalog


def _timed(client: Any, readers: int, requests: Counter[str]) -> tuple[float, dict[str, Any]]:
    dynamodb.READERS = readers
    requests.clear()
    ledger = DynamoSendLedger(SENDS, client)
    profiles = DynamoProfileRepository(PROFILES, TEMPLATE.tables["EventsTable"].name, client)
    started = time.perf_counter()
    _, data = sources.source_report(STORE, CAMPAIGN_KIND, CAMPAIGN, ledger, profiles, _catalog())
    return time.perf_counter() - started, data


def main() -> None:
    readers = dynamodb.READERS
    saved = aws.saved_environment()
    aws.start_in_process()
    try:
        provision(TEMPLATE)  # the template's tables, as the local runtime makes them
        client = aws.client("dynamodb")
        _store(client)
        requests: Counter[str] = Counter()

        def wait(event_name: str, **_: Any) -> None:
            requests[event_name.rsplit(".", 1)[-1]] += 1
            time.sleep(LATENCY)

        client.meta.events.register_first("before-call.dynamodb", wait)  # before the emulation answers
        one_by_one, baseline = _timed(client, 1, requests)
        asked = dict(requests)
        together, data = _timed(client, readers, requests)
    finally:
        dynamodb.READERS = readers
        aws.stop_in_process()
        aws.restore_environment(saved)
    assert data == baseline, "the concurrent read must give the same report"
    scale = 100_000 / CUSTOMERS
    print(f"a campaign's report: {CUSTOMERS:,} members, {LATENCY * 1000:.0f} ms per DynamoDB request")
    print(f"  converted {data['converted']}, clicked {data['clicked']}, delivered {data['delivered']:,}")
    print(
        f"  requests: {sum(asked.values()):,} ({', '.join(f'{n:,} {a}' for a, n in sorted(asked.items()))})"
    )
    print(f"  one request at a time (baseline): {one_by_one:.2f} s")
    print(f"  {readers} requests at a time: {together:.2f} s = {together / one_by_one:.3f} of the baseline")
    print(
        f"  at 100,000 members (x{scale:.1f}): about {one_by_one * scale:.0f} s one at a time, "
        f"about {together * scale:.0f} s {readers} at a time (the HTTP API answers 503 after "
        f"{HTTP_API_LIMIT:.0f} s)"
    )


if __name__ == "__main__":
    main()
