"""template.yaml is the single source: what the local runtime creates and runs is read from it."""

from pathlib import Path

import pytest

from nudge_local.runtime.template import TemplateError, load_yaml, parse_template

from .conftest import TEMPLATE

REAL = Path(__file__).resolve().parents[3] / "template.yaml"
ENDPOINT = "http://127.0.0.1:5000"


@pytest.fixture(scope="module")
def real():
    return parse_template(REAL, endpoint_url=ENDPOINT)


def test_short_tags_load_as_intrinsic_functions():
    raw = load_yaml(REAL)
    env = raw["Globals"]["Function"]["Environment"]["Variables"]
    assert env["PROFILES_TABLE"] == {"Ref": "ProfilesTable"}
    assert raw["Outputs"]["SchedulerRoleArn"]["Value"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}


def test_real_template_tables_queues_and_schedule_group(real):
    assert set(real.tables) == {
        "ProfilesTable",
        "EventsTable",
        "StoresTable",
        "JourneysTable",
        "SendsTable",
        "ProductsTable",
    }
    profiles = real.tables["ProfilesTable"]
    assert profiles.name == "nudge-local-ProfilesTable"
    assert profiles.arn == "arn:aws:dynamodb:ap-northeast-2:123456789012:table/nudge-local-ProfilesTable"
    assert profiles.properties["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    events = real.queues["EventsQueue"]
    assert events.url == f"{ENDPOINT}/123456789012/nudge-local-EventsQueue"
    assert events.dead_letter_arn == real.queues["EventsDeadLetterQueue"].arn
    assert events.max_receive_count == 5
    assert real.schedule_groups["ScheduleGroup"].name == "nudge-local-slots"


def test_real_template_function_environment_is_resolved(real):
    ingest = real.functions["IngestFunction"]
    assert ingest.code_uri == REAL.parent / "functions" / "ingest"
    assert ingest.module_path.name == "app.py" and ingest.handler_name == "lambda_handler"
    assert (ingest.memory_mb, ingest.timeout_s) == (512, 10)
    env = ingest.environment
    assert env["PROFILES_TABLE"] == real.tables["ProfilesTable"].name
    assert env["EVENTS_QUEUE_URL"] == real.queues["EventsQueue"].url
    assert env["STORE_SECRETS_PATH"] == "/nudge/stores"  # a Parameter's Default
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert env["POWERTOOLS_SERVICE_NAME"] == "ingest"  # the function's own variables merge with Globals
    assert real.functions["CollectFunction"].environment["POWERTOOLS_SERVICE_NAME"] == "collect"
    assert REAL.parent / "layers" / "core" / "python" in ingest.layers


def test_real_template_routes(real):
    keys = {(r.route_key, r.function) for r in real.routes}
    assert ("POST /webhooks/{platform}/{store_id}", "IngestFunction") in keys
    assert ("POST /collect/{store_id}", "CollectFunction") in keys
    assert ("OPTIONS /collect/{store_id}", "CollectFunction") in keys


def test_parameters_can_be_overridden(tmp_path):
    template = parse_template(REAL, parameters={"StoreSecretsPath": "/elsewhere"})
    assert template.functions["IngestFunction"].environment["STORE_SECRETS_PATH"] == "/elsewhere"


def test_fixture_template_intrinsics_event_sources_and_schedules():
    template = parse_template(TEMPLATE, endpoint_url=ENDPOINT)
    env = template.functions["ApiFunction"].environment
    assert env["ITEMS_TABLE"] == "nudge-local-ItemsTable"
    assert env["WORK_QUEUE_ARN"] == "arn:aws:sqs:ap-northeast-2:123456789012:nudge-local-WorkQueue"
    assert env["WHERE"] == "ap-northeast-2/123456789012/nudge-local"
    assert env["MODE"] == "on-my-machine"
    assert env["GROUP"] == "nudge-local-slots"
    (source,) = template.sqs_sources
    assert (source.function, source.queue, source.batch_size) == ("WorkerFunction", "WorkQueue", 5)
    assert source.report_batch_item_failures
    (nightly,) = template.schedules
    assert (nightly.expression, nightly.timezone, nightly.function) == (
        "cron(0 2 * * ? *)",
        "Asia/Seoul",
        "TickFunction",
    )
    assert {r.route_key for r in template.routes} >= {"GET /hello/{name}", "ANY /files/{path+}"}


def test_unresolvable_reference_is_an_error(tmp_path):
    bad = tmp_path / "template.yaml"
    bad.write_text(
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Handler: app.h\n      Environment:\n        Variables:\n          X: !Ref Missing\n"
    )
    with pytest.raises(TemplateError, match="Missing"):
        parse_template(bad)
