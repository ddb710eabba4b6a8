"""template.yaml deploys to a new AWS account as it is, and what an operator needs comes with it.

These read the template the way CloudFormation receives it (after the SAM transform,
`nudge_local.runtime.sam`) or as the local runtime resolves it, never by searching its text.
"""

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from nudge_local.runtime.sam import lint, translate
from nudge_local.runtime.template import _parameters, _Resolver, load_yaml

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"
RAW = load_yaml(TEMPLATE)
FUNCTIONS = sorted(k for k, v in RAW["Resources"].items() if v["Type"] == "AWS::Serverless::Function")


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    return translate(TEMPLATE)


def resolver(parameters: dict[str, str] | None = None) -> _Resolver:
    params = _parameters(RAW, parameters or {})
    return _Resolver(RAW, "ap-northeast-2", "123456789012", "nudge", None, params, ROOT)


def of_type(document: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in document["Resources"].items() if v["Type"] == kind}


def test_a_function_that_names_the_api_routing_to_it_is_caught_as_a_circular_reference() -> None:
    # What the tracking function's environment did before: cfn-lint on the SAM template passed it, the
    # deploy would not have.
    broken = json.loads(json.dumps(RAW))
    env = broken["Resources"]["TrackingFunction"]["Properties"]["Environment"]["Variables"]
    env["TRACKING_BASE_URL"] = {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    findings = lint(translate(broken))
    assert any(f.startswith("E3004") and "TrackingFunction" in f for f in findings), findings


def test_a_new_account_can_deploy_the_campaign_function() -> None:
    # A new account's concurrency quota is 10 and Lambda keeps 10 unreserved: reserving any fails the deploy.
    props = RAW["Resources"]["CampaignFunction"]["Properties"]
    assert "ReservedConcurrentExecutions" not in resolver().resolve(props)
    assert resolver({"CampaignRunConcurrency": "5"}).resolve(props)["ReservedConcurrentExecutions"] == "5"


def test_every_layer_is_built_for_the_functions_architecture() -> None:
    architectures = RAW["Globals"]["Function"]["Architectures"]
    for logical_id, layer in of_type(RAW, "AWS::Serverless::LayerVersion").items():
        assert layer["Properties"]["CompatibleArchitectures"] == architectures, logical_id
        assert [layer["Metadata"].get("BuildArchitecture")] == architectures, logical_id


def test_the_layer_ships_pinned_packages() -> None:
    requirements = (ROOT / "layers/dependencies/requirements.txt").read_text().splitlines()
    packages = [line for line in requirements if line.strip() and not line.startswith("#")]
    assert packages and all(re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9_.]+", p) for p in packages), packages


def test_every_function_logs_to_a_group_with_the_chosen_retention(translated: dict[str, Any]) -> None:
    groups = of_type(translated, "AWS::Logs::LogGroup").values()
    named = {g["Properties"]["LogGroupName"]["Fn::Sub"]: g["Properties"]["RetentionInDays"] for g in groups}
    assert named == {f"/aws/lambda/${{{f}}}": {"Ref": "LogRetentionDays"} for f in FUNCTIONS}
    assert RAW["Parameters"]["LogRetentionDays"]["Default"] == 30


def _alarmed(alarms: dict[str, dict[str, Any]], namespace: str, metric: str, dimension: str) -> set[Any]:
    out = set()
    for alarm in alarms.values():
        props = alarm["Properties"]
        if props.get("Namespace") == namespace and props.get("MetricName") == metric:
            out |= {json.dumps(d["Value"]) for d in props["Dimensions"] if d["Name"] == dimension}
    return out


def test_every_dead_letter_queue_and_every_function_has_an_alarm(translated: dict[str, Any]) -> None:
    alarms = of_type(translated, "AWS::CloudWatch::Alarm")
    queues = of_type(translated, "AWS::SQS::Queue")
    dead_letter = {
        props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in queues.values()
        if "RedrivePolicy" in (props := q["Properties"])
    } | {"ScheduleDeadLetterQueue"}
    depth = _alarmed(alarms, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName")
    assert depth == {json.dumps({"Fn::GetAtt": [q, "QueueName"]}) for q in dead_letter}
    for metric in ("Errors", "Throttles"):
        alarmed = _alarmed(alarms, "AWS/Lambda", metric, "FunctionName")
        assert alarmed == {json.dumps({"Ref": f}) for f in FUNCTIONS}, metric
    failure_rate = alarms["GatewayFailureRateAlarm"]["Properties"]["Metrics"]
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in failure_rate if "MetricStat" in m}
    assert names == {"Send_sent", "Send_failed"}


def test_alarms_reach_the_e_mail_only_when_one_is_given(translated: dict[str, Any]) -> None:
    topic = translated["Resources"]["AlarmTopic"]
    assert topic["Condition"] == "HasAlarmEmail"
    assert topic["Properties"]["Subscription"] == [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]
    for logical_id, alarm in of_type(translated, "AWS::CloudWatch::Alarm").items():
        actions = alarm["Properties"]["AlarmActions"]
        assert actions == {"Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}, (
            logical_id
        )
    assert resolver().condition("HasAlarmEmail") is False
    assert resolver({"AlarmEmail": "ops@dogday.example"}).condition("HasAlarmEmail") is True


def _emitted_metrics() -> set[tuple[str, str]]:
    """(metric, service) for every metric a function emits: its literal names, and the sender's and
    ingest's per-outcome ones. Powertools adds the `service` dimension from POWERTOOLS_SERVICE_NAME."""
    sending = (ROOT / "layers/core/python/nudge/sending/service.py").read_text()
    states = re.search(r"state: str  # (.+)", sending)
    assert states is not None
    dynamic = {
        'name=f"Send_{result.state}"': {f"Send_{s.strip()}" for s in states.group(1).split("|")},
        'name=f"Webhook{result.status.capitalize()}"': {
            f"Webhook{s}" for s in ("Applied", "Duplicate", "Ignored")
        },
    }
    out = set()
    for logical_id in FUNCTIONS:
        props = RAW["Resources"][logical_id]["Properties"]
        code = (ROOT / props["CodeUri"] / "app.py").read_text()
        service = props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        names = set(re.findall(r'add_metric\(\s*name="(\w+)"', code))
        for written, expanded in dynamic.items():
            if written in code:
                names |= expanded
        out |= {(name, service) for name in names}
    return out


def test_the_dashboard_shows_metrics_where_the_functions_emit_them() -> None:
    body = json.loads(RAW["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    shown = {(m[1], m[3]) for w in body["widgets"] for m in w["properties"]["metrics"] if m[0] == "Nudge"}
    assert shown and shown <= _emitted_metrics(), shown - _emitted_metrics()


def test_samconfig_deploys_to_seoul_acknowledging_the_roles_the_template_makes(
    translated: dict[str, Any],
) -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    assert config["default"]["global"]["parameters"]["region"] == "ap-northeast-2"
    roles = of_type(translated, "AWS::IAM::Role").values()
    assert roles  # each function's, and the scheduler's
    # CloudFormation refuses a stack that makes IAM roles unless the deploy says CAPABILITY_IAM, and
    # CAPABILITY_NAMED_IAM when a role has a name of its own.
    named = any("RoleName" in r["Properties"] for r in roles)
    expected = "CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM"
    assert config["default"]["deploy"]["parameters"]["capabilities"] == expected


def test_alarm_e_mails_can_be_published_to_their_topic(translated: dict[str, Any]) -> None:
    # CloudWatch cannot use SNS's AWS managed key (its key policy cannot grant cloudwatch.amazonaws.com):
    # a topic encrypted with it silently drops every alarm.
    topic = translated["Resources"]["AlarmTopic"]["Properties"]
    assert not str(topic.get("KmsMasterKeyId", "")).startswith("alias/aws/")
