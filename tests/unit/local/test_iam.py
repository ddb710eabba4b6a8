"""The local runtime enforces each function's IAM policy (nudge_local/runtime/iam.py): IAM's evaluation of a
role's statements, the mapping of a request to the actions and resources AWS authorizes it as, SAM's expansion
of the template's policies, and refusals shaped like AWS's for functions and for the pumps acting as AWS."""

import textwrap
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from nudge_local.bill import counters
from nudge_local.emulation import aws, fast_calls
from nudge_local.runtime import iam
from nudge_local.runtime.iam import Role, Statement, UnknownOperation, requested
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.template import parse_template
from tests.unit.local.conftest import START, TEMPLATE

R, A = "ap-northeast-2", "123456789012"
TABLE = f"arn:aws:dynamodb:{R}:{A}:table/t"


def role(*statements: dict[str, Any]) -> Role:
    parsed = tuple(Statement.parse(s, f"s{n}") for n, s in enumerate(statements))
    return Role("R", "r", f"arn:aws:iam::{A}:role/r", "Fn", parsed)


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# --------------------------------------------------------------------------- evaluation


def test_an_allow_allows_and_anything_else_is_implicitly_denied() -> None:
    r = role(allow(["dynamodb:GetItem", "dynamodb:Query"], TABLE))
    assert r.decide("dynamodb:GetItem", TABLE).allowed
    assert not r.decide("dynamodb:PutItem", TABLE).allowed
    assert not r.decide("dynamodb:GetItem", TABLE + "2").allowed
    assert not r.decide("dynamodb:Query", TABLE + "/index/by_phone").allowed  # an index is its own resource


def test_an_explicit_deny_wins_over_any_allow() -> None:
    r = role(allow("dynamodb:*", "*"), {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": TABLE})
    decision = r.decide("dynamodb:DeleteItem", TABLE)
    assert not decision.allowed and decision.explicit_deny
    assert r.decide("dynamodb:PutItem", TABLE).allowed


def test_wildcards_and_case() -> None:
    r = role(
        allow("SQS:Send*", f"arn:aws:sqs:{R}:{A}:q-?"),
        allow("ssm:GetParameter", "arn:aws:ssm:*:*:parameter/a/*"),
    )
    assert r.decide("sqs:SendMessage", f"arn:aws:sqs:{R}:{A}:q-1").allowed  # actions ignore case
    assert not r.decide("sqs:SendMessage", f"arn:aws:sqs:{R}:{A}:q-12").allowed  # ? is one character
    assert not r.decide("sqs:SendMessage", f"arn:aws:sqs:{R}:{A}:Q-1").allowed  # ARNs do not
    assert r.decide("ssm:GetParameter", f"arn:aws:ssm:{R}:{A}:parameter/a/b/c").allowed  # * spans slashes
    assert not r.decide("ssm:GetParameter", f"arn:aws:ssm:{R}:{A}:parameter/ab").allowed


def test_a_wildcard_stays_in_its_arn_segment_unless_it_ends_it() -> None:
    r = role(
        allow("lambda:InvokeFunction", f"arn:aws:lambda:{R}:{A}:function:nudge-*"),
        allow("sqs:SendMessage", f"arn:aws:sqs:{R}:*-east:q"),
        allow("sqs:DeleteMessage", f"arn:aws:sqs:{R}:{A}:a?b"),
    )
    # A * that ends a segment runs on past colons: a qualified function ARN matches.
    assert r.decide("lambda:InvokeFunction", f"arn:aws:lambda:{R}:{A}:function:nudge-Sender:live").allowed
    # One inside a segment does not cross a colon, nor does ?.
    assert not r.decide("sqs:SendMessage", f"arn:aws:sqs:{R}:{A}:x:y-east:q").allowed
    assert r.decide("sqs:SendMessage", f"arn:aws:sqs:{R}:us-east:q").allowed
    assert not r.decide("sqs:DeleteMessage", f"arn:aws:sqs:{R}:{A}:a:b").allowed


def test_not_action_and_not_resource() -> None:
    r = role(
        {"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": TABLE},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "NotResource": f"arn:aws:sqs:{R}:{A}:secret"},
    )
    assert r.decide("dynamodb:PutItem", TABLE).allowed
    assert not r.decide("dynamodb:DeleteItem", TABLE).allowed
    assert r.decide("sqs:SendMessage", f"arn:aws:sqs:{R}:{A}:open").allowed
    assert not r.decide("sqs:SendMessage", f"arn:aws:sqs:{R}:{A}:secret").allowed


def test_conditions_are_never_more_forgiving_than_aws() -> None:
    condition = {"Condition": {"StringEquals": {"aws:SourceAccount": A}}}
    assert not role(allow("dynamodb:GetItem", TABLE, **condition)).decide("dynamodb:GetItem", TABLE).allowed
    denied = role(
        allow("dynamodb:*", TABLE),
        {"Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "*", **condition},
    )
    assert not denied.decide("dynamodb:GetItem", TABLE).allowed


def test_a_decision_names_the_grants_that_allowed_it() -> None:
    r = role(allow(["dynamodb:GetItem", "dynamodb:PutItem"], [TABLE, TABLE + "/index/*"], Sid="Items"))
    (grant,) = r.decide("dynamodb:GetItem", TABLE + "/index/i").grants
    assert (grant.principal, grant.source, grant.action, grant.resource) == (
        "Fn", "Items", "dynamodb:GetItem", TABLE + "/index/*",
    )  # fmt: skip
    assert len(r.grants()) == 4


# --------------------------------------------------------------------------- requests


def test_dynamodb_requests_are_authorized_per_table_and_index() -> None:
    assert requested("dynamodb", "GetItem", {"TableName": "t", "Key": {}}, R, A) == [
        ("dynamodb:GetItem", TABLE)
    ]
    assert requested("dynamodb", "Query", {"TableName": "t", "IndexName": "by_phone"}, R, A) == [
        ("dynamodb:Query", TABLE + "/index/by_phone")
    ]
    assert requested("dynamodb", "PutItem", {"TableName": TABLE + "x", "Item": {}}, R, A) == [
        ("dynamodb:PutItem", TABLE + "x")  # a table's ARN in place of its name
    ]
    batch = requested("dynamodb", "BatchGetItem", {"RequestItems": {"t": {}, "u": {}}}, R, A)
    assert batch == [("dynamodb:BatchGetItem", TABLE), ("dynamodb:BatchGetItem", TABLE[:-1] + "u")]
    writes = requested("dynamodb", "BatchWriteItem", {"RequestItems": {"t": []}}, R, A)
    assert writes == [("dynamodb:BatchWriteItem", TABLE)]


def test_a_transaction_is_authorized_as_its_items_actions() -> None:
    items = [
        {"Put": {"TableName": "t"}},
        {"Update": {"TableName": "u"}},
        {"Delete": {"TableName": "t"}},
        {"ConditionCheck": {"TableName": "u"}},
    ]
    assert [a for a, _ in requested("dynamodb", "TransactWriteItems", {"TransactItems": items}, R, A)] == [
        "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
    ]  # fmt: skip
    gets = {"TransactItems": [{"Get": {"TableName": "t"}}]}
    assert requested("dynamodb", "TransactGetItems", gets, R, A) == [("dynamodb:GetItem", TABLE)]


def test_sqs_requests_are_authorized_on_the_queue_arn_and_batches_as_their_single_action() -> None:
    queue = f"arn:aws:sqs:{R}:{A}:q"
    for url in (f"https://sqs.{R}.amazonaws.com/{A}/q", f"http://127.0.0.1:5000/{A}/q"):
        assert requested("sqs", "SendMessageBatch", {"QueueUrl": url}, R, A) == [("sqs:SendMessage", queue)]
    assert requested("sqs", "DeleteMessageBatch", {"QueueUrl": f"http://h/{A}/q"}, R, A) == [
        ("sqs:DeleteMessage", queue)
    ]


def test_ssm_parameter_names_become_one_slash_arns() -> None:
    expected = f"arn:aws:ssm:{R}:{A}:parameter/nudge/stores/s/key"
    assert requested("ssm", "GetParameter", {"Name": "/nudge/stores/s/key"}, R, A) == [
        ("ssm:GetParameter", expected)
    ]
    assert requested("ssm", "GetParameter", {"Name": "nudge/stores/s/key:3"}, R, A) == [
        ("ssm:GetParameter", expected)
    ]


def test_a_schedule_is_authorized_in_its_group_and_its_target_role_must_be_passable() -> None:
    role_arn = f"arn:aws:iam::{A}:role/scheduler"
    create = {"Name": "slot-1", "GroupName": "g", "Target": {"Arn": "x", "RoleArn": role_arn}}
    assert requested("scheduler", "CreateSchedule", create, R, A) == [
        ("scheduler:CreateSchedule", f"arn:aws:scheduler:{R}:{A}:schedule/g/slot-1"),
        ("iam:PassRole", role_arn),
    ]
    assert requested("scheduler", "DeleteSchedule", {"Name": "n"}, R, A) == [
        ("scheduler:DeleteSchedule", f"arn:aws:scheduler:{R}:{A}:schedule/default/n")
    ]


def test_reading_a_principals_tags_is_authorized_on_the_user_or_the_role() -> None:
    assert requested("iam", "ListUserTags", {"UserName": "local-admin"}, R, A) == [
        ("iam:ListUserTags", f"arn:aws:iam::{A}:user/local-admin")
    ]
    assert requested("iam", "ListRoleTags", {"RoleName": "local-store-dogday-mall"}, R, A) == [
        ("iam:ListRoleTags", f"arn:aws:iam::{A}:role/local-store-dogday-mall")
    ]
    with pytest.raises(UnknownOperation):
        requested("iam", "TagRole", {"RoleName": "r", "Tags": []}, R, A)


def test_an_operation_the_mapping_does_not_know_is_not_guessed() -> None:
    with pytest.raises(UnknownOperation):
        requested("dynamodb", "DeleteTable", {"TableName": "t"}, R, A)
    with pytest.raises(UnknownOperation):
        requested("ssm", "DescribeParameters", {}, R, A)


# --------------------------------------------------------------------------- SAM's expansion


SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: { Runtime: python3.13, Tracing: Active }
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Policies:
        - DynamoDBCrudPolicy: { TableName: !Ref Items }
        - SQSSendMessagePolicy: { QueueName: !GetAtt Out.QueueName }
      Events:
        Work: { Type: SQS, Properties: { Queue: !GetAtt In.Arn } }
        Nightly: { Type: ScheduleV2, Properties: { ScheduleExpression: "cron(0 2 * * ? *)" } }
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{ AttributeName: pk, AttributeType: S }]
      KeySchema: [{ AttributeName: pk, KeyType: HASH }]
  In: { Type: AWS::SQS::Queue }
  Out: { Type: AWS::SQS::Queue }
"""


def test_sam_policy_templates_and_the_policies_sam_adds_become_the_functions_role(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(SAM))
    policies = iam.load(parse_template(path))
    fn = policies.function_principal("Fn").role
    assert fn is not None and fn.name == "nudge-local-FnRole"
    table = f"arn:aws:dynamodb:{R}:{A}:table/nudge-local-Items"
    assert fn.decide("dynamodb:Query", table + "/index/any").allowed  # DynamoDBCrudPolicy
    assert fn.decide("dynamodb:BatchWriteItem", table).allowed
    assert not fn.decide("dynamodb:DeleteTable", table).allowed
    assert fn.decide(
        "sqs:SendMessage", f"arn:aws:sqs:{R}:{A}:nudge-local-Out"
    ).allowed  # SQSSendMessagePolicy
    assert not fn.decide("sqs:SendMessage", f"arn:aws:sqs:{R}:{A}:nudge-local-In").allowed
    # The SQS event's poller permissions, AWSLambdaBasicExecutionRole and X-Ray (Tracing: Active).
    assert fn.decide("sqs:ReceiveMessage", f"arn:aws:sqs:{R}:{A}:nudge-local-In").allowed
    assert (
        fn.decide("logs:PutLogEvents", "arn:aws:logs:x").allowed
        and fn.decide("xray:PutTraceSegments", "*").allowed
    )
    # The ScheduleV2 event's own role may invoke the function and nothing else.
    function_arn = f"arn:aws:lambda:{R}:{A}:function:nudge-local-Fn"
    scheduler_role = policies.schedule_roles[(function_arn, "cron(0 2 * * ? *)")]
    invoker = policies.role_principal(scheduler_role, "scheduler").role
    assert invoker is not None and invoker.decide("lambda:InvokeFunction", function_arn).allowed
    assert not invoker.decide("lambda:InvokeFunction", function_arn + "-other").allowed


def test_the_project_template_expands_to_one_role_per_function_and_the_schedulers() -> None:
    policies = iam.load(parse_template(Path(__file__).resolve().parents[3] / "template.yaml"))
    functions = {role.principal for role in policies.roles.values()}
    assert {"IngestFunction", "AdminFunction", "SenderFunction", "SchedulerRole"} <= functions
    assert policies.notes == []  # every managed policy SAM attached is known here


# --------------------------------------------------------------------------- refusals at run time


def _as(function: str) -> Any:
    return counters.origin(function)


def test_a_function_is_refused_what_its_role_does_not_allow_as_aws_refuses_it(runtime: LocalRuntime) -> None:
    dynamodb = runtime.client("dynamodb")
    table = runtime.table_name("ItemsTable")
    with _as("WorkerFunction"), pytest.raises(ClientError) as raised:
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "b"}})
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    who = f"arn:aws:sts::{A}:assumed-role/nudge-local-WorkerFunctionRole/nudge-local-WorkerFunction"
    assert error["Message"] == (
        f"User: {who} is not authorized to perform: dynamodb:PutItem on resource: "
        f"arn:aws:dynamodb:{R}:{A}:table/{table} because no identity-based policy allows the "
        "dynamodb:PutItem action"
    )
    assert dynamodb.scan(TableName=table)["Count"] == 0  # nothing was written; the harness is not checked
    assert "dynamodb:PutItem" not in runtime.counters.aws_calls  # refused before it was sent (or billed)


def test_sqs_refuses_with_its_own_code(runtime: LocalRuntime) -> None:
    with _as("ApiFunction"), pytest.raises(ClientError) as raised:
        runtime.client("sqs").send_message(QueueUrl=runtime.queue_url("WorkQueue"), MessageBody="x")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert "sqs:sendmessage on resource: arn:aws:sqs:" in raised.value.response["Error"]["Message"]


def test_the_check_comes_before_the_fast_path_and_botocores_full_path_alike(runtime: LocalRuntime) -> None:
    full = boto3.client("dynamodb", region_name=R)
    full.meta.events.unregister("before-call.dynamodb", fast_calls.answer)
    for client in (runtime.client("dynamodb"), full):
        with _as("TickFunction"), pytest.raises(ClientError) as raised:
            client.get_item(
                TableName=runtime.table_name("ItemsTable"), Key={"pk": {"S": "a"}, "sk": {"S": "b"}}
            )
        assert raised.value.response["Error"]["Code"] == "AccessDeniedException"


def test_an_unknown_operation_or_an_unknown_function_is_refused(runtime: LocalRuntime) -> None:
    with _as("ApiFunction"), pytest.raises(ClientError) as raised:
        runtime.client("ssm").describe_parameters()
    assert "does not know which IAM actions" in raised.value.response["Error"]["Message"]
    with _as("NoSuchFunction"), pytest.raises(ClientError) as raised:
        runtime.client("sqs").send_message(QueueUrl=runtime.queue_url("WorkQueue"), MessageBody="x")
    assert "NoSuchFunction is not a function of template.yaml" in raised.value.response["Error"]["Message"]


def test_the_event_source_mapping_polls_with_its_functions_role(runtime: LocalRuntime) -> None:
    runtime.client("sqs").send_message(QueueUrl=runtime.queue_url("WorkQueue"), MessageBody="hi")
    runtime.run_until_idle()
    assert runtime.queue_depth("WorkQueue") == 0
    used = {(g.principal, g.source, g.action) for g in iam.used(TEMPLATE)}
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert ("WorkerFunction", "AWSLambdaSQSQueueExecutionRole", action) in used
    assert ("WorkerFunction", "AWSLambdaBasicExecutionRole", "logs:PutLogEvents") in used  # Lambda's logs


def _schedule(runtime: LocalRuntime, name: str, target: dict[str, Any]) -> None:
    """A one-time schedule at 09:30 (Seoul) today, delivered once with no retry."""
    runtime.client("scheduler").create_schedule(
        Name=name,
        GroupName=runtime.schedule_group_name("Slots"),
        ScheduleExpression="at(2026-03-20T09:30:00)",
        ScheduleExpressionTimezone="Asia/Seoul",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Input": "{}", "RetryPolicy": {"MaximumRetryAttempts": 0}, **target},
    )


def test_a_schedule_whose_role_may_not_deliver_is_dead_lettered_or_lost(runtime: LocalRuntime) -> None:
    worker_role = f"arn:aws:iam::{A}:role/nudge-local-WorkerFunctionRole"  # no sqs:SendMessage
    for name, role_arn in (("wrong-role", worker_role), ("no-role", f"arn:aws:iam::{A}:role/none")):
        dead_letters = {"Arn": runtime.queue_arn("ScheduleDeadLetterQueue")}
        target = {
            "Arn": runtime.queue_arn("TargetQueue"),
            "RoleArn": role_arn,
            "DeadLetterConfig": dead_letters,
        }
        _schedule(runtime, name, target)
    runtime.advance("PT1H")
    outcomes = {f.schedule_arn.rsplit("/", 1)[-1]: (f.outcome, f.error) for f in runtime.scheduler.firings}
    # Neither role may send to the dead-letter queue either: the events are lost, as in AWS.
    assert outcomes == {
        "wrong-role": ("dropped", "AccessDenied; dead-letter queue: AccessDenied"),
        "no-role": ("dropped", "AccessDenied; dead-letter queue: AccessDenied"),
    }
    assert runtime.queue_depth("TargetQueue") == 0


def test_scheduler_invokes_a_function_only_with_lambda_invoke_function(runtime: LocalRuntime) -> None:
    # A role that may not invoke this function: the invocation is refused, the function never runs.
    worker_role = f"arn:aws:iam::{A}:role/nudge-local-WorkerFunctionRole"
    target = {"Arn": runtime.function_arn("TickFunction"), "RoleArn": worker_role, "Input": '{"kind": "t"}'}
    _schedule(runtime, "tick", target)
    runtime.advance("PT1H")
    (firing,) = [f for f in runtime.scheduler.firings if f.schedule_arn.endswith("/tick")]
    assert (firing.outcome, firing.error) == ("dropped", "AccessDeniedException")
    assert not [e for e, _ in runtime.functions.module("TickFunction").RECEIVED if e.get("kind") == "t"]


def test_the_moto_server_mode_is_checked_too() -> None:
    with LocalRuntime(TEMPLATE, start=START, aws_server=True) as runtime:
        assert runtime.endpoint_url
        with _as("WorkerFunction"), pytest.raises(ClientError) as raised:
            aws.client("dynamodb").get_item(
                TableName=runtime.table_name("ItemsTable"), Key={"pk": {"S": "a"}, "sk": {"S": "b"}}
            )
        assert raised.value.response["Error"]["Code"] == "AccessDeniedException"


def test_the_grants_no_request_used_are_listed_per_function(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(SAM))
    policies = iam.load(parse_template(path))
    table = f"arn:aws:dynamodb:{R}:{A}:table/nudge-local-Items"
    used = f"  dynamodb:GetItem on {table}  [DynamoDBCrudPolicy #1]"
    before = iam.unused_report(path)
    assert before[0] == "Fn:" and used in before
    assert "AWSXrayWriteOnlyAccess (AWS managed): xray:GetSamplingRules on *, unused by Fn" in before
    policies.decide(policies.function_principal("Fn"), "dynamodb:GetItem", table)
    after = iam.unused_report(path)
    assert used not in after and len(after) == len(before) - 1
