"""Personal data in the adapters, against moto with the tables and KMS keys of template.yaml: phone numbers
sealed at rest (and still found by the 080 look-up), items written before that still read, functions that
may not read numbers keep them as they are; and each adapter's share of a customer's erasure."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from cryptography.exceptions import InvalidTag
from moto import mock_aws

from nudge.adapters.dynamodb import DynamoProfileRepository
from nudge.adapters.erasures import DynamoErasureLog
from nudge.adapters.journeys import DynamoJourneys
from nudge.adapters.keys import StoreKeys
from nudge.adapters.ledger import ERASED_CUSTOMER, DynamoSendLedger
from nudge.adapters.phones import PhonesAtRest, PhonesUnreadable, PhoneVault
from nudge.adapters.profile_item import partition_key, to_item
from nudge.automations.runs import DueStep
from nudge.ports import DeliveryRecord, SaveOutcome
from nudge.profiles.profile import Order, OrderStatus, Profile
from nudge.sending.records import ClaimStatus, SendRecord, State
from nudge.sending.service import LEASE
from nudge_local.runtime.template import parse_template

pytestmark = pytest.mark.contract

NOW = datetime(2026, 3, 18, 3, 0, tzinfo=UTC)
STORE = "dogday-mall"
PHONE = "+821020000001"
TEMPLATE = parse_template(Path("template.yaml"))
REGION = "ap-northeast-2"


def _table(client: Any, logical_id: str) -> str:
    props = TEMPLATE.tables[logical_id].properties
    wanted = ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
    client.create_table(TableName=logical_id, **{k: props[k] for k in wanted if k in props})
    return logical_id


def _key(kms: Any, logical_id: str) -> str:
    props = TEMPLATE.kms_keys[logical_id].properties
    made = kms.create_key(KeySpec=props["KeySpec"], KeyUsage=props["KeyUsage"])
    return str(made["KeyMetadata"]["Arn"])


class World:
    def __init__(self) -> None:
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.kms = boto3.client("kms", region_name=REGION)
        for table in ("ProfilesTable", "EventsTable", "StoresTable", "JourneysTable", "SendsTable"):
            _table(self.dynamodb, table)
        self.phone_key = _key(self.kms, "PhoneKey")
        self.pseudonym_key = _key(self.kms, "PseudonymKey")

    def phones(self) -> PhonesAtRest:
        return PhonesAtRest(PhoneVault(StoreKeys(self.phone_key, self.kms)))

    def profiles(self, readable: bool = True) -> DynamoProfileRepository:
        phones = self.phones() if readable else None
        return DynamoProfileRepository("ProfilesTable", "EventsTable", self.dynamodb, phones=phones)

    def raw(self, customer_id: str, store_id: str = STORE) -> dict[str, Any]:
        key = {"pk": {"S": partition_key(store_id, customer_id)}, "sk": {"S": customer_id}}
        return self.dynamodb.get_item(TableName="ProfilesTable", Key=key)["Item"]


@pytest.fixture
def world() -> Any:
    with mock_aws():
        yield World()


def _record(key: str = "d1") -> DeliveryRecord:
    return DeliveryRecord(STORE, key, NOW, "applied", customer_id="c1")


def _saved(repository: DynamoProfileRepository, profile: Profile, key: str = "d1") -> None:
    assert repository.save(profile, _record(key), profile.version) is SaveOutcome.APPLIED


# ---------------------------------------------------------------- phone numbers at rest


def test_a_number_is_stored_as_a_keyed_hash_and_a_sealed_copy_and_reads_back(world: World) -> None:
    profiles = world.profiles()
    _saved(profiles, Profile(STORE, "c1", phone=PHONE, name="김하나"))
    raw = world.raw("c1")
    assert PHONE not in str(raw) and "1020000001" not in str(raw)
    assert set(raw) >= {"ph", "pe"} and len(raw["ph"]["S"]) == 22 and len(raw["pe"]["B"]) == 42
    loaded = profiles.load(STORE, "c1")
    assert loaded is not None and loaded.phone == PHONE
    loaded.visit_count += 1
    _saved(profiles, loaded, key="d2")  # written back: the same number seals to the same bytes
    assert (world.raw("c1")["ph"], world.raw("c1")["pe"]) == (raw["ph"], raw["pe"])


def test_the_080_look_up_finds_the_number_by_its_hash_in_its_own_store_only(world: World) -> None:
    profiles = world.profiles()
    _saved(profiles, Profile(STORE, "c1", phone=PHONE))
    _saved(profiles, Profile("maple-goods", "c1", phone=PHONE), key="d2")
    assert profiles.customers_with_phone(STORE, PHONE) == ["c1"]
    assert world.raw("c1")["ph"] != world.raw("c1", "maple-goods")["ph"]  # stores are not linkable
    assert profiles.customers_with_phone(STORE, "+821099999999") == []


def test_a_sealed_number_copied_to_another_profile_does_not_open(world: World) -> None:
    profiles = world.profiles()
    _saved(profiles, Profile(STORE, "c1", phone=PHONE))
    _saved(profiles, Profile(STORE, "c2", phone="+821020000002"), key="d2")
    moved = world.raw("c2")
    moved["pe"] = world.raw("c1")["pe"]
    world.dynamodb.put_item(TableName="ProfilesTable", Item=moved)
    with pytest.raises(InvalidTag):
        profiles.load(STORE, "c2")


def _plain_item(customer_id: str, phone: str) -> dict[str, Any]:
    serializer = boto3.dynamodb.types.TypeSerializer()
    item = to_item(Profile(STORE, customer_id, phone=phone, name="김하나", version=1))
    return {k: serializer.serialize(v) for k, v in item.items()}


def test_an_item_written_before_numbers_were_sealed_reads_and_is_sealed_when_written(world: World) -> None:
    world.dynamodb.put_item(TableName="ProfilesTable", Item=_plain_item("old", PHONE))
    profiles = world.profiles()
    assert profiles.customers_with_phone(STORE, PHONE) == ["old"]  # the 080 look-up finds it either way
    loaded = profiles.load(STORE, "old")
    assert loaded is not None and loaded.phone == PHONE
    loaded.name = "김하나"
    _saved(profiles, loaded)
    raw = world.raw("old")
    assert PHONE not in str(raw) and "pe" in raw
    assert profiles.customers_with_phone(STORE, PHONE) == ["old"]


def test_a_function_that_may_not_read_numbers_keeps_them_as_stored(world: World) -> None:
    _saved(world.profiles(), Profile(STORE, "c1", phone=PHONE))
    sealed = world.raw("c1")
    tracker = world.profiles(readable=False)
    loaded = tracker.load(STORE, "c1")
    assert loaded is not None and loaded.phone is None
    loaded.visit_count += 1
    _saved(tracker, loaded, key="d2")
    after = world.raw("c1")
    assert (after["ph"], after["pe"], after["vc"]) == (sealed["ph"], sealed["pe"], {"N": "1"})
    reread = world.profiles().load(STORE, "c1")
    assert reread is not None and reread.phone == PHONE
    with pytest.raises(PhonesUnreadable):  # nor can it set one
        tracker.save(Profile(STORE, "c9", phone=PHONE), _record("d3"), 0)


def test_one_kms_request_per_store_then_everything_is_local(world: World) -> None:
    calls: list[str] = []
    world.kms.meta.events.register("before-call.kms.*", lambda model, **_: calls.append(model.name))
    profiles = world.profiles()
    for n in range(20):
        _saved(profiles, Profile(STORE, f"c{n}", phone=f"+8210200000{n:02d}"), key=f"d{n}")
        assert profiles.load(STORE, f"c{n}") is not None
    assert calls == ["GenerateMac"]


# ---------------------------------------------------------------- each adapter's share of an erasure


def test_the_profile_and_its_order_index_go_and_a_second_erasure_finds_nothing(world: World) -> None:
    profiles = world.profiles()
    profile = Profile(STORE, "c1", phone=PHONE)
    profile.orders["O-1"] = Order("O-1", OrderStatus.PAID, NOW, NOW, Decimal(1000))
    record = replace(_record(), orders_placed=("O-1", "O-2"))
    assert profiles.save(profile, record, 0) is SaveOutcome.APPLIED
    assert profiles.customer_for_order(STORE, "O-2") == "c1"
    # O-1 from the profile, O-2 named by the platform; O-3 is no order of theirs (not in the index).
    assert profiles.erase(STORE, "c1", ["O-2", "O-3"]) == (2, 1)
    assert profiles.load(STORE, "c1") is None
    assert profiles.customer_for_order(STORE, "O-1") is None
    assert profiles.customer_for_order(STORE, "O-2") is None
    assert profiles.erase(STORE, "c1") == (0, 0)


def test_delivery_records_no_longer_name_the_customer(world: World) -> None:
    profiles = world.profiles()
    record = replace(_record(), key="shopify:customers/update:m-77:20260318T030000Z:6e003a358d418ea0")
    assert profiles.save(Profile(STORE, "m-77"), record, 0) is SaveOutcome.APPLIED
    items = world.dynamodb.scan(TableName="EventsTable")["Items"]
    assert [i for i in items if i["pk"]["S"].startswith(f"d#{STORE}#")]
    assert all("c" not in i and "m-77" not in str(i) for i in items)
    assert profiles.save(Profile(STORE, "m-77"), record, 0) is SaveOutcome.DUPLICATE  # still deduped


def test_a_customers_journeys_are_found_by_the_index_and_deleted(world: World) -> None:
    journeys = DynamoJourneys("JourneysTable", client=world.dynamodb)
    slot = NOW + timedelta(days=3)
    for step in range(2):
        due = DueStep(STORE, "aut_1", "c1", "order:O-1", step, "evt-1", NOW, slot, {"order_id": "O-1"})
        assert journeys.put(due, slot, NOW)
    other = DueStep(STORE, "aut_1", "c2", "order:O-2", 0, "evt-2", NOW, slot, {})
    assert journeys.put(other, slot, NOW)
    assert journeys.enter(STORE, "aut_1", "c1", "order:O-1", "evt-1", NOW, None)
    # An entry written before the index existed (no `cust`): found through the store's automations.
    world.dynamodb.put_item(
        TableName="JourneysTable",
        Item={"pk": {"S": f"entry#{STORE}#aut_0#c1"}, "sk": {"S": "last"}, "occurrence": {"S": "e"}},
    )
    assert journeys.erase_customer(STORE, "c1", ["aut_0", "aut_1"]) == (2, 2)
    assert [s.customer_id for s in journeys.in_slot(STORE, slot)] == ["c2"]
    assert journeys.erase_customer(STORE, "c1", ["aut_0", "aut_1"]) == (0, 0)


def test_an_erased_customers_send_records_stay_for_the_reports_and_never_send_again(world: World) -> None:
    ledger = DynamoSendLedger("SendsTable", world.dynamodb)
    sent = SendRecord("s" * 24, STORE, "campaign:spring", "m-77", "occ", State.SENDING)
    claimed = ledger.claim(sent, NOW, LEASE).record
    done = replace(claimed, state=State.SENT, sent_at=NOW, job='{"variables": {"order_id": "O-1"}}',
                   links=("https://dogday.example/p?u=1",), gateway_message_id="g-1")  # fmt: skip
    assert ledger.finish(done, NOW)
    in_flight = ledger.claim(replace(sent, send_id="f" * 24), NOW, LEASE).record  # an attempt under way
    records = ledger.customer_records(STORE, "m-77")
    assert sorted(r.send_id for r in records) == ["f" * 24, "s" * 24]
    for record in records:
        assert ledger.erase(record.send_id, NOW)
    assert ledger.customer_records(STORE, "m-77") == []
    kept = ledger.get("s" * 24)
    assert kept is not None
    assert (kept.state, kept.source, kept.sent_at) == (State.SENT, "campaign:spring", NOW)
    assert (kept.customer_id, kept.job, kept.links) == (ERASED_CUSTOMER, None, ())
    assert kept.gateway_message_id is None
    raw = world.dynamodb.get_item(TableName="SendsTable", Key={"pk": {"S": "s#" + "s" * 24}})["Item"]
    assert "m-77" not in str(raw) and "O-1" not in str(raw) and "erased" in raw and "occ" not in raw
    # The attempt that was under way cannot write the customer back; its retry finds the send done.
    assert not ledger.finish(replace(in_flight, state=State.SENT, sent_at=NOW), NOW)
    later = ledger.claim(replace(sent, send_id="f" * 24), NOW + 2 * LEASE, LEASE)
    assert later.status is ClaimStatus.DONE
    assert ledger.claim(sent, NOW + 2 * LEASE, LEASE).status is ClaimStatus.DONE
    assert not ledger.erase("x" * 24, NOW)  # gone (expired): nothing to do


def test_a_record_suppressed_for_want_of_a_profile_names_nobody(world: World) -> None:
    ledger = DynamoSendLedger("SendsTable", world.dynamodb)
    claimed = ledger.claim(SendRecord("n" * 24, STORE, "campaign:c1", "c1", "occ", State.SENDING), NOW, LEASE)
    assert ledger.finish(replace(claimed.record, state=State.SUPPRESSED, reasons=("no_profile",)), NOW)
    assert ledger.customer_records(STORE, "c1") == []


def test_the_erasure_record_names_nobody_and_counts_what_went(world: World) -> None:
    log = DynamoErasureLog("StoresTable", StoreKeys(world.pseudonym_key, world.kms), world.dynamodb)
    reference = log.reference(STORE, "m-77")
    assert reference == log.reference(STORE, "m-77") != log.reference("maple-goods", "m-77")
    assert len(reference) == 32 and log.erased_at(STORE, "m-77") is None
    log.begin(STORE, reference, "arn:aws:iam::123456789012:user/cs-agent", NOW)
    log.count(STORE, reference, {"profile": 1, "send_records": 3})
    log.count(STORE, reference, {"send_records": 2, "journey_steps": 0})
    erasure = log.finish(STORE, reference, "x", NOW + timedelta(seconds=1), renewed=False)
    assert (erasure.state, erasure.erased_at, erasure.requested_by) == (
        "erased",
        NOW,
        "arn:aws:iam::123456789012:user/cs-agent",
    )
    assert dict(erasure.removed) == {"profile": 1, "send_records": 5}
    assert log.erased_at(STORE, "m-77") == NOW
    items = world.dynamodb.scan(TableName="StoresTable")["Items"]
    deserialized = [{k: TypeDeserializer().deserialize(v) for k, v in i.items()} for i in items]
    assert len(deserialized) == 1 and "m-77" not in str(deserialized)
    renewed = log.finish(STORE, reference, "shopify:customers/redact", NOW + timedelta(days=1), renewed=True)
    assert (renewed.erased_at, renewed.requested_by) == (NOW + timedelta(days=1), "shopify:customers/redact")


def test_the_one_off_seals_every_plain_number_of_a_store_once(world: World) -> None:
    for n in range(3):
        world.dynamodb.put_item(TableName="ProfilesTable", Item=_plain_item(f"old{n}", f"+82102000000{n}"))
    profiles = world.profiles()
    _saved(profiles, Profile(STORE, "new", phone="+821099990000"))
    before = world.raw("new")
    assert profiles.seal_plain_phones(STORE) == 3
    assert profiles.seal_plain_phones(STORE) == 0
    assert world.raw("new") == before
    for n in range(3):
        raw = world.raw(f"old{n}")
        assert f"+82102000000{n}" not in str(raw) and raw["v"] == {"N": "1"}
        loaded = profiles.load(STORE, f"old{n}")
        assert loaded is not None and (loaded.phone, loaded.name) == (f"+82102000000{n}", "김하나")
    assert profiles.customers_with_phone(STORE, "+821020000001") == ["old1"]
