"""The whole-store segment read against moto: the parallel, projected, paged Query over a store's 16
shards finds exactly the customers the Profile evaluator finds, and nobody from another store."""

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from nudge.adapters.profile_item import SHARDS, partition_key
from nudge.adapters.segment_reader import SegmentReader
from nudge.profiles.profile import Profile
from nudge.segments.evaluate import compile_segment
from nudge.segments.templates import DOG_DAY, friendtalk_segments, promotion_recipes
from nudge.stores import Store
from tests.unit.segments.helpers import NOW, cart, consent, customer, day_key, days_ago, dynamodb_item, order

pytestmark = pytest.mark.contract

TABLE = "nudge-profiles-test"
STORE = Store(store_id="dogday-mall", name="Dog Day Mall", platforms=["cafe24"])
OTHER = Store(store_id="cat-mall", name="Cat Mall", platforms=["cafe24"])


class _CloudFormationLoader(yaml.SafeLoader):
    pass


_CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _profiles_table_definition() -> dict[str, Any]:
    """Keys, attributes and indexes of ProfilesTable, read from template.yaml so they cannot drift."""
    template = yaml.load(Path("template.yaml").read_text(), Loader=_CloudFormationLoader)
    props = template["Resources"]["ProfilesTable"]["Properties"]
    return {
        k: props[k] for k in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
    }


def _random_profile(rng: random.Random, store_id: str, n: int) -> Profile:
    recent = lambda: days_ago(rng.choice([0, 0, 1, 2, 5, 9, 30]), hour=rng.randint(0, 14))  # noqa: E731
    orders = [
        order(f"{n}-{i}", days_ago(rng.choice([1, 3, 6, 8, 20, 90])), rng.choice([8_000, 39_000, 120_000]))
        for i in range(rng.choice([0, 0, 1, 2, 12]))
    ]
    profile = customer(
        f"c{n:04d}",
        orders,
        consents={"kakao": consent(rng.random() < 0.7)} if rng.random() < 0.8 else {},
        last_login_at=recent() if rng.random() < 0.7 else None,
        last_visit_at=recent() if rng.random() < 0.8 else None,
        visit_count=rng.randint(0, 12),
        page_views={
            day_key(d): {"/event/dogday": rng.randint(1, 5), "/product/P-DOG-BED": rng.randint(1, 3)}
            for d in rng.sample(range(8), rng.randint(0, 3))
        },
        cart=cart({rng.choice(["P-DOG-BED", "P-DOG-SNACK", "P-CAT-TOY"]): 1}, recent())
        if rng.random() < 0.4
        else cart({}, days_ago(30)),
        joined_at=days_ago(rng.randint(0, 400)),
    )
    profile.store_id = store_id
    return profile


@pytest.fixture(scope="module")
def store_profiles() -> Any:
    rng = random.Random(20260320)
    mine = [_random_profile(rng, STORE.store_id, n) for n in range(320)]
    others = [_random_profile(rng, OTHER.store_id, n) for n in range(60)]
    with mock_aws():
        client = boto3.client("dynamodb", region_name="ap-northeast-2")
        client.create_table(TableName=TABLE, **_profiles_table_definition())
        for profile in mine + others:
            client.put_item(TableName=TABLE, Item=dynamodb_item(profile))
        yield client, mine


SEGMENTS = {**promotion_recipes(DOG_DAY), **friendtalk_segments()}


@pytest.mark.parametrize("name", sorted(SEGMENTS))
def test_the_store_read_finds_the_same_customers_as_the_profile_evaluator(
    store_profiles: Any, name: str
) -> None:
    client, profiles = store_profiles
    compiled = compile_segment(SEGMENTS[name], STORE.zone, NOW)
    expected = sorted(compiled.members(profiles))
    found = list(SegmentReader(client, TABLE).members(STORE, compiled))
    assert sorted(found) == expected
    assert len(found) == len(set(found))


def test_the_promotion_segments_are_not_trivial_on_this_store(store_profiles: Any) -> None:
    client, profiles = store_profiles
    names = ("1_all_members", "3_page_repeat_viewers", "4_cart_reminder")
    counts = {name: SegmentReader(client, TABLE).count(STORE, SEGMENTS[name], NOW).members for name in names}
    assert counts["1_all_members"] == len(profiles) == 320  # the other store's 60 are not read
    assert 0 < counts["3_page_repeat_viewers"] < 320
    assert 0 < counts["4_cart_reminder"] < 320


def test_every_shard_is_read_through_all_its_pages(store_profiles: Any) -> None:
    client, profiles = store_profiles
    reader = SegmentReader(client, TABLE, page_limit=7)
    reads = list(reader.shards(STORE, promotion_recipes(DOG_DAY)["1_all_members"], NOW))
    assert [r.shard for r in reads] == list(range(SHARDS))  # in shard order, whichever read ends first
    per_shard = {
        s: sum(1 for p in profiles if partition_key(STORE.store_id, p.customer_id).endswith(f"#{s:02d}"))
        for s in range(SHARDS)
    }
    assert {r.shard: r.scanned for r in reads} == per_shard
    assert sum(r.pages for r in reads) > SHARDS  # shards with more than 7 profiles needed several pages


def test_only_the_attributes_the_segment_reads_come_back(store_profiles: Any) -> None:
    client, _ = store_profiles
    compiled = compile_segment(promotion_recipes(DOG_DAY)["3_page_repeat_viewers"], STORE.zone, NOW)
    matcher = compiled.item_matcher
    page = client.query(
        TableName=TABLE,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": "pk", **matcher.names},
        ExpressionAttributeValues={":pk": {"S": f"{STORE.store_id}#03"}},
        ProjectionExpression=matcher.projection,
    )
    assert page["Items"]
    for item in page["Items"]:
        assert set(item) <= {"sk", "lv", "lp", "pv"}
        assert set(item.get("pv", {}).get("M", {})) <= {day_key(0)}  # only today's page views travel


def test_the_read_uses_the_store_time_zone_for_today(store_profiles: Any) -> None:
    client, profiles = store_profiles
    late_evening_utc = NOW + timedelta(hours=10)  # 2026-03-21 01:00 in Seoul, still the 20th in UTC
    segment = {"include": [{"field": "traffic.last_visit", "within_days": 0}]}
    assert list(SegmentReader(client, TABLE).members(STORE, segment, late_evening_utc)) == []
    expected = compile_segment(segment, STORE.zone, NOW).members(profiles)
    assert sorted(SegmentReader(client, TABLE).members(STORE, segment, NOW)) == sorted(expected)


def test_many_customers_orders_are_read_in_batches_as_one_by_one(store_profiles: Any) -> None:
    """A report's read of the orders of the customers a source touched (orders_many)."""
    from nudge.adapters.dynamodb import DynamoProfileRepository

    client, profiles = store_profiles
    repository = DynamoProfileRepository(TABLE, "events-unused", client)
    wanted = [p.customer_id for p in profiles[:250]] + ["nobody", profiles[0].customer_id]
    batches: list[int] = []
    client.meta.events.register("before-call.dynamodb.BatchGetItem", lambda **_: batches.append(1))
    found = repository.orders_many(STORE.store_id, wanted)
    assert sorted(found) == sorted(p.customer_id for p in profiles[:250])  # the missing one is not there
    for profile in profiles[:250]:
        assert found[profile.customer_id] == profile.orders
    assert any(found.values())  # some of them did order
    assert len(batches) == 3  # 250 customers: 100 keys a request
    other = repository.orders_many(OTHER.store_id, wanted[:5])  # the same ids in another store: its own
    for customer_id, orders in other.items():
        stored = repository.load(OTHER.store_id, customer_id)
        assert stored is not None and orders == stored.orders
