"""The real template.yaml on the local runtime: a storefront webhook goes through API Gateway's event,
the real IngestFunction, DynamoDB and SQS, and the runtime counts what it cost."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from nudge_local.runtime.runtime import LocalRuntime

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 3, 16, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))
CAFE24 = {"content-type": "application/json", "x-api-key": "local-cafe24-app-key"}


@pytest.fixture(scope="module")
def runtime():
    if not (ROOT / "functions" / "ingest" / "app.py").is_file():
        pytest.skip("IngestFunction is not written yet")
    with LocalRuntime(ROOT / "template.yaml", start=START) as rt:
        yield rt


def test_webhook_through_the_real_ingest_function(runtime):
    body = b'{"event_no": 90143, "resource": {"mall_id": "dogdaymall", "member_id": "e2e-member"}}'
    result = runtime.http("POST", "/webhooks/cafe24/dogday-mall", CAFE24, body)
    assert result.status == 200, result.body
    assert runtime.counters.functions["IngestFunction"].invocations == 1
    calls = runtime.counters.aws_calls_by_origin["IngestFunction"]
    assert calls["dynamodb:GetItem"] >= 1
    assert not any(call.startswith("scheduler:") for call in calls)


def test_unknown_route_and_refused_store(runtime):
    assert runtime.http("GET", "/webhooks").status == 404
    refused = runtime.http("POST", "/webhooks/cafe24/no-such-store", CAFE24, b'{"event_no": 90143}')
    assert 400 <= refused.status < 500


def test_clock_moves_and_pumps_run_on_the_real_template(runtime):
    moved = runtime.http("POST", "/_local/clock", {}, '{"advance": "P1D"}')
    assert moved.status == 200
    assert moved.json()["now"] == "2026-03-17T00:00:00+00:00"


def test_the_cost_of_a_webhook_is_counted_from_what_it_did(runtime):
    """A marketer's engineer reads the cost model: one webhook = one HTTP API request, one Lambda
    invocation, the DynamoDB units of its reads and transactional writes, all on the ingestion side."""
    from nudge_local.bill import cost

    runtime.counters.reset()
    body = b'{"event_no": 90143, "resource": {"mall_id": "dogdaymall", "member_id": "cost-member"}}'
    assert runtime.http("POST", "/webhooks/cafe24/dogday-mall", CAFE24, body).status == 200
    counters = runtime.counters
    assert counters.api_requests == {"IngestFunction": 1}
    reads, writes = counters.billed_units()
    # Two transactional puts (delivery record and profile) are billed double: at least 4 write units.
    assert writes >= 4
    assert reads >= 0.5
    bill = cost.bill(counters, runtime.template, log_bytes=0)
    assert bill.messaging == 0
    assert bill.ingestion == pytest.approx(bill.total)
    assert bill.lines["HTTP API requests"] == pytest.approx(1.00 / 1e6)
    assert bill.lines["DynamoDB writes"] == pytest.approx(writes * 0.625 / 1e6)
    assert cost.per_million(bill.ingestion, 1) == pytest.approx(bill.total * 1e6)
