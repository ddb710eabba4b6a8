"""Sender benchmark and fault drills: the real NHN and Solapi wire protocols to the local gateway emulator
on a socket, the send ledger and the gateway account's rate limit in DynamoDB (moto server), several
concurrent "invocations" (threads) drawing from one limit.

Prints, for an NHN store and then a Solapi store:
  - rate: messages per second handed to the gateway as a fraction of the account's configured limit
    (goal ≥ 0.95, never above), with the emulator answering after 20 ms; the busiest sliding one-second
    window of the slots the limiter handed out (never above the limit: slots are spaced for 98 % of it), and
    of the calls as they left the sender threads (these can bunch when a thread wakes late for its slot:
    every thread here shares one interpreter lock with the moto server and the emulator);
  - HTTP requests to the gateway per message (NHN one; Solapi three: a message group made, the message
    added, the group sent);
  - CPU time per message of the sender (its own threads only), and as a ratio to the baseline measured in the
    same run: one bare httpx POST of an NHN SMS request to the same emulator;
  - fault drills, each with messages sent, duplicates (must be 0) and lost (must be 0), and requests per
    message: gateway 30 % 5xx plus 5 % timeouts; a crash injected after every 4th gateway call; every job
    delivered twice (concurrently); and all of that at once with the gateway's message list lagging 30 s
    behind what it sent (the lookup an unclear outcome asks).
Profiles and the campaign document are in memory, tests/fakes' (they are not what this measures).
Run: .venv/bin/python bench/bench_sender.py   (about two and a half minutes)
"""

import queue
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.fakes: profiles, catalog, clock

from nudge.adapters.gateway_accounts import gateway_for
from nudge.adapters.gateways.nhn import NhnGateway
from nudge.adapters.ledger import DynamoRateLimiter, DynamoSendLedger
from nudge.ports import CAMPAIGN
from nudge.profiles.profile import Consent, Profile
from nudge.sending.gateway import Accepted, Gateway, Outbound
from nudge.sending.jobs import SendJob
from nudge.sending.service import LEASE, Busy, SendDependencies, process
from nudge.stores import Store
from nudge_local.emulation import aws
from nudge_local.gateway.emulator import Faults
from nudge_local.runtime.stores import DOGDAY, MAPLE, LocalStore, gateway_emulator
from tests.fakes import (
    Crash,
    InMemoryCatalog,
    InMemoryProfiles,
    InMemorySecrets,
    InMemoryStores,
    RecordingDeferrals,
    RunningClock,
)

LIMIT = 20  # messages per second, the gateway account's configured limit
RATE_MESSAGES = 240  # ~12 s at the limit
WORKERS = 6  # concurrent sender invocations
LATENCY = 0.020
DRILL_MESSAGES = 200
SMS_AD = {
    "message_class": "advertising",
    "channel": "sms",
    "content": "#{name|고객}님, 오늘 마감 https://dogday.example/e",
}


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def sends_table(client: Any, name: str) -> None:
    """SendsTable exactly as template.yaml defines it."""
    with open("template.yaml") as handle:
        props = yaml.load(handle, Loader=_Loader)["Resources"]["SendsTable"]["Properties"]
    client.create_table(
        TableName=name,
        **{
            k: props[k]
            for k in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
        },
    )


def world(
    tag: str, limit: int, base_url: str, transport_timeout: float = 5.0, local: LocalStore = DOGDAY
) -> dict[str, Any]:
    client = boto3.client("dynamodb")
    table = f"bench-sends-{tag}"
    sends_table(client, table)
    account = local.store.gateway
    assert account is not None  # the sample store has its gateway account
    store = local.store.model_copy(
        update={"gateway": account.model_copy(update={"rate_per_second": limit, "account_id": tag})}
    )
    profiles = InMemoryProfiles()
    secrets = InMemorySecrets({(store.store_id, k): v for k, v in local.secrets.items()})
    requests = [0]
    lock = threading.Lock()

    def count(request: httpx.Request) -> None:
        with lock:
            requests[0] += 1

    http = httpx.Client(
        timeout=httpx.Timeout(transport_timeout),
        limits=httpx.Limits(max_connections=WORKERS * 2),
        event_hooks={"request": [count]},
    )
    # Noon in Seoul, running: a drill advances it to let crashed attempts' leases run out.
    clock = RunningClock(datetime(2026, 3, 18, 3, 0, tzinfo=UTC))
    return {
        "store": store,
        "profiles": profiles,
        "catalog": InMemoryCatalog(),
        "deferrals": RecordingDeferrals(),
        "ledger": DynamoSendLedger(table, client),
        "limiter": DynamoRateLimiter(table, client),
        "secrets": secrets,
        "http": http,
        "clock": clock,
        "base_url": base_url,
        "wrap": lambda gateway: gateway,
        "requests": requests,  # HTTP requests to the gateway
    }


def deps_of(w: dict[str, Any]) -> SendDependencies:
    def gateway(store: Store) -> Gateway:
        return w["wrap"](gateway_for(store, w["secrets"], w["http"], w["base_url"]))

    return SendDependencies(
        stores=InMemoryStores([w["store"]]),
        catalog=w["catalog"],
        profiles=w["profiles"],
        ledger=w["ledger"],
        gateway_for=gateway,
        limiter=w["limiter"],
        deferrals=w["deferrals"],
        now=w["clock"].now,
        sleep=time.sleep,
        tracking_base_url="https://t.nudge.example",
    )


def jobs_for(w: dict[str, Any], n: int, tag: str) -> list[SendJob]:
    store_id = w["store"].store_id
    w["catalog"].put(store_id, CAMPAIGN, tag, {"message": SMS_AD, "tracking": {}}, create=True)
    jobs = []
    for i in range(n):
        customer = f"{tag}-{i:05d}"
        w["profiles"].profiles[(store_id, customer)] = Profile(
            store_id,
            customer,
            phone=f"+8210{30000000 + i:08d}",
            name="김하나",
            consents={"sms": Consent(True, datetime(2026, 1, 1, tzinfo=UTC), "signup-form")},
        )
        jobs.append(
            SendJob(
                store_id=store_id,
                source=f"campaign:{tag}",
                occurrence="2026-03-18T03:00:00Z",
                customer_id=customer,
                queued_at=datetime(2026, 3, 18, 3, 0, tzinfo=UTC),
            )
        )
    return jobs


def run_queue(w: dict[str, Any], jobs: list[SendJob], workers: int = WORKERS) -> dict[str, Any]:
    """Workers take jobs like concurrent invocations; a job that raises goes back to the queue (as SQS
    redelivers it), and a crashed attempt's lease is let run out before the next round."""
    deps = deps_of(w)
    pending: queue.Queue[SendJob] = queue.Queue()
    for job in jobs:
        pending.put(job)
    retry: list[SendJob] = []
    lock = threading.Lock()
    cpu: list[float] = []
    outcomes: Counter[str] = Counter()

    def work() -> None:
        started = time.thread_time()
        while True:
            try:
                job = pending.get_nowait()
            except queue.Empty:
                break
            try:
                outcomes[process(job, deps).state] += 1
            except (Busy, Crash):
                with lock:
                    retry.append(job)
        with lock:
            cpu.append(time.thread_time() - started)

    rounds = 0
    while True:
        rounds += 1
        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if not retry or rounds > 20:
            break
        for job in retry:
            pending.put(job)
        retry.clear()
        w["clock"].advance(LEASE + timedelta(seconds=1))  # SQS redelivers after the visibility timeout
    assert not w["deferrals"].deferred, "nothing is deferred at noon"
    return {"cpu": sum(cpu), "rounds": rounds, "outcomes": outcomes}


def tally(emulator: Any, jobs: list[SendJob], tag: str) -> tuple[int, int, int]:
    keys = [m["key"] for m in emulator.outbox if str(m["to"]).startswith("0103")]
    from nudge.sending.records import send_id_of

    wanted = {send_id_of(j.send_key) for j in jobs}
    counts = Counter(k for k in keys if k in wanted)
    sent = sum(counts.values())
    duplicates = sum(c - 1 for c in counts.values())
    lost = len(wanted - set(counts))
    return sent, duplicates, lost


def baseline_cpu(base_url: str, n: int = 200) -> float:
    """CPU per message of one bare httpx POST of an SMS request to the same emulator."""
    account = DOGDAY.store.gateway
    assert account is not None
    gateway = NhnGateway(
        "baseline",
        httpx.Client(timeout=5.0),
        kakao_url=base_url,
        sms_url=base_url,
        kakao_appkey=None,
        kakao_secret=None,
        sender_key=None,
        sms_appkey=account.sms_appkey,
        sms_secret=DOGDAY.secrets["nhn-sms-secret-key"],
    )
    started = time.thread_time()
    for i in range(n):
        message = Outbound(
            send_id=f"baseline{i:016d}",
            to=f"0109{i:07d}",
            kind="SMS",
            text="(광고)도그데이몰\n오늘 마감\n무료수신거부 080-123-4567",
            is_ad=True,
            sender_number="0212345678",
        )
        url, headers, body = gateway.request(message)
        gateway.client.post(url, headers=headers, json=body)
    return (time.thread_time() - started) / n


def _busiest_second(times: list[float]) -> int:
    per_second = Counter(int(t - times[0]) for t in times)
    last = max(per_second)
    return max(per_second[k] for k in per_second if k < last) if last else per_second[0]


class Around:
    """The gateway, with something done before and after each send call (the rest as it is)."""

    def __init__(
        self,
        gateway: Gateway,
        before: Callable[[], None] = lambda: None,
        after: Callable[[], None] = lambda: None,
    ) -> None:
        self.gateway, self.before, self.after = gateway, before, after
        self.account_id = gateway.account_id

    def prepare(self, message: Outbound) -> str | None:
        return self.gateway.prepare(message)

    def send(self, message: Outbound, handle: str | None = None) -> Accepted:
        self.before()
        answer = self.gateway.send(message, handle)
        self.after()
        return answer

    def find(self, message: Outbound, handle: str | None = None) -> Accepted | None:
        return self.gateway.find(message, handle)

    def carries_fallback(self, message: Outbound) -> bool:
        return self.gateway.carries_fallback(message)


def rate_run(emulator: Any, base_url: str, local: LocalStore, tag: str) -> None:
    emulator.set_faults(Faults(latency_seconds=LATENCY))
    w = world(tag, LIMIT, base_url, local=local)
    emulator.now = w["clock"].now
    jobs = jobs_for(w, RATE_MESSAGES, tag)
    arrivals: list[float] = []
    lock = threading.Lock()

    def arrived() -> None:
        with lock:
            arrivals.append(time.monotonic())

    w["wrap"] = lambda gateway: Around(gateway, before=arrived)
    slots: list[float] = []
    limiter = w["limiter"]

    class RecordingLimiter:
        def acquire(self, account_id: str, per_second: int) -> float:
            slot = limiter.acquire(account_id, per_second)
            with lock:
                slots.append(slot)
            return slot

    w["limiter"] = RecordingLimiter()
    started = time.monotonic()
    result = run_queue(w, jobs)
    elapsed = time.monotonic() - started
    arrivals.sort()
    span = arrivals[-1] - arrivals[0]
    achieved = (len(arrivals) - 1) / span if span else float("inf")
    busiest = max(sum(1 for t in arrivals[i:] if t < start + 1.0) for i, start in enumerate(arrivals))
    busiest_second = _busiest_second(arrivals)
    slots.sort()
    slot_window = max(sum(1 for t in slots[i:] if t < start + 1.0) for i, start in enumerate(slots))
    sender_cpu = result["cpu"] / len(jobs)
    base = baseline_cpu(base_url)
    sent, duplicates, lost = tally(emulator, jobs, tag)
    provider = local.store.gateway.provider if local.store.gateway else "?"
    print(
        f"{provider}: rate limit {LIMIT}/s, {WORKERS} concurrent senders, gateway latency "
        f"{LATENCY * 1000:.0f} ms a request"
    )
    print(f"  achieved {achieved:.1f}/s = {achieved / LIMIT:.3f} of the limit (goal >= 0.95, never above)")
    print(
        f"  slots the limiter handed out: busiest sliding 1 s window {slot_window} = "
        f"{slot_window / LIMIT:.3f} of the limit (never above, by construction)"
    )
    print(
        f"  calls as they left the sender threads: busiest second {busiest_second} = "
        f"{busiest_second / LIMIT:.3f}, busiest sliding 1 s window {busiest} = {busiest / LIMIT:.3f} "
        f"(threads that woke late for their slot, in one process with moto and the emulator)"
    )
    print(
        f"  {sent} messages in {elapsed:.1f} s, duplicates {duplicates}, lost {lost}; "
        f"{w['requests'][0] / max(sent, 1):.2f} gateway requests a message"
    )
    print(
        f"  sender CPU {sender_cpu * 1000:.2f} ms/message; baseline (bare httpx POST) {base * 1000:.2f} ms "
        f"-> ratio {sender_cpu / base:.1f}"
    )


def drill(emulator: Any, base_url: str, local: LocalStore, name: str, tag: str, **setup: Any) -> None:
    emulator.set_faults(setup.get("faults", Faults()))
    w = world(tag, 10_000, base_url, transport_timeout=setup.get("timeout", 5.0), local=local)
    emulator.now = w["clock"].now  # the message list's lag is on the drill's clock, which leases run out on
    jobs = jobs_for(w, DRILL_MESSAGES, tag)
    calls = [0]
    lock = threading.Lock()
    if setup.get("crash_every"):
        every = setup["crash_every"]

        def crash() -> None:
            with lock:
                calls[0] += 1
                now = calls[0] % every == 0
            if now:
                raise Crash  # the gateway answered; the ledger never heard

        w["wrap"] = lambda gateway: Around(gateway, after=crash)
    delivered = jobs * setup.get("copies", 1)
    result = run_queue(w, delivered)
    sent, duplicates, lost = tally(emulator, jobs, tag)
    print(
        f"  {name}: {len(jobs)} jobs ({len(delivered)} deliveries) -> sent {sent}, duplicates {duplicates}, "
        f"lost {lost}; {w['requests'][0] / max(sent, 1):.2f} gateway requests a message; queue rounds "
        f"{result['rounds']}, outcomes {dict(result['outcomes'])}"
    )


UNCLEAR = Faults(error_rate=0.3, timeout_rate=0.05, timeout_seconds=0.6, seed=11)


def main() -> None:
    saved = aws.saved_environment()
    aws.start_server()
    try:
        emulator = gateway_emulator(lambda: datetime(2026, 3, 18, 3, 0, tzinfo=UTC))
        base_url = emulator.serve()
        for local in (DOGDAY, MAPLE):
            provider = local.store.gateway.provider if local.store.gateway else "?"
            rate_run(emulator, base_url, local, f"rate-{provider}")
            print(f"  fault drills (sent / duplicates / lost), {provider}:")
            drill(
                emulator, base_url, local, "gateway 30 % 5xx + 5 % timeouts", f"faults-{provider}",
                faults=UNCLEAR, timeout=0.3,
            )  # fmt: skip
            drill(emulator, base_url, local, "crash after every 4th gateway call", f"crash-{provider}",
                  crash_every=4)  # fmt: skip
            drill(emulator, base_url, local, "every job delivered twice", f"twice-{provider}", copies=2)
            drill(
                emulator, base_url, local, "all three, the message list lagging 30 s", f"lagging-{provider}",
                faults=replace(UNCLEAR, lookup_lag_seconds=30.0), timeout=0.3, crash_every=4, copies=2,
            )  # fmt: skip
        emulator.stop()
    finally:
        aws.restore_environment(saved)


if __name__ == "__main__":
    main()
