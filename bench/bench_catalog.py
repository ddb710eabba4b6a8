"""Product catalog benchmark: what one catalog update costs in DynamoDB, and what its reads save.

Prints, per case, the DynamoDB requests and the read / write units they consume (sized by the cost model's
own rules, nudge_local.bill.capacity, as bench_ingest.py counts them), on moto with the ProductsTable of
template.yaml, each as a ratio to a baseline measured in the same run:
  - a product update that changes the price of a product nobody waits for (the baseline), a retry of it,
    a restock with 0, 10 and 100 watchers (the watchers' Query; the events go to the queue, not counted here);
  - completing a 10-line order from the catalog: one BatchGetItem against a GetItem per line.
Run: .venv/bin/python bench/bench_catalog.py
"""

import os
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers/core/python"), str(ROOT / "local"), str(ROOT)]  # ROOT: tests.fakes

import boto3  # noqa: E402
import yaml  # noqa: E402
from moto import mock_aws  # noqa: E402

from nudge.adapters.products import DynamoProductStore, _product_key  # noqa: E402
from nudge.products.model import ProductRecord  # noqa: E402
from nudge.products.service import CatalogService, Watcher  # noqa: E402
from nudge.profiles.events import NormalizedEvent, OrderLine, OrderPlaced  # noqa: E402
from nudge.stores import Store  # noqa: E402
from nudge_local.bill.capacity import request_units  # noqa: E402
from tests.fakes.queues import RecordingPublisher  # noqa: E402

STORE = Store(store_id="dogday-mall", name="Dog Day Mall", platforms=["cafe24"])
T0 = datetime(2026, 3, 20, 1, 0, tzinfo=UTC)
RUNS = 20


class Meter:
    """DynamoDB requests and the units they consume (botocore's events, as bench_ingest's CapacityMeter)."""

    def __init__(self) -> None:
        self.requests, self.reads, self.writes = 0, 0.0, 0.0
        self._params: dict[str, Any] = {}

    def before(self, params: dict[str, Any], **_: Any) -> None:
        self.requests += 1
        self._params = params

    def after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        reads, writes = request_units(model.name, self._params, parsed)
        self.reads += reads
        self.writes += writes


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _table(client: Any) -> None:
    props = yaml.load((ROOT / "template.yaml").read_text(), Loader=_Loader)["Resources"]["ProductsTable"]
    wanted = ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
    client.create_table(TableName="products", **{k: props["Properties"][k] for k in wanted})


def _record(product_id: str, minutes: int, **fields: Any) -> ProductRecord:
    return ProductRecord(
        store_id=STORE.store_id, product_id=product_id, updated_at=T0 + timedelta(minutes=minutes),
        source="cafe24:90002", name="강아지 산책 리드줄 (M)", image_url="https://img.example/p.jpg",
        url="https://dogday.example/product/detail.html?product_no=1", category_ids=("24", "7"), **fields,
    )  # fmt: skip


def main() -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-northeast-2")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="ap-northeast-2")
        _table(client)
        meter = [Meter()]
        client.meta.events.register("before-parameter-build.dynamodb", lambda **kw: meter[0].before(**kw))
        client.meta.events.register("after-call.dynamodb", lambda **kw: meter[0].after(**kw))
        store = DynamoProductStore("products", client=client)
        catalog = CatalogService(store, RecordingPublisher())
        results: dict[str, Meter] = {}

        def measure(name: str, action: Any) -> None:
            meter[0] = results.setdefault(name, Meter())
            action()
            meter[0] = Meter()

        watchers_of = {"restock, 0 watchers": 0, "restock, 10 watchers": 10, "restock, 100 watchers": 100}

        def update(pid: str, minutes: int, **fields: Any) -> Any:
            return lambda: catalog.update(STORE, [_record(pid, minutes, **fields)], T0)

        for run in range(RUNS):
            pid = f"P{run}"
            catalog.update(STORE, [_record(pid, 0, price=Decimal(20000), stock=0)], T0)
            measure("price change, nobody waiting (baseline)", update(pid, 1, price=Decimal(21000), stock=0))
            measure("the same update retried", update(pid, 1, price=Decimal(21000), stock=0))
            for name, count in watchers_of.items():
                wid = f"{pid}-{count}"
                catalog.update(STORE, [_record(wid, 0, price=Decimal(20000), stock=0)], T0)
                expires = T0 + timedelta(days=30)
                store.watch(
                    STORE.store_id, [Watcher(wid, f"m-{n:05d}", "cart", expires) for n in range(count)]
                )
                measure(name, update(wid, 1, stock=5))

        lines = [OrderLine(product_id=f"P{n}") for n in range(10)]
        order: list[NormalizedEvent] = [
            OrderPlaced(event_id="d#0", store_id=STORE.store_id, customer_id="m-1", occurred_at=T0,
                        source="b", order_id="O-1", amount=Decimal(1), lines=lines)
        ]  # fmt: skip
        for _ in range(RUNS):
            measure("10-line order completed: BatchGetItem", lambda: catalog.complete_lines(STORE, order))
            measure(
                "10-line order completed: GetItem per line (naive)",
                lambda: [client.get_item(TableName="products", Key=_product_key(STORE.store_id, n.product_id))
                         for n in lines],
            )  # fmt: skip

    base = results["price change, nobody waiting (baseline)"]
    print(f"Product catalog on moto (ProductsTable of template.yaml), mean of {RUNS} runs per case")
    print(f"  {'case':<52} {'requests':>8} {'RCU':>7} {'WCU':>7} {'req ×base':>10} {'units ×base':>12}")
    for name, m in results.items():
        if name.startswith("10-line"):
            continue
        units, base_units = m.reads + m.writes, base.reads + base.writes
        print(
            f"  {name:<52} {m.requests / RUNS:>8.2f} {m.reads / RUNS:>7.1f} {m.writes / RUNS:>7.1f} "
            f"{m.requests / base.requests:>10.2f} {units / base_units:>12.2f}"
        )
    batch = results["10-line order completed: BatchGetItem"]
    naive = results["10-line order completed: GetItem per line (naive)"]
    for name, m in (
        ("10-line order, one BatchGetItem", batch),
        ("10-line order, GetItem per line (naive)", naive),
    ):
        print(
            f"  {name:<52} {m.requests / RUNS:>8.2f} {m.reads / RUNS:>7.1f} {m.writes / RUNS:>7.1f} "
            f"{m.requests / batch.requests:>10.2f} {m.reads / batch.reads:>12.2f}   (x the batch)"
        )


if __name__ == "__main__":
    main()
