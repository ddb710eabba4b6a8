"""The template's resources in the emulated AWS: every table, queue, bucket, schedule group, KMS key and
schedule of the stack, created in moto as CloudFormation would create them (the runtime does it when it opens;
`provision` again is harmless)."""

import json
from typing import Any

from botocore.exceptions import ClientError

from nudge_local.bill import counters
from nudge_local.emulation import aws, kms
from nudge_local.runtime import iam
from nudge_local.runtime.template import Template


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
    """Create every table, queue, schedule group and KMS key of the template. Calling it twice is harmless."""
    with counters.paused():
        dynamodb, sqs, scheduler = aws.client("dynamodb"), aws.client("sqs"), aws.client("scheduler")
        for table in template.tables.values():
            _create_table(dynamodb, table.name, table.properties)
        kms.provision_keys(template, aws.client("kms"))
        if template.buckets:
            s3 = aws.client("s3")
            for bucket in template.buckets.values():
                try:
                    s3.create_bucket(
                        Bucket=bucket.name,
                        CreateBucketConfiguration={"LocationConstraint": template.region},
                    )
                except ClientError as error:
                    if not _exists(error, "BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
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
