"""The product catalog's DynamoDB adapter against moto: it keeps what the catalog service (and its in-memory
fake) expect — a version-checked write, a batch read, pages by id, watchers by product and by customer,
inventory items' products — on the table template.yaml defines."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from nudge.adapters.products import DynamoProductStore
from nudge.products.model import ProductRecord
from nudge.products.service import CatalogService, Change, StoredProduct, Watcher
from nudge.stores import Store
from tests.fakes.queues import RecordingPublisher

pytestmark = pytest.mark.contract

STORE = Store(store_id="dogday-mall", name="Dog Day Mall", platforms=["cafe24"])
T0 = datetime(2026, 3, 20, 1, 0, tzinfo=UTC)


class _CloudFormationLoader(yaml.SafeLoader):
    pass


_CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _table_definition() -> dict[str, Any]:
    template = yaml.load(Path("template.yaml").read_text(), Loader=_CloudFormationLoader)
    props = template["Resources"]["ProductsTable"]["Properties"]
    wanted = ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
    return {k: props[k] for k in wanted if k in props}


@pytest.fixture
def products() -> Any:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="ap-northeast-2")
        client.create_table(TableName="products", **_table_definition())
        yield DynamoProductStore("products", client=client)


def _record(**fields: Any) -> ProductRecord:
    return ProductRecord(
        store_id=STORE.store_id, product_id="P1", updated_at=T0, source="cafe24:90002", **fields
    )


def test_a_product_is_written_once_per_version_and_read_back_whole(products: DynamoProductStore) -> None:
    product = _record(
        name="산책 리드줄", price=Decimal("15000"), sale_price=Decimal("12900.5"), category_ids=("24", "7"),
        stock=3, selling=True, display=False, sold_out=False, inventory_items=("I-1",),
        image_url="https://img.example/p1.jpg", url="https://dogday.example/product/P1",
    )  # fmt: skip
    first = StoredProduct(product, 1, Change("price_drop", T0, Decimal("16000")))
    assert products.put(STORE.store_id, first, 0)
    assert not products.put(STORE.store_id, first, 0)  # it exists now
    assert products.get_many(STORE.store_id, ["P1", "P-none"], consistent=True) == {"P1": first}
    second = StoredProduct(product.model_copy(update={"stock": 0}), 2)
    assert not products.put(STORE.store_id, second, 5)
    assert products.put(STORE.store_id, second, 1)
    assert products.get_many(STORE.store_id, ["P1"])["P1"] == second


def test_pages_go_by_product_id_and_leave_out_other_items(products: DynamoProductStore) -> None:
    for n in range(5):
        products.put(
            STORE.store_id, StoredProduct(_record().model_copy(update={"product_id": f"P{n}"}), 1), 0
        )
    products.own_inventory(STORE.store_id, "P1", ["I-1"])
    products.watch(STORE.store_id, [Watcher("P1", "m-1", "cart", T0)])
    page, after = products.page(STORE.store_id, None, 3)
    assert [p.product.product_id for p in page] == ["P0", "P1", "P2"] and after == "P2"
    page, after = products.page(STORE.store_id, after, 3)
    assert [p.product.product_id for p in page] == ["P3", "P4"]
    assert after is None


def test_watchers_are_read_by_product_renewed_and_forgotten_by_customer(products: DynamoProductStore) -> None:
    later = T0 + timedelta(days=30)
    products.watch(STORE.store_id, [Watcher(f"P{n}", "m-1", "cart", T0) for n in range(30)])
    products.watch(STORE.store_id, [Watcher("P1", "m-1", "cart", later), Watcher("P1", "m-2", "view", later)])
    assert sorted(products.watchers(STORE.store_id, "P1"), key=lambda w: w.customer_id) == [
        Watcher("P1", "m-1", "cart", later),
        Watcher("P1", "m-2", "view", later),
    ]
    assert products.forget_customer(STORE.store_id, "m-1") == 30
    assert products.forget_customer(STORE.store_id, "m-1") == 0
    assert [w.customer_id for w in products.watchers(STORE.store_id, "P1")] == ["m-2"]


def test_inventory_items_name_their_product(products: DynamoProductStore) -> None:
    products.own_inventory(STORE.store_id, "P1", ["I-1", "I-2"])
    assert products.inventory_owners(STORE.store_id, ["I-2", "I-9"]) == {"I-2": "P1"}


def test_the_service_on_dynamodb_tells_a_watcher_of_a_restock(products: DynamoProductStore) -> None:
    publisher = RecordingPublisher()
    catalog = CatalogService(products, publisher)
    catalog.update(STORE, [_record(stock=0)], T0)
    products.watch(STORE.store_id, [Watcher("P1", "m-1", "cart", T0 + timedelta(days=30))])
    answer = catalog.update(
        STORE, [_record(stock=2).model_copy(update={"updated_at": T0 + timedelta(1)})], T0
    )
    assert answer == "1 product updated, 1 back in stock (1 customers told)"
    assert [e.customer_id for e in publisher.published] == ["m-1"]
