"""EventBridge Scheduler three ways: the automations' minute slots (nudge.automations.runs.SlotScheduler) and
the campaigns' schedules (nudge.campaigns.service.Scheduler) recorded, and boto3's Scheduler client as far as
nudge.adapters.scheduler calls it, answering like AWS (a ConflictException for a name that exists), to
measure the real adapter without AWS."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from nudge.stores import Store

if TYPE_CHECKING:
    from nudge.automations.runs import SlotScheduler
    from nudge.campaigns.service import Scheduler


@dataclass
class RecordingSlots:
    slots: set[tuple[str, datetime]] = field(default_factory=set)
    failures: int = 0  # the next N calls fail like a throttled Scheduler

    def ensure_slot(self, store: Store, slot: datetime, now: datetime) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("ThrottlingException")
        assert slot > now
        self.slots.add((store.store_id, slot))


@dataclass
class RecordingSchedules:
    """The schedules by name: (expression, time zone, payload, one_time)."""

    schedules: dict[str, tuple[str, str, dict[str, Any], bool]] = field(default_factory=dict)

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
        created = name not in self.schedules
        self.schedules[name] = (expression, timezone, payload, one_time)
        return created

    def delete(self, name: str) -> None:
        self.schedules.pop(name, None)


class CountingSchedulerClient:
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.calls = 0

    def create_schedule(self, **request: Any) -> dict[str, str]:
        self.calls += 1
        name = request["Name"]
        if name in self.names:
            raise ClientError({"Error": {"Code": "ConflictException", "Message": "exists"}}, "CreateSchedule")
        self.names.add(name)
        return {"ScheduleArn": f"arn:aws:scheduler:::schedule/g/{name}"}

    def get_schedule(self, **request: Any) -> dict[str, str]:
        self.calls += 1
        name = request["Name"]
        if name not in self.names:
            error = {"Error": {"Code": "ResourceNotFoundException", "Message": "no such schedule"}}
            raise ClientError(error, "GetSchedule")
        return {"Name": name, "Arn": f"arn:aws:scheduler:::schedule/g/{name}"}


if TYPE_CHECKING:  # mypy holds each fake to the Protocols it stands in for
    _slots: SlotScheduler = RecordingSlots()
    _schedules: Scheduler = RecordingSchedules()
