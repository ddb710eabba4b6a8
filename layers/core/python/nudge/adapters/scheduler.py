"""EventBridge Scheduler: one-time and recurring schedules whose target is a queue of Nudge's.

Every expression, time zone and name is validated (nudge.schedules) before the API is called: moto
accepts anything, AWS does not. Creating a schedule that already exists is not an error — a retried
request finds it there (ConflictException), which is what it wanted.
"""

import json
from datetime import datetime
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

from nudge import config
from nudge.schedules import validate_expression, validate_name, validate_timezone

# Scheduler retries a failed delivery to the queue for up to a day, then dead-letters it.
MAX_RETRY_ATTEMPTS = 185
MAX_EVENT_AGE_SECONDS = 86_400


@cache
def scheduler_client() -> Any:
    return boto3.client("scheduler")


class QueueScheduler:
    """Schedules that send a JSON message to one SQS queue (Scheduler's templated SQS target)."""

    def __init__(
        self, group: str, role_arn: str, queue_arn: str, dead_letter_arn: str, client: Any | None = None
    ) -> None:
        self.group, self.role_arn, self.queue_arn, self.dead_letter_arn = (
            group,
            role_arn,
            queue_arn,
            dead_letter_arn,
        )
        self.client = client or scheduler_client()

    def put(
        self,
        name: str,
        expression: str,
        timezone: str,
        payload: dict[str, Any],
        *,
        one_time: bool,
        start: datetime | None = None,
        end: datetime | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Create the schedule, or replace it if it exists with other settings. True when it was created."""
        zone = validate_timezone(timezone)
        validate_name(name)
        validate_expression(expression, zone, now)
        request: dict[str, Any] = {
            "Name": name,
            "GroupName": self.group,
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "Target": {
                "Arn": self.queue_arn,
                "RoleArn": self.role_arn,
                "Input": json.dumps(payload, ensure_ascii=False),
                "RetryPolicy": {
                    "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
                    "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
                },
                "DeadLetterConfig": {"Arn": self.dead_letter_arn},
            },
        }
        if one_time:
            request["ActionAfterCompletion"] = "DELETE"
        if start is not None:
            request["StartDate"] = start
        if end is not None:
            request["EndDate"] = end
        try:
            self.client.create_schedule(**request)
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConflictException":
                raise
        self.client.update_schedule(**request)
        return False

    def delete(self, name: str) -> None:
        try:
            self.client.delete_schedule(Name=name, GroupName=self.group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise


def campaign_scheduler() -> QueueScheduler:
    return QueueScheduler(
        config.schedule_group(),
        config.scheduler_role_arn(),
        config.campaign_runs_queue_arn(),
        config.schedule_dead_letter_arn(),
    )
