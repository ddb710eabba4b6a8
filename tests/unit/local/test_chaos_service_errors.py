"""The fault switch's DynamoDB and Scheduler errors reach a function's code the way AWS's do: through
botocore, whose retries run as in Lambda, their backoff waited on Nudge's clock."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

import nudge_local.runtime.runtime  # noqa: F401  (installs the runtime's botocore hooks, the drills' among them)
from nudge import clock as nudge_clock
from nudge_local.emulation import aws, chaos
from tests.fakes import ManualClock


@pytest.fixture
def as_a_function(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Requests made as a function's, and the backoff waits they did (on Nudge's clock)."""
    waited: list[float] = []
    clock = ManualClock(datetime(2026, 3, 18, 3, 0, tzinfo=UTC))

    def wait(seconds: float) -> None:
        waited.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    monkeypatch.setattr(chaos, "_origin", lambda: "SenderFunction")
    nudge_clock.set_source(clock.now, sleep=wait)
    try:
        yield waited
    finally:
        nudge_clock.set_source(None)
        chaos.activate(None)


def _dynamodb(emulated_dynamodb: Any) -> Any:
    from nudge.adapters.dynamodb import dynamodb_client

    dynamodb_client.cache_clear()  # a client made with the hooks now registered, as a function's is
    emulated_dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return dynamodb_client()


def test_a_throttled_dynamodb_request_is_retried_by_botocore_and_fails_only_when_every_attempt_did(
    emulated_dynamodb: Any, as_a_function: list[float]
) -> None:
    client = _dynamodb(emulated_dynamodb)
    plan = chaos.FaultPlan(dynamodb_error_rate=1.0, seed=3)
    chaos.activate(plan)
    with pytest.raises(ClientError) as refused:
        client.put_item(TableName="t", Item={"pk": {"S": "a"}})
    code = refused.value.response["Error"]["Code"]
    assert code in {c for c, _, _ in chaos.DYNAMODB_ERRORS}
    assert refused.value.response["ResponseMetadata"]["RetryAttempts"] == 3  # 4 attempts (standard mode)
    assert sum(plan.errors.values()) == 4 and len(as_a_function) == 3  # 3 backoffs, on Nudge's clock
    assert 0 < sum(as_a_function) < 1 + 2 + 4
    chaos.activate(chaos.FaultPlan(dynamodb_error_rate=0.5, seed=3))
    answers = []
    for n in range(40):
        try:
            client.put_item(TableName="t", Item={"pk": {"S": f"k{n}"}})
            answers.append("ok")
        except ClientError:
            answers.append("failed")
    assert answers.count("ok") > 30 and "failed" in answers  # most are saved by a retry, not all
    chaos.activate(None)
    stored = emulated_dynamodb.scan(TableName="t")["Items"]
    assert len(stored) == answers.count("ok")  # an injected error never wrote anything


def test_scheduler_errors_throttling_retried_a_conflict_not(as_a_function: list[float]) -> None:
    from nudge.adapters.scheduler import scheduler_client

    aws.start_in_process()
    try:
        scheduler_client.cache_clear()
        client = scheduler_client()
        plan = chaos.FaultPlan(scheduler_error_rate=1.0, seed=1)
        chaos.activate(plan)
        ended: list[tuple[str, int]] = []
        for _ in range(4):
            try:
                client.create_schedule(
                    Name="s",
                    ScheduleExpression="at(2030-01-01T00:00:00)",
                    FlexibleTimeWindow={"Mode": "OFF"},
                    Target={
                        "Arn": "arn:aws:sqs:ap-northeast-2:123456789012:q",
                        "RoleArn": "arn:aws:iam::1:role/r",
                    },
                )
            except ClientError as refused:
                ended.append(
                    (refused.response["Error"]["Code"], refused.response["ResponseMetadata"]["RetryAttempts"])
                )
        # Throttling and server errors are retried (Config(retries={"max_attempts": 8}): 9 attempts); a
        # conflict is not: the code decides what it means.
        assert all(n == 8 or (code == "ConflictException" and n < 8) for code, n in ended), ended
        assert {code for code, _ in ended} == {"ConflictException", "ThrottlingException"}
        assert sum(plan.errors.values()) == sum(n + 1 for _, n in ended)
    finally:
        scheduler_client.cache_clear()
        aws.stop_in_process()
