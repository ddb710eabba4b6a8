"""Lambda's SQS event source, played by the pump: real SQS events, partial batch failures honoured,
failed messages retried and moved to the dead-letter queue after maxReceiveCount."""

from collections import Counter

from nudge_local.runtime import pumps


def send(runtime, *bodies, attributes=None):
    sqs = runtime.client("sqs")
    for body in bodies:
        extra = {"MessageAttributes": attributes} if attributes else {}
        sqs.send_message(QueueUrl=runtime.queue_url("WorkQueue"), MessageBody=body, **extra)


def dead_letters(runtime):
    sqs = runtime.client("sqs")
    messages = sqs.receive_message(QueueUrl=runtime.queue_url("WorkDeadLetterQueue"), MaxNumberOfMessages=10)
    return sorted(m["Body"] for m in messages.get("Messages", []))


def test_event_is_a_real_sqs_event(runtime):
    send(runtime, "hello", attributes={"kind": {"DataType": "String", "StringValue": "greeting"}})
    runtime.run_until_idle()
    (record,) = runtime.functions.module("WorkerFunction").SEEN
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == runtime.queue_arn("WorkQueue")
    assert record["awsRegion"] == "ap-northeast-2"
    assert record["body"] == "hello"
    assert record["md5OfBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["kind"]["stringValue"] == "greeting"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    assert record["messageId"] and record["receiptHandle"]
    assert runtime.queue_depth("WorkQueue") == 0


def test_batch_item_failures_are_retried_then_dead_lettered(runtime):
    send(runtime, "ok-1", "fail", "ok-2")
    runtime.run_until_idle()
    seen = Counter(r["body"] for r in runtime.functions.module("WorkerFunction").SEEN)
    # Only the failed record comes back; after maxReceiveCount (3) receives it moves to the DLQ.
    assert seen == {"ok-1": 1, "ok-2": 1, "fail": 3}
    assert runtime.queue_depth("WorkQueue") == 0
    assert dead_letters(runtime) == ["fail"]


def test_a_raised_exception_fails_the_whole_batch(runtime):
    send(runtime, "boom", "innocent")
    runtime.run_until_idle()
    seen = Counter(r["body"] for r in runtime.functions.module("WorkerFunction").SEEN)
    assert seen["boom"] == 3
    assert runtime.queue_depth("WorkQueue") == 0
    # Nothing in a failed batch is deleted, so the innocent message shares the batch's fate.
    assert dead_letters(runtime) == ["boom", "innocent"]


def test_batches_respect_batch_size(runtime):
    send(runtime, *(f"m{i}" for i in range(12)))
    runtime.run_until_idle()
    assert runtime.sqs.batches >= 3  # BatchSize 5
    assert runtime.counters.functions["WorkerFunction"].invocations == runtime.sqs.batches
    assert len(runtime.functions.module("WorkerFunction").SEEN) == 12


def test_event_source_calls_are_counted_as_aws_would_bill_them(runtime):
    send(runtime, "a", "b")
    runtime.run_until_idle()
    by_pump = runtime.counters.aws_calls_by_origin["sqs-event-source via WorkQueue"]  # and the queue it read
    assert by_pump["sqs:ReceiveMessage"] >= 1
    assert by_pump["sqs:DeleteMessageBatch"] >= 1
    assert runtime.counters.aws_calls_by_origin["local"]["sqs:SendMessage"] == 2
    assert "sqs:SendMessage" not in runtime.counters.aws_calls  # the test's own sends are not Nudge's


def test_an_idle_poll_makes_no_request_and_a_delayed_message_waits_for_its_time(runtime, monkeypatch):
    receives = []
    original = pumps.aws.client

    def watching(service, *args, **kwargs):
        client = original(service, *args, **kwargs)
        if service == "sqs":
            client.meta.events.register("before-call.sqs.ReceiveMessage", lambda **_: receives.append(1))
        return client

    monkeypatch.setattr(pumps.aws, "client", watching)
    source = runtime.template.sqs_sources[0]
    assert runtime.sqs.poll(source) == 0 and receives == []  # nothing to receive: nothing asked
    runtime.client("sqs").send_message(
        QueueUrl=runtime.queue_url("WorkQueue"), MessageBody="later", DelaySeconds=900
    )
    assert runtime.sqs.poll(source) == 0 and receives == []  # not visible before its delay
    send(runtime, "now")
    assert runtime.sqs.poll(source) == 1 and receives


def test_a_message_older_than_the_queues_retention_period_is_not_received(runtime):
    from moto.sqs.models import sqs_backends

    from nudge_local.emulation.accounts import emulated_account

    sqs = runtime.client("sqs")
    url = runtime.queue_url("WorkQueue")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "60"})
    send(runtime, "stale")
    queue = sqs_backends[emulated_account()]["ap-northeast-2"].get_queue(url.rsplit("/", 1)[1])
    [stale] = queue._messages
    stale.sent_timestamp -= 61_000  # type: ignore[operator,assignment]  # moto declares it None until sent
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    send(runtime, "fresh")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["fresh"]


def test_each_receive_gives_a_new_receipt_handle_of_sqs_form(runtime):
    sqs = runtime.client("sqs")
    url = runtime.queue_url("WorkQueue")
    send(runtime, "one")
    handles = []
    for _ in range(2):
        [message] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
        handles.append(message["ReceiptHandle"])
    assert handles[0] != handles[1]
    assert all(len(h) == 185 and h.isalpha() and h.islower() for h in handles)
