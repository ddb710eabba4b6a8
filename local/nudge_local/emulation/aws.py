"""The emulated AWS (moto), and the template's resources created in it.

Two ways to reach it:
- in-process (the default): moto answers boto3's requests inside botocore, before anything goes on the
  wire. A request costs about a third of what it costs over HTTP, which is most of a demo month's time.
- server (`nudge local serve`): an embedded moto server on 127.0.0.1, so the AWS CLI can look inside
  while the local API runs. One server per process, not per runtime: Nudge's adapters cache their boto3
  clients (`functools.cache`), so the endpoint they were built for must stay valid for the life of the
  process. A new runtime resets the server's state instead (`POST /moto-api/reset`).
"""

import functools
import json
import logging
import os
import threading
import urllib.request
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.server import ThreadedMotoServer

from nudge_local.bill import counters
from nudge_local.emulation import chaos, speedups
from nudge_local.runtime import iam
from nudge_local.runtime.template import Template

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-northeast-2",
    "AWS_REGION": "ap-northeast-2",
}
# Profiles and shared config of the developer's machine must not leak into the emulation.
_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")

_lock = threading.Lock()
_server: ThreadedMotoServer | None = None
_endpoint: str | None = None
_in_process: Any = None  # moto's mock while an in-process runtime is open

# Not speed-ups: installed at import, whatever NUDGE_LOCAL_PLAIN_MOTO says, so that no boto3 client (each
# copies the hooks registered when it is made) escapes IAM enforcement, the counters or the crash drills.
iam.install_hooks()
counters.install_hooks()
chaos.install_hooks()


# moto serves through werkzeug, which would log every request of every handler to stderr.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def start_server() -> str:
    """Start the process's moto server (once) on 127.0.0.1 and a free port; point boto3 at it.

    Returns the endpoint. `saved_environment()` before and `restore_environment()` after let a caller
    (LocalRuntime) put the process's AWS settings back when it is done."""
    global _server, _endpoint
    speedups.install()
    with _lock:
        if _server is None:
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            _server, _endpoint = server, f"http://{host}:{port}"
        assert _endpoint is not None
        for name in _UNSET:
            os.environ.pop(name, None)
        os.environ.update(AWS_ENV)
        os.environ["AWS_ENDPOINT_URL"] = _endpoint
        return _endpoint


def start_in_process() -> None:
    """Answer boto3's requests in this process until `stop_in_process()` (which forgets every resource)."""
    global _in_process
    speedups.install()
    with _lock:
        if _in_process is None:
            _in_process = mock_aws()
            _in_process.start()
        for name in (*_UNSET, "AWS_ENDPOINT_URL"):
            os.environ.pop(name, None)
        os.environ.update(AWS_ENV)


def stop_in_process() -> None:
    global _in_process
    with _lock:
        if _in_process is not None:
            _in_process.stop()
            _in_process = None


def saved_environment() -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in (*AWS_ENV, *_UNSET, "AWS_ENDPOINT_URL")}


def restore_environment(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def queue_base(region: str) -> str:
    """What moto's queue URLs start with: the server's endpoint, or SQS's own host in-process."""
    if _in_process is None and _endpoint is not None:
        return _endpoint
    return f"https://sqs.{region}.amazonaws.com"


def reset_server() -> None:
    """Forget every table, queue and schedule (moto's own reset endpoint)."""
    if _endpoint is None or _in_process is not None:
        return
    request = urllib.request.Request(f"{_endpoint}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def client(service: str) -> Any:
    """A client of the emulated service. Built once per service and endpoint: creating a boto3 client
    costs milliseconds, and the pumps ask for one on every poll."""
    return _client(service, None if _in_process is not None else _endpoint)


@functools.cache
def _client(service: str, endpoint: str | None) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=AWS_ENV["AWS_DEFAULT_REGION"])


def _exists(error: ClientError, *codes: str) -> bool:
    return error.response.get("Error", {}).get("Code") in codes


def _create_table(dynamodb: Any, name: str, props: dict[str, Any]) -> None:
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if args["BillingMode"] == "PROVISIONED":
        throughput = props.get("ProvisionedThroughput") or {}
        args["ProvisionedThroughput"] = {
            "ReadCapacityUnits": int(throughput.get("ReadCapacityUnits", 5)),
            "WriteCapacityUnits": int(throughput.get("WriteCapacityUnits", 5)),
        }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification"):
        if props.get(key):
            args[key] = props[key]
    if "StreamSpecification" in args:
        args["StreamSpecification"] = {"StreamEnabled": True, **args["StreamSpecification"]}
    try:
        dynamodb.create_table(**args)
    except ClientError as error:
        if not _exists(error, "ResourceInUseException"):
            raise
    ttl = props.get("TimeToLiveSpecification") or {}
    if ttl.get("Enabled") in (True, "true"):
        # Stored only: moto never expires items (see domain/aws-serverless.md §4).
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
        )


_QUEUE_ATTRIBUTES = (
    "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout", "FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled",
)  # fmt: skip


def _queue_attributes(props: dict[str, Any]) -> dict[str, str]:
    attributes = {}
    for key in _QUEUE_ATTRIBUTES:
        if key in props:
            value = props[key]
            attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
    if props.get("RedrivePolicy"):
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    return attributes


def provision(template: Template) -> None:
    """Create every table, queue and schedule group of the template. Calling it twice is harmless."""
    with counters.paused():
        dynamodb, sqs, scheduler = client("dynamodb"), client("sqs"), client("scheduler")
        for table in template.tables.values():
            _create_table(dynamodb, table.name, table.properties)
        # Dead-letter queues first: a redrive policy must name an existing queue.
        queues = sorted(template.queues.values(), key=lambda q: q.dead_letter_arn is not None)
        for queue in queues:
            sqs.create_queue(QueueName=queue.name, Attributes=_queue_attributes(queue.properties))
        for group in template.schedule_groups.values():
            try:
                scheduler.create_schedule_group(Name=group.name)
            except ClientError as error:
                if not _exists(error, "ConflictException"):
                    raise
        # The role SAM makes for each ScheduleV2 event (lambda:InvokeFunction on its function).
        roles = iam.load(template).schedule_roles if template.schedules else {}
        for schedule in template.schedules:  # ScheduleV2 events: schedules the stack itself owns
            function = template.functions[schedule.function]
            role = roles.get((function.arn, schedule.expression))
            target: dict[str, Any] = {
                "Arn": function.arn,
                "RoleArn": role or f"arn:aws:iam::{template.account}:role/{template.stack}-scheduler",
            }
            if schedule.input is not None:
                target["Input"] = schedule.input
            if schedule.retry_policy:
                target["RetryPolicy"] = schedule.retry_policy
            if schedule.dead_letter_arn:
                target["DeadLetterConfig"] = {"Arn": schedule.dead_letter_arn}
            args: dict[str, Any] = {
                "Name": schedule.name,
                "ScheduleExpression": schedule.expression,
                "ScheduleExpressionTimezone": schedule.timezone,
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": target,
                "State": schedule.state,
            }
            if schedule.group:
                args["GroupName"] = schedule.group
            try:
                scheduler.create_schedule(**args)
            except ClientError as error:
                if not _exists(error, "ConflictException"):
                    raise
