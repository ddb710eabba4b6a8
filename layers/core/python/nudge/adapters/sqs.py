"""The events queue: normalized events handed on to the automations."""

from functools import cache
from typing import Any

import boto3

from nudge import config
from nudge.profiles.events import NormalizedEvent
from nudge.sending.jobs import SendJob

SQS_BATCH = 10


@cache
def sqs_client() -> Any:
    return boto3.client("sqs")


class EventsQueuePublisher:
    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self.client = client or sqs_client()

    def publish(self, events: list[NormalizedEvent]) -> None:
        for start in range(0, len(events), SQS_BATCH):
            chunk = events[start : start + SQS_BATCH]
            response = self.client.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {
                        "Id": str(i),
                        "MessageBody": event.model_dump_json(),
                        "MessageAttributes": {
                            "type": {"DataType": "String", "StringValue": event.type.value},
                            "store_id": {"DataType": "String", "StringValue": event.store_id},
                        },
                    }
                    for i, event in enumerate(chunk)
                ],
            )
            if response.get("Failed"):
                codes = sorted({f["Code"] for f in response["Failed"]})
                raise RuntimeError(f"events queue refused {len(response['Failed'])} events: {codes}")


def events_publisher() -> EventsQueuePublisher:
    return EventsQueuePublisher(config.events_queue_url())


class JsonQueue:
    """A queue of JSON messages (send jobs, campaign run requests), sent in batches of ten."""

    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self.client = client or sqs_client()

    def send(self, bodies: list[str]) -> None:
        for start in range(0, len(bodies), SQS_BATCH):
            chunk = bodies[start : start + SQS_BATCH]
            response = self.client.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)],
            )
            if response.get("Failed"):
                codes = sorted({f["Code"] for f in response["Failed"]})
                raise RuntimeError(f"queue refused {len(response['Failed'])} messages: {codes}")

    def enqueue(self, jobs: list[SendJob]) -> None:
        self.send([job.model_dump_json() for job in jobs])


def send_queue() -> JsonQueue:
    return JsonQueue(config.send_queue_url())


def campaign_runs_queue() -> JsonQueue:
    return JsonQueue(config.campaign_runs_queue_url())
