"""Automation time slots: 1,000,000 reminders for one store spread over a day, 30 % of them at 16:00.

Two ways to keep time, both through Nudge's real scheduler adapter (nudge.adapters.scheduler: names, at()
expressions and time zones validated before every call) against an in-memory Scheduler client that
answers like AWS (ConflictException for a name that exists):

- slots (what Nudge does): one one-time schedule per store and minute slot; the reminders arrive as
  events in batches of 10 spread over WARM_CONTAINERS warm Lambda containers, each remembering the slots
  it has made sure of (nudge.adapters.scheduler.SlotSchedules);
- baseline: one one-time schedule per reminder, as a naive design would create.

Prints schedules created and Scheduler API calls for both, and the ratios. Prints figures only; nothing
here asserts on timing. Run: .venv/bin/python bench/bench_scheduling.py
"""

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [
    str(ROOT / "layers/core/python"),
    str(ROOT / "layers/compliance/python"),
    str(ROOT / "local"),
    str(ROOT),  # tests.fakes: the Scheduler client
]

from nudge.adapters.scheduler import QueueScheduler, SlotSchedules  # noqa: E402
from nudge.automations.runs import slot_of  # noqa: E402
from nudge.schedules import at_expression  # noqa: E402
from nudge_local.runtime.stores import DOGDAY  # noqa: E402
from tests.fakes import CountingSchedulerClient  # noqa: E402

KST = ZoneInfo("Asia/Seoul")
REMINDERS = 1_000_000
PEAK_SHARE = 0.30  # at 16:00
BATCH = 10  # events per Lambda invocation (the events queue's batch size)
WARM_CONTAINERS = 20
DAY = datetime(2026, 3, 23, tzinfo=KST)
NOW = DAY - timedelta(days=1)
ARN = "arn:aws:sqs:ap-northeast-2:123456789012:"


def scheduler(client: CountingSchedulerClient) -> QueueScheduler:
    return QueueScheduler("nudge-slots", ARN + "role", ARN + "slots", ARN + "dlq", client=client)


def reminders(rng: random.Random) -> list[datetime]:
    peak = DAY.replace(hour=16)
    out = []
    for _ in range(REMINDERS):
        if rng.random() < PEAK_SHARE:
            out.append(peak)
        else:
            out.append(DAY + timedelta(seconds=rng.randrange(86_400)))
    return out


def run_slots(due: list[datetime], rng: random.Random) -> tuple[CountingSchedulerClient, float]:
    client = CountingSchedulerClient()
    containers = [SlotSchedules(scheduler(client)) for _ in range(WARM_CONTAINERS)]
    store = DOGDAY.store
    started = time.perf_counter()
    for start in range(0, len(due), BATCH):
        container = containers[rng.randrange(WARM_CONTAINERS)]
        for instant in due[start : start + BATCH]:
            container.ensure_slot(store, slot_of(instant), NOW)
    return client, time.perf_counter() - started


def run_baseline(due: list[datetime]) -> tuple[CountingSchedulerClient, float]:
    client = CountingSchedulerClient()
    one_each = scheduler(client)
    store = DOGDAY.store
    started = time.perf_counter()
    for i, instant in enumerate(due):
        expression = at_expression(slot_of(instant), store.zone)
        payload = {"store_id": store.store_id, "reminder": i}
        one_each.create_once(f"reminder-{i}", expression, store.timezone, payload, now=NOW)
    return client, time.perf_counter() - started


def main() -> None:
    rng = random.Random(20260323)
    due = reminders(rng)
    slots, slot_seconds = run_slots(due, rng)
    baseline, baseline_seconds = run_baseline(due)
    peak = sum(1 for d in due if d.astimezone(UTC).hour == 7 and d.minute == 0 and d.second == 0)
    print(f"{REMINDERS:,} reminders for one store on {DAY:%Y-%m-%d} (KST), {peak:,} of them at 16:00")
    print(f"  events in batches of {BATCH} over {WARM_CONTAINERS} warm containers")
    print(f"  {'':<34}{'schedules':>12}{'API calls':>12}{'seconds':>10}")
    print(f"  {'minute slots (Nudge)':<34}{len(slots.names):>12,}{slots.calls:>12,}{slot_seconds:>10.1f}")
    print(
        f"  {'one schedule per reminder':<34}{len(baseline.names):>12,}{baseline.calls:>12,}"
        f"{baseline_seconds:>10.1f}"
    )
    print(
        f"  ratio slots / baseline: schedules {len(slots.names) / len(baseline.names):.5f}"
        f" ({len(baseline.names) / len(slots.names):,.0f}x fewer),"
        f" API calls {slots.calls / baseline.calls:.5f} ({baseline.calls / slots.calls:,.0f}x fewer)"
    )
    per_day: dict[str, int] = {}
    for name in slots.names:
        fires = datetime.strptime(name.rsplit("-", 1)[1], "%Y%m%d%H%M").replace(tzinfo=UTC).astimezone(KST)
        per_day[f"{fires:%m-%d}"] = per_day.get(f"{fires:%m-%d}", 0) + 1
    busiest = max(per_day.values())
    print(
        "  slot schedules by the day they fire (KST): "
        + ", ".join(f"{day} {n:,}" for day, n in sorted(per_day.items()))
        + " (a step due after 23:59:00 rounds up to the next day's 00:00 slot)"
    )
    print(f"  goal: <= 1,440 schedules a day per store -> {'met' if busiest <= 1440 else 'NOT met'}")


if __name__ == "__main__":
    main()
