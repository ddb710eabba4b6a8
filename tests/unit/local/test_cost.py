"""The cost model prices what the local runtime counted at list prices, split into ingestion and messaging."""

from collections import Counter
from pathlib import Path

import pytest

from nudge_local.bill import capacity, cost
from nudge_local.bill.counters import Counters, FunctionStats
from nudge_local.runtime.template import parse_template

from .conftest import indexed_table

TEMPLATE = parse_template(Path(__file__).resolve().parents[3] / "template.yaml")


def _counters() -> Counters:
    counters = Counters()
    ingest = FunctionStats()
    for _ in range(1000):
        ingest.record(99.2, failed=False)  # billed as 100 ms
    counters.invocations_by_label["IngestFunction"] = ingest
    counters.api_requests["IngestFunction"] = 1000
    counters.write_units["IngestFunction"] = 4000
    counters.read_units["IngestFunction"] = 1000
    counters.write_units["local"] = 1_000_000  # the harness's own writes are free
    counters.aws_calls_by_origin["scheduler"] = Counter({"scheduler:Invocation": 10, "sqs:SendMessage": 10})
    return counters


def test_every_counted_quantity_is_priced_at_list_price():
    bill = cost.bill(_counters(), TEMPLATE, log_bytes=0)
    memory_gb = TEMPLATE.functions["IngestFunction"].memory_mb / 1024
    assert bill.lines["Lambda requests"] == pytest.approx(1000 * 0.20 / 1e6)
    assert bill.lines["Lambda duration"] == pytest.approx(1000 * 0.100 * memory_gb * 0.0000133334)
    assert bill.lines["DynamoDB writes"] == pytest.approx(4000 * 0.625 / 1e6)
    assert bill.lines["DynamoDB reads"] == pytest.approx(1000 * 0.125 / 1e6)
    assert bill.lines["HTTP API requests"] == pytest.approx(1000 * 1.00 / 1e6)
    assert bill.lines["Scheduler invocations"] == pytest.approx(10 * 1.00 / 1e6)
    assert bill.lines["SQS requests"] == pytest.approx(10 * 0.40 / 1e6)


def test_ingestion_and_messaging_are_split_by_who_did_the_work():
    bill = cost.bill(_counters(), TEMPLATE, log_bytes=0)
    assert bill.messaging == pytest.approx((10 * 1.00 + 10 * 0.40) / 1e6)
    assert bill.ingestion + bill.messaging == pytest.approx(bill.total)


def test_work_set_off_by_the_events_queue_is_the_webhooks_and_admin_use_is_neither():
    counters = Counters()
    counters.write_units["AutomationFunction via EventsQueue"] = 1000  # triggers, exits, journeys started
    counters.write_units["AutomationFunction via AutomationSlotsQueue"] = 100  # due steps sent
    counters.write_units["SenderFunction via SendQueue"] = 10
    counters.read_units["AdminFunction"] = 8000  # a marketer reading reports
    bill = cost.bill(counters, TEMPLATE, log_bytes=0)
    assert bill.ingestion == pytest.approx(1000 * 0.625 / 1e6)
    assert bill.messaging == pytest.approx(110 * 0.625 / 1e6)
    assert bill.admin == pytest.approx(8000 * 0.125 / 1e6)
    assert bill.by_origin["AutomationFunction"] == pytest.approx(1100 * 0.625 / 1e6)


def test_the_daily_080_sync_is_upkeep_not_a_cost_per_message_or_webhook():
    counters = Counters()
    counters.aws_calls_by_origin["scheduler via OptOutSyncFunction"] = Counter({"scheduler:Invocation": 720})
    counters.read_units["OptOutSyncFunction"] = 720
    counters.aws_calls_by_origin["scheduler"] = Counter({"scheduler:Invocation": 30, "sqs:SendMessage": 30})
    bill = cost.bill(counters, TEMPLATE, log_bytes=0)
    assert bill.upkeep == pytest.approx(720 * 1.00 / 1e6 + 720 * 0.125 / 1e6)
    assert bill.messaging == pytest.approx(30 * 1.00 / 1e6 + 30 * 0.40 / 1e6)  # campaign runs on a queue
    assert bill.ingestion == 0


def test_the_hourly_cafe24_reconciliation_is_upkeep_and_what_it_recovers_is_ingestion():
    counters = Counters()
    hourly = Counter({"scheduler:Invocation": 720})
    counters.aws_calls_by_origin["scheduler via Cafe24ReconcileFunction"] = hourly
    counters.read_units["Cafe24ReconcileFunction"] = 720
    counters.write_units["AutomationFunction via EventsQueue"] = 10
    bill = cost.bill(counters, TEMPLATE, log_bytes=0)
    assert bill.upkeep == pytest.approx(720 * 1.00 / 1e6 + 720 * 0.125 / 1e6)
    assert bill.ingestion == pytest.approx(10 * 0.625 / 1e6)
    assert bill.messaging == 0


def test_logs_include_lambdas_own_lines_per_invocation():
    bill = cost.bill(_counters(), TEMPLATE, log_bytes=1024**3)
    expected_bytes = 1024**3 + 1000 * cost.LIST_PRICES.platform_log_bytes_per_invocation
    assert bill.lines["CloudWatch Logs"] == pytest.approx(expected_bytes / 1024**3 * 0.50)


def test_per_million_says_nothing_when_nothing_was_sent():
    assert cost.per_million(1.0, 0) is None
    lines = cost.render(cost.bill(_counters(), TEMPLATE, 0), messages_sent=0, webhooks_received=1000)
    assert any("no message sent" in line for line in lines)


def test_the_bill_says_what_a_real_gateways_answer_time_would_add_per_message():
    lines = cost.render(cost.bill(_counters(), TEMPLATE, 0), messages_sent=1000, webhooks_received=1000)
    [line] = [line for line in lines if "gateway's answer time" in line]
    sender_gb = TEMPLATE.functions["SenderFunction"].memory_mb / 1024
    expected = 0.1 * sender_gb * cost.LIST_PRICES.lambda_gb_second * 1e6  # 100 ms, a million sends
    assert f"US${expected:,.2f} per 1,000,000 messages" in line
    silent = cost.render(cost.bill(_counters(), TEMPLATE, 0), messages_sent=0, webhooks_received=1000)
    assert not any("gateway's answer time" in line for line in silent)


@pytest.mark.parametrize(
    ("operation", "params", "parsed", "units"),
    [
        ("GetItem", {"ConsistentRead": True}, {"Item": {"pk": {"S": "x" * 5000}}}, (2.0, 0.0)),
        ("GetItem", {}, {"Item": {"pk": {"S": "x"}}}, (0.5, 0.0)),
        ("PutItem", {"Item": {"pk": {"S": "x" * 1500}}}, {}, (0.0, 2.0)),
        ("UpdateItem", {}, {}, (0.0, 1.0)),
        (
            "TransactWriteItems",
            {"TransactItems": [{"Put": {"Item": {"pk": {"S": "a"}}}}, {"ConditionCheck": {}}]},
            {},
            (2.0, 2.0),
        ),
        ("Query", {}, {"Items": [{"pk": {"S": "x" * 3000}}, {"pk": {"S": "x" * 3000}}]}, (1.0, 0.0)),
    ],
)
def test_capacity_units_follow_dynamodbs_sizing_rules(operation, params, parsed, units):
    assert capacity.request_units(operation, params, parsed) == units


_BY_GROUP_ALL = capacity.IndexShape(("g",), "ALL")
_BY_GROUP_KEYS = capacity.IndexShape(("g",), "KEYS_ONLY")


@pytest.mark.parametrize(
    ("shape", "old", "new", "units"),
    [
        (_BY_GROUP_ALL, None, {"pk": {"S": "1"}, "g": {"S": "x"}}, 1),  # a new entry
        (_BY_GROUP_ALL, {"pk": {"S": "1"}}, {"pk": {"S": "1"}, "v": {"S": "a"}}, 0),  # not in the index
        (
            _BY_GROUP_ALL,
            {"pk": {"S": "1"}, "g": {"S": "x"}},
            {"pk": {"S": "1"}, "g": {"S": "x"}, "v": {"S": "a"}},
            1,
        ),
        (
            _BY_GROUP_KEYS,
            {"pk": {"S": "1"}, "g": {"S": "x"}},
            {"pk": {"S": "1"}, "g": {"S": "x"}, "v": {"S": "a"}},
            0,
        ),
        (
            _BY_GROUP_KEYS,
            {"pk": {"S": "1"}, "g": {"S": "x"}},
            {"pk": {"S": "1"}, "g": {"S": "y"}},
            2,
        ),  # key moved
        (_BY_GROUP_KEYS, {"pk": {"S": "1"}, "g": {"S": "x"}}, None, 1),  # deleted
    ],
)
def test_global_secondary_index_writes_follow_dynamodbs_rules(shape, old, new, units):
    assert capacity.index_write_units([shape], ("pk",), old, new) == units


def test_the_counters_bill_index_writes_of_the_emulated_tables(emulated_dynamodb):
    from nudge_local.bill import counters

    client = emulated_dynamodb
    indexed_table(client, "indexed", {"all": ([("g", "S")], "ALL"), "keys": ([("g", "S")], "KEYS_ONLY")})
    counted = Counters()
    counters.activate(counted)
    try:
        client.put_item(TableName="indexed", Item={"pk": {"S": "1"}, "g": {"S": "x"}})
        assert sum(counted.write_units.values()) == 3  # the table and both indexes
        client.update_item(
            TableName="indexed",
            Key={"pk": {"S": "1"}},
            UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": {"S": "b"}},
        )
        assert sum(counted.write_units.values()) == 5  # the table and the index that projects everything
    finally:
        counters.activate(None)


def test_a_projected_read_is_billed_for_the_whole_items_it_read(emulated_dynamodb):
    """DynamoDB bills a read by the size of the items read, whatever a ProjectionExpression returns."""
    from nudge_local.bill import counters

    client = emulated_dynamodb
    client.create_table(
        TableName="wide",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk")],
        BillingMode="PAY_PER_REQUEST",
    )
    for sk in ("a", "b"):  # 9 KB each: three read units strongly consistent, a small projection one
        client.put_item(TableName="wide", Item={"pk": {"S": "p"}, "sk": {"S": sk}, "big": {"S": "x" * 9000}})
    key = {"pk": {"S": "p"}, "sk": {"S": "a"}}
    reads = [
        lambda: client.get_item(TableName="wide", Key=key, ProjectionExpression="sk", ConsistentRead=True),
        lambda: client.batch_get_item(
            RequestItems={
                "wide": {
                    "Keys": [key, {**key, "sk": {"S": "b"}}, {**key, "sk": {"S": "none"}}],
                    "ProjectionExpression": "sk",
                    "ConsistentRead": True,
                }
            }
        ),
        lambda: client.query(
            TableName="wide",
            KeyConditionExpression="#p = :p",
            ExpressionAttributeNames={"#p": "pk"},
            ExpressionAttributeValues={":p": {"S": "p"}},
            ProjectionExpression="sk",
            ConsistentRead=True,
        ),
    ]
    billed = []
    for read in reads:
        counted = Counters()
        counters.activate(counted)
        try:
            read()
        finally:
            counters.activate(None)
        billed.append(sum(counted.read_units.values()))
    assert billed == [3, 6, 5]  # one item; two items of 3 units; a Query's 18 KB together
    # An update makes the item small: the next projected read costs what it is now.
    client.update_item(
        TableName="wide",
        Key=key,
        UpdateExpression="SET big = :s",
        ExpressionAttributeValues={":s": {"S": "x"}},
    )
    counted = Counters()
    counters.activate(counted)
    try:
        reads[0]()
    finally:
        counters.activate(None)
    assert sum(counted.read_units.values()) == 1


@pytest.mark.parametrize(
    "number", ["0", "7", "100", "-0.050", "1773792000", "12.3400", "0.0001", "99999.99", "1E+5", "-12e-3"]
)
def test_a_number_in_dynamodb_json_is_sized_by_its_significant_digits(number: str) -> None:
    """Read from its text as from the Decimal the developer guide's rule is written for."""
    from decimal import Decimal

    from nudge_local.bill.capacity import _number_size, typed_value_size

    assert typed_value_size({"N": number}) == _number_size(Decimal(number))
