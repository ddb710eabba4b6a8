"""EventBridge Scheduler, played by the pump: schedules fire at their instants in their time zone, in
order, once each; one-time DELETE schedules go away; failures are retried and dead-lettered like AWS."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.local.conftest import START  # the runtime fixture starts here

ROLE = "arn:aws:iam::123456789012:role/nudge-local-SchedulerRole"  # the fixture template's


def create(runtime, name, expression, target, *, tz="Asia/Seoul", **extra):
    target = {"RoleArn": ROLE, **target}
    runtime.client("scheduler").create_schedule(
        Name=name,
        GroupName=runtime.schedule_group_name("Slots"),
        ScheduleExpression=expression,
        ScheduleExpressionTimezone=tz,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=target,
        **extra,
    )


def received(runtime, kind):
    events = runtime.functions.module("TickFunction").RECEIVED
    return [(event, at) for event, at in events if isinstance(event, dict) and event.get("kind") == kind]


def schedule_names(runtime):
    return {s["Name"] for s in runtime.client("scheduler").list_schedules()["Schedules"]}


def test_at_fires_at_its_instant_in_seoul_time_then_is_deleted(runtime):
    tick = runtime.function_arn("TickFunction")
    payload = {
        "kind": "review",
        "at": "<aws.scheduler.scheduled-time>",
        "try": "<aws.scheduler.attempt-number>",
    }
    create(
        runtime, "review-1", "at(2026-03-23T16:00:00)", {"Arn": tick, "Input": json.dumps(payload)},
        ActionAfterCompletion="DELETE",
    )  # fmt: skip
    runtime.advance_to(datetime(2026, 3, 23, 6, 59, 59, tzinfo=UTC))
    assert received(runtime, "review") == []
    assert "review-1" in schedule_names(runtime)

    runtime.advance_to(datetime(2026, 3, 23, 7, 0, tzinfo=UTC))
    ((event, ran_at),) = received(runtime, "review")
    assert event == {"kind": "review", "at": "2026-03-23T07:00:00Z", "try": "1"}
    assert ran_at == "2026-03-23T07:00:00+00:00"  # Nudge's clock reads the scheduled instant
    assert "review-1" not in schedule_names(runtime)  # moto never deletes; the pump does

    runtime.advance("P2D")
    assert len(received(runtime, "review")) == 1


def test_one_time_schedule_without_delete_stays_and_fires_once(runtime):
    create(runtime, "keep", "at(2026-03-20T10:00:00)", {"Arn": runtime.function_arn("TickFunction"),
           "Input": '{"kind": "keep"}'})  # fmt: skip
    runtime.advance("PT2H")
    runtime.advance("PT2H")
    runtime.run_until_idle()
    assert len(received(runtime, "keep")) == 1
    assert "keep" in schedule_names(runtime)


def test_template_cron_fires_daily_at_two_in_seoul_in_order_with_the_clock_at_each_instant(runtime):
    # Nightly: cron(0 2 * * ? *) Asia/Seoul, from the template's ScheduleV2 event.
    create(runtime, "mid", "at(2026-03-21T12:00:00)", {"Arn": runtime.function_arn("TickFunction"),
           "Input": '{"kind": "mid"}'})  # fmt: skip
    runtime.set_time("2026-03-23T03:00:00+09:00")
    events = runtime.functions.module("TickFunction").RECEIVED
    order = [(event["kind"], at) for event, at in events]
    assert order == [
        ("nightly", "2026-03-20T17:00:00+00:00"),
        ("mid", "2026-03-21T03:00:00+00:00"),
        ("nightly", "2026-03-21T17:00:00+00:00"),
        ("nightly", "2026-03-22T17:00:00+00:00"),
    ]
    runtime.run_until_idle()
    assert len(events) == 4  # each instant fires once


def test_rate_counts_from_when_the_schedule_appeared(runtime):
    create(runtime, "every-6h", "rate(6 hours)", {"Arn": runtime.function_arn("TickFunction"),
           "Input": '{"kind": "rate"}'})  # fmt: skip
    runtime.advance("PT13H")
    assert [at for _, at in received(runtime, "rate")] == [
        "2026-03-20T06:00:00+00:00",
        "2026-03-20T12:00:00+00:00",
    ]


def test_cron_within_start_and_end_dates_and_disabled_schedules(runtime):
    tick = runtime.function_arn("TickFunction")
    # No "*" in the expression: moto checks a recurring StartDate against the wall clock otherwise.
    create(
        runtime, "window", "cron(0 12 1-31 3 ? 2026)", {"Arn": tick, "Input": '{"kind": "window"}'},
        StartDate=datetime(2026, 3, 21, tzinfo=UTC), EndDate=datetime(2026, 3, 23, tzinfo=UTC),
    )  # fmt: skip
    create(runtime, "off", "cron(* * * * ? *)", {"Arn": tick, "Input": '{"kind": "off"}'}, State="DISABLED")
    runtime.advance("P5D")
    assert [at for _, at in received(runtime, "window")] == [
        "2026-03-21T03:00:00+00:00",
        "2026-03-22T03:00:00+00:00",
    ]
    assert received(runtime, "off") == []


def test_sqs_target_receives_the_input(runtime):
    create(runtime, "to-queue", "at(2026-03-20T09:30:00)", {"Arn": runtime.queue_arn("TargetQueue"),
           "Input": '{"slot": "<aws.scheduler.scheduled-time>"}'})  # fmt: skip
    runtime.advance("PT1H")
    messages = runtime.client("sqs").receive_message(QueueUrl=runtime.queue_url("TargetQueue"))["Messages"]
    assert [json.loads(m["Body"]) for m in messages] == [{"slot": "2026-03-20T00:30:00Z"}]
    assert runtime.counters.aws_calls_by_origin["scheduler"]["sqs:SendMessage"] == 1


def test_undeliverable_target_is_retried_then_dead_lettered(runtime):
    missing = "arn:aws:lambda:ap-northeast-2:123456789012:function:nudge-local-Nobody"
    create(
        runtime, "lost", "at(2026-03-20T09:30:00)",
        {
            "Arn": missing, "Input": '{"kind": "lost"}',
            "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
            "DeadLetterConfig": {"Arn": runtime.queue_arn("ScheduleDeadLetterQueue")},
        },
    )  # fmt: skip
    runtime.advance("PT1H")
    (firing,) = runtime.scheduler.firings
    assert (firing.outcome, firing.attempts) == ("dead-lettered", 3)
    messages = runtime.client("sqs").receive_message(
        QueueUrl=runtime.queue_url("ScheduleDeadLetterQueue"), MessageAttributeNames=["All"]
    )["Messages"]
    (message,) = messages
    assert json.loads(message["Body"]) == {"kind": "lost"}
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "ResourceNotFoundException"
    assert attributes["RETRY_ATTEMPTS"] == "2"
    assert attributes["TARGET_ARN"] == missing


def test_failing_function_gets_lambdas_async_retries_not_the_schedule_dlq(runtime):
    create(
        runtime, "fails", "at(2026-03-20T09:30:00)",
        {
            "Arn": runtime.function_arn("TickFunction"), "Input": '{"kind": "fails", "fail": true}',
            "DeadLetterConfig": {"Arn": runtime.queue_arn("ScheduleDeadLetterQueue")},
        },
    )  # fmt: skip
    runtime.advance("PT1H")
    assert len(received(runtime, "fails")) == 3  # the first try and Lambda's two asynchronous retries
    assert runtime.scheduler.firings[-1].outcome == "function-failed"
    assert runtime.queue_depth("ScheduleDeadLetterQueue") == 0


def test_expression_moto_accepts_but_aws_would_not_is_skipped(runtime):
    create(runtime, "garbage", "at(not-a-date)", {"Arn": runtime.function_arn("TickFunction")})
    runtime.advance("PT1H")
    assert any("garbage" in line for line in runtime.logs.lines)


@pytest.mark.parametrize("step", ["PT4H", "P1D"])
def test_advancing_in_any_step_size_fires_the_same(runtime, step):
    for _ in range(12 if step == "PT4H" else 2):
        runtime.advance(step)
    assert len(received(runtime, "nightly")) == 2


def test_a_schedule_beyond_the_first_page_of_the_listing_still_fires(runtime):
    """ListSchedules answers 50 schedules per page, newest first: the oldest must not be missed."""
    target = {"Arn": runtime.queue_arn("WorkQueue"), "Input": "{}"}
    create(runtime, "the-oldest", "at(2026-03-20T10:00:00)", target)
    for n in range(60):
        create(runtime, f"later-{n}", "at(2026-03-25T10:00:00)", target)
    runtime.advance_to(START + timedelta(hours=2))
    fired = {firing.schedule_arn.rsplit("/", 1)[-1] for firing in runtime.scheduler.firings}
    assert fired == {"the-oldest"}
