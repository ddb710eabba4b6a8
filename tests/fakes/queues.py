"""The queues: send jobs (SendQueue, of the automations and the campaigns), campaign run requests
(nudge.campaigns.service.RunRequests) and normalized events (nudge.ports.EventPublisher), recorded."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nudge.ports import EventPublisher
from nudge.profiles.events import NormalizedEvent
from nudge.sending.jobs import SendJob

if TYPE_CHECKING:
    from nudge.automations.runs import SendQueue
    from nudge.campaigns.runs import SendQueue as CampaignSendQueue
    from nudge.campaigns.service import RunRequests


@dataclass
class RecordingQueue:
    jobs: list[SendJob] = field(default_factory=list)

    def enqueue(self, jobs: list[SendJob]) -> None:
        self.jobs.extend(jobs)


@dataclass
class RecordingRunRequests:
    bodies: list[str] = field(default_factory=list)

    def send(self, bodies: list[str]) -> None:
        self.bodies.extend(bodies)


@dataclass
class RecordingPublisher:
    published: list[NormalizedEvent] = field(default_factory=list)
    fail_next: int = 0

    def publish(self, events: list[NormalizedEvent]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("events queue unavailable")
        self.published.extend(events)


if TYPE_CHECKING:  # mypy holds each fake to the Protocols it stands in for
    _queue: SendQueue = RecordingQueue()
    _campaign_queue: CampaignSendQueue = RecordingQueue()
    _run_requests: RunRequests = RecordingRunRequests()
    _publisher: EventPublisher = RecordingPublisher()
