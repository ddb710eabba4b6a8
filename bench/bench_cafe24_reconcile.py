"""Cafe24 reconciliation benchmark: Admin API calls per reconciled day per store.

A mall with N orders a day (placed, paid, most shipped and delivered) and N/4 new members, on the local Cafe24
(nudge_local/gateway/cafe24.py: Cafe24's paging limits, its leaky bucket of 40 calls drained at 2 a second,
429 past it). One reconciliation run at the end of the day reads its window as AWS runs it (yesterday and
today: Cafe24 filters by date) through nudge.adapters.cafe24_reader over real HTTP requests to the emulator;
the day has 24 runs (every hour), each reading the day so far (here: the whole day, the upper bound).

Printed per size: calls per run, calls per day (24 runs), the baseline — the calls the webhooks themselves
make (one order read per order event) — and their ratio; the seconds a run waits for Cafe24's bucket; and
DynamoDB requests per run for "which facts are known" (one BatchGetItem per 100 keys).
Run: .venv/bin/python bench/bench_cafe24_reconcile.py
"""

from datetime import datetime, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from nudge.adapters.cafe24 import AdminApi
from nudge.adapters.cafe24_reader import Cafe24Reader
from nudge.ingest.platforms import cafe24_records
from nudge.stores import Store
from nudge_local.gateway.cafe24 import Cafe24Emulator
from nudge_local.runtime.stores import DOGDAY, LOCAL_CAFE24_APP

KST = ZoneInfo("Asia/Seoul")
DAY = datetime(2026, 3, 16, tzinfo=KST)
RUNS_PER_DAY = 24
MALL = "dogdaymall"
SIZES = (0, 50, 500, 2000)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at
        self.waited = 0.0

    def now(self) -> datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
        self.waited += seconds


def a_day(orders: int) -> tuple[int, int, float, int]:
    """(calls of one run, calls the webhooks make, seconds waited, facts read)."""
    clock = Clock(DAY)
    cafe24 = Cafe24Emulator(clock.now, [LOCAL_CAFE24_APP], [MALL])
    mall = cafe24.mall(MALL)
    mall.put_product(1001, "강아지 사료", 45000, at=DAY)
    webhook_reads = 0
    for n in range(orders):
        at = DAY + timedelta(seconds=30 + n * (20 * 3600 // max(orders, 1)))
        clock.at = at
        member_id = f"m{n:05d}"
        if n % 4 == 0:
            mall.add_member(
                member_id, "김민지", f"010-0000-{n % 10000:04d}", "m@example.com", sms=True, news_mail=False
            )
        mall.place_order(f"20260316-{n:07d}", member_id if n % 4 == 0 else None, [(1001, 1)],
                         buyer_name="김민지", buyer_cellphone=f"010-0001-{n % 10000:04d}")  # fmt: skip
        webhook_reads += 1
    for n in range(orders):
        if n % 10 == 9:
            continue
        clock.at = DAY + timedelta(hours=21, seconds=n)
        mall.ship(f"20260316-{n:07d}")
        webhook_reads += 1
        if n % 2 == 0:
            mall.deliver(f"20260316-{n:07d}", at=clock.at + timedelta(minutes=30))
            webhook_reads += 1
    clock.at = DAY + timedelta(hours=23, minutes=45)
    grant = cafe24.grant(
        MALL, LOCAL_CAFE24_APP.client_id, ("mall.read_order", "mall.read_privacy", "mall.read_product")
    )
    from nudge.adapters import cafe24 as adapter

    adapter.use_transport(cafe24.transport())
    api = AdminApi(MALL, lambda: str(grant["access_token"]), clock.sleep)
    reader = Cafe24Reader(lambda: api)
    waited_before = clock.waited
    since, until = clock.at - timedelta(days=1), clock.at
    store: Store = DOGDAY.store
    facts = 0
    for order in reader.orders_changed(since, until):
        facts += len(cafe24_records.order_deliveries(order, store, "bench"))
    facts += len(list(reader.members_joined(since, until)))
    list(reader.products_changed(since, until))
    adapter.use_transport(None)
    return reader.calls, webhook_reads, clock.waited - waited_before, facts


def main() -> None:
    print("Cafe24 reconciliation: Admin API calls per reconciled day per store (every hour)")
    print(f"{'orders/day':>10} {'calls/run':>9} {'calls/day':>9} {'webhook reads/day':>17} {'ratio':>6} "
          f"{'bucket wait/run':>15} {'DynamoDB reads/run':>18}")  # fmt: skip
    for orders in SIZES:
        per_run, webhook_reads, waited, facts = a_day(orders)
        per_day = per_run * RUNS_PER_DAY
        ratio = f"{per_day / webhook_reads:.1f}" if webhook_reads else "-"
        print(f"{orders:>10} {per_run:>9} {per_day:>9} {webhook_reads:>17} {ratio:>6} {waited:>14.1f}s "
              f"{ceil(facts / 100):>18}")  # fmt: skip
    print("calls/run: 7 order date types (at least one page each) + members joined + products changed;")
    print("Cafe24's usage quota is about 3,000 calls per 10 minutes per mall (store-platforms.md §1.4).")


if __name__ == "__main__":
    main()
