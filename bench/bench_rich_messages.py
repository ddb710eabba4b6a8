"""Rich-message benchmark: IMAGE and CAROUSEL_FEED brand messages and MMS, against plain ones, under the
AWS condition: the real NHN and Solapi wire protocols to the local gateway emulator on a socket; the send
ledger, the rate limit, the store's image records and the gateway-image cache (the stores table) in
DynamoDB and the image bytes in S3, both on a moto server, the tables made as template.yaml defines them.

For an NHN store and a Solapi store, one campaign each to N recipients, sent by one sender (one container):
  - a TEXT brand message (the baseline) vs an IMAGE one (1 image) and a CAROUSEL_FEED one (3 cards,
    3 images);
  - an LMS (the baseline) vs an MMS (1 JPEG).
For each: gateway uploads in all (must be 1 per image and gateway account), S3 GetObject calls in all (must
equal the uploads), HTTP requests to the gateway a message, DynamoDB calls a message (by operation), the
sender's CPU time a message and as a ratio to its baseline measured in the same run. Then a cold-cache
race: the IMAGE campaign with a new image, sent by WORKERS containers at once (each its own cache memo):
the first claims the upload, the others wait for its ref, and the image is still uploaded once.
Every message must name the uploaded images' refs, none may be sent twice, and every recipient is sent.
Profiles and the campaign documents are in memory, tests/fakes' (they are not what this measures).
Exits non-zero if an invariant breaks.
Run: .venv/bin/python bench/bench_rich_messages.py   (under a minute)
"""

import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.fakes: profiles, catalog, clock

from compliance.images import image_id
from nudge.adapters.gateway_accounts import gateway_for
from nudge.adapters.gateway_images import DynamoGatewayImages
from nudge.adapters.images import S3Images
from nudge.adapters.ledger import DynamoRateLimiter, DynamoSendLedger
from nudge.ports import CAMPAIGN
from nudge.profiles.profile import Consent, Profile
from nudge.sending.gateway import Gateway
from nudge.sending.jobs import SendJob
from nudge.sending.records import send_id_of
from nudge.sending.service import SendDependencies, process
from nudge.stores import Store
from nudge_local.demo.pictures import png
from nudge_local.emulation import aws
from nudge_local.gateway.emulator import GatewayEmulator
from nudge_local.runtime.stores import DOGDAY, MAPLE, LocalStore, gateway_emulator
from tests.fakes import (
    InMemoryCatalog,
    InMemoryProfiles,
    InMemorySecrets,
    InMemoryStores,
    RecordingDeferrals,
    RunningClock,
)
from tests.fakes.pictures import jpeg

N = 200  # recipients a campaign
WORKERS = 4  # containers in the cold-cache race
RACE_RECIPIENTS = 40
BUCKET = "bench-images"
STORES_TABLE = "bench-stores"
SENDS_TABLE = "bench-sends"
NOON = datetime(2026, 3, 18, 3, 0, tzinfo=UTC)  # noon in Seoul: no night window, no deferral

# The pictures: a real PNG for each brand image (2:1 for IMAGE, 4:3 for the cards: each use's ratio), and a
# JPEG under both gateways' MMS limit (Solapi's 200 KB).
BANNER = png(800, 400)
CARDS = [png(800, 600, grey) for grey in (0x40, 0x80, 0xC0)]
PHOTO = jpeg(800, 600, 120_000)
RACE_BANNER = png(800, 400, 0x20)

LINK = "https://dogday.example/spring"
BUY = {"name": "구매하기", "type": "WL", "link_mo": LINK}
TEXT = {
    "message_class": "advertising", "channel": "brand_message", "format": "TEXT", "targeting": "I",
    "content": "#{name}님, 봄 신상이 나왔어요", "buttons": [BUY],
}  # fmt: skip


def image_message(picture: bytes) -> dict[str, Any]:
    return {**TEXT, "format": "IMAGE", "image": {"id": image_id(picture), "link": LINK}}


CAROUSEL = {
    "message_class": "advertising", "channel": "brand_message", "format": "CAROUSEL_FEED", "targeting": "I",
    "cards": [
        {"header": f"봄 신상 {i + 1}", "text": "이번 주에 골라 드린 상품이에요", "buttons": [BUY],
         "image": {"id": image_id(picture), "link": f"{LINK}/{i + 1}"}}
        for i, picture in enumerate(CARDS)
    ],
    "tail": {"link_mo": "https://dogday.example/shop"},
}  # fmt: skip
LMS = {
    "message_class": "advertising", "channel": "sms", "format": "LMS", "title": "봄 신상",
    "content": "#{name|고객}님, 봄 신상이 나왔어요. 이번 주에만 10% 할인해 드려요 https://dogday.example/e",
}  # fmt: skip
MMS = {**LMS, "format": "MMS", "image": {"id": image_id(PHOTO)}}


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def create_table(client: Any, resource: str, name: str) -> None:
    """A table exactly as template.yaml defines it."""
    with open("template.yaml") as handle:
        props = yaml.load(handle, Loader=_Loader)["Resources"][resource]["Properties"]
    keys = ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
    client.create_table(TableName=name, **{k: props[k] for k in keys if k in props})


class Calls:
    """AWS calls as they leave the boto3 clients (one per API call, as they are billed), by table and
    operation; S3 by operation."""

    def __init__(self, *clients: Any) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        for client in clients:
            client.meta.events.register("before-parameter-build", self._count)

    def _count(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        table = params.get("TableName") or params.get("Bucket") or ",".join(params.get("RequestItems", "-"))
        with self.lock:
            self.counts[(service, f"{table}:{model.name}")] += 1

    def snapshot(self) -> Counter[tuple[str, str]]:
        with self.lock:
            return Counter(self.counts)


@dataclass
class Aws:
    dynamodb: Any
    s3: Any
    calls: Calls
    clock: RunningClock


@dataclass
class Run:
    name: str
    images: int  # distinct images the message shows
    sent: int
    duplicates: int
    failed: Counter[str]
    uploads: int
    s3_reads: int
    requests: int
    dynamodb: Counter[str]  # "table operation" -> calls
    cpu: float  # seconds, the sender threads'
    named_refs: set[str]
    uploaded_refs: set[str]


def container(env: Aws) -> tuple[S3Images, DynamoGatewayImages]:
    """What one sender container holds (nudge.adapters.wiring.send_dependencies): the store's images
    (image_store(): S3 bytes, stores-table records) and the gateway-image cache with its own memo."""
    images = S3Images(BUCKET, STORES_TABLE, s3=env.s3, dynamodb=env.dynamodb)
    refs = DynamoGatewayImages(STORES_TABLE, env.dynamodb, now=lambda: env.clock.now().timestamp())
    return images, refs


def deps_for(env: Aws, local: LocalStore, http: httpx.Client, base_url: str, catalog: Any, profiles: Any
             ) -> SendDependencies:  # fmt: skip
    account = local.store.gateway
    assert account is not None  # the sample store has its gateway account
    store = local.store.model_copy(update={"gateway": account.model_copy(update={"rate_per_second": 10_000})})
    secrets = InMemorySecrets({(store.store_id, k): v for k, v in local.secrets.items()})

    def gateway(s: Store) -> Gateway:
        return gateway_for(s, secrets, http, base_url)

    images, refs = container(env)
    return SendDependencies(
        stores=InMemoryStores([store]),
        catalog=catalog,
        profiles=profiles,
        ledger=DynamoSendLedger(SENDS_TABLE, env.dynamodb),
        gateway_for=gateway,
        limiter=DynamoRateLimiter(SENDS_TABLE, env.dynamodb),
        deferrals=RecordingDeferrals(),
        now=env.clock.now,
        sleep=time.sleep,
        tracking_base_url="https://t.nudge.example",
        images=images,
        gateway_images=refs,
    )


def jobs_for(store_id: str, tag: str, message: dict[str, Any], n: int, catalog: Any, profiles: Any,
             first_phone: int) -> list[SendJob]:  # fmt: skip
    catalog.put(store_id, CAMPAIGN, tag, {"message": message, "tracking": {}}, create=True)
    granted = datetime(2026, 1, 1, tzinfo=UTC)
    jobs = []
    for i in range(n):
        customer = f"{tag}-{i:05d}"
        profiles.profiles[(store_id, customer)] = Profile(
            store_id,
            customer,
            phone=f"+8210{first_phone + i:08d}",
            name="김하나",
            consents={c: Consent(True, granted, "signup-form") for c in ("sms", "kakao")},
            channel_friend=True,
        )
        jobs.append(SendJob(store_id=store_id, source=f"campaign:{tag}", occurrence="2026-03-18T03:00:00Z",
                            customer_id=customer, queued_at=NOON))  # fmt: skip
    return jobs


def refs_named(message: dict[str, Any]) -> list[str]:
    """The image refs one outbox message shows (the bubble's image, its cards', an MMS's picture)."""
    shown = [message.get("image"), *(card.get("image") for card in message.get("cards", []))]
    shown += message.get("images", []) if message.get("kind") == "MMS" else []
    return [str(image["ref"]) for image in shown if image]


_phones = iter(range(30_000_000, 99_000_000, 10_000))


def campaign(env: Aws, emulator: GatewayEmulator, base_url: str, local: LocalStore, name: str,
             message: dict[str, Any], images: int, n: int = N, workers: int = 1) -> Run:  # fmt: skip
    """Send one campaign to n recipients with `workers` containers at once; what it cost."""
    provider = local.store.gateway.provider if local.store.gateway else "?"
    tag = f"{provider}-{name.lower().replace('_', '-').replace(' ', '-')}-{workers}"
    catalog, profiles = InMemoryCatalog(), InMemoryProfiles()
    jobs = jobs_for(local.store.store_id, tag, message, n, catalog, profiles, next(_phones))
    requests = [0]
    lock = threading.Lock()

    def count(request: httpx.Request) -> None:
        with lock:
            requests[0] += 1

    http = httpx.Client(timeout=5.0, limits=httpx.Limits(max_connections=workers * 2),
                        event_hooks={"request": [count]})  # fmt: skip
    uploads_before = len(emulator.uploads)
    before = env.calls.snapshot()
    pending = list(jobs)
    states: Counter[str] = Counter()
    cpu: list[float] = []

    def work() -> None:
        deps = deps_for(env, local, http, base_url, catalog, profiles)  # one container
        started = time.thread_time()
        while True:
            with lock:
                if not pending:
                    break
                job = pending.pop()
            state = process(job, deps).state
            with lock:
                states[state] += 1
        with lock:
            cpu.append(time.thread_time() - started)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    http.close()
    calls = env.calls.snapshot() - before
    wanted = {send_id_of(j.send_key) for j in jobs}
    mine = [m for m in emulator.outbox if m.get("key") in wanted]
    counts = Counter(m["key"] for m in mine)
    uploads = emulator.uploads[uploads_before:]
    return Run(
        name=name,
        images=images,
        sent=len(counts),
        duplicates=sum(c - 1 for c in counts.values()),
        failed=Counter({s: c for s, c in states.items() if s != "sent"}),
        uploads=len(uploads),
        s3_reads=sum(c for (service, op), c in calls.items() if service == "s3" and op.endswith("GetObject")),
        requests=requests[0],
        dynamodb=Counter(
            {
                op.replace("bench-", "").replace(":", " "): c
                for (service, op), c in calls.items()
                if service == "dynamodb"
            }
        ),
        cpu=sum(cpu),
        named_refs={ref for m in mine for ref in refs_named(m)},
        uploaded_refs={u.ref for u in uploads},
    )


def report(run: Run, baseline: Run | None, broken: list[str], race: bool = False) -> None:
    """Two lines for a campaign; what breaks an invariant goes to `broken`."""
    sent = max(run.sent, 1)
    cpu = run.cpu / sent
    ratio = f" = {cpu / (baseline.cpu / baseline.sent):.2f} x {baseline.name}" if baseline else " (baseline)"
    print(
        f"  {run.name:<13} sent {run.sent}, duplicates {run.duplicates}; uploads {run.uploads} for "
        f"{run.images} image(s), S3 GetObject {run.s3_reads}; {run.requests / sent:.2f} gateway requests "
        f"a message; CPU {cpu * 1000:.2f} ms a message{ratio}"
    )
    by_op = ", ".join(f"{op} {c}" for op, c in sorted(run.dynamodb.items()))
    print(f"{'':16}{sum(run.dynamodb.values()) / sent:.2f} DynamoDB calls a message (in all: {by_op})")
    expected = RACE_RECIPIENTS if race else N
    problems = []
    if run.failed or run.sent != expected:
        problems.append(f"{run.sent} of {expected} sent, outcomes {dict(run.failed)}")
    if run.duplicates:
        problems.append(f"{run.duplicates} duplicate sends")
    # Each image is uploaded once, also by containers that miss a cold cache together: the first claims the
    # upload and the others wait for its ref (nudge.adapters.gateway_images).
    most = run.images
    if run.uploads > most:
        problems.append(f"{run.uploads} uploads for {run.images} images (at most {most})")
    if run.s3_reads != run.uploads:  # one read of the store's bytes for each upload, none otherwise
        problems.append(f"{run.s3_reads} S3 reads for {run.uploads} uploads")
    if len(run.named_refs) != run.images or not run.named_refs <= run.uploaded_refs:
        problems.append(f"messages name {len(run.named_refs)} refs, not the {run.images} uploaded")
    broken += [f"{run.name}: {p}" for p in problems]


def main() -> int:
    saved = aws.saved_environment()
    aws.start_server()
    broken: list[str] = []
    started = time.monotonic()
    try:
        dynamodb = boto3.client("dynamodb")
        s3 = boto3.client("s3")
        create_table(dynamodb, "StoresTable", STORES_TABLE)
        create_table(dynamodb, "SendsTable", SENDS_TABLE)
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": aws.AWS_ENV["AWS_REGION"]}
        )
        clock = RunningClock(NOON)
        env = Aws(dynamodb, s3, Calls(dynamodb, s3), clock)
        # The stores' images, as the admin API's upload stores them (bytes in S3, the record in the table).
        store_images = S3Images(BUCKET, STORES_TABLE, s3=s3, dynamodb=dynamodb)
        for local in (DOGDAY, MAPLE):
            for picture in (BANNER, *CARDS, PHOTO, RACE_BANNER):
                store_images.put(local.store.store_id, "bench", picture, NOON)
        emulator = gateway_emulator(clock.now)
        base_url = emulator.serve()
        print(f"rich messages: {N} recipients a campaign, one sender; gateway emulator and moto on sockets")
        for local in (DOGDAY, MAPLE):
            provider = local.store.gateway.provider if local.store.gateway else "?"
            print(f"{provider} ({local.store.store_id}):")
            text = campaign(env, emulator, base_url, local, "TEXT", TEXT, 0)
            report(text, None, broken)
            for name, message, images in (
                ("IMAGE", image_message(BANNER), 1),
                ("CAROUSEL_FEED", CAROUSEL, len(CARDS)),
            ):
                report(campaign(env, emulator, base_url, local, name, message, images), text, broken)
            lms = campaign(env, emulator, base_url, local, "LMS", LMS, 0)
            report(lms, None, broken)
            report(campaign(env, emulator, base_url, local, "MMS", MMS, 1), lms, broken)
            race = campaign(env, emulator, base_url, local, "IMAGE race", image_message(RACE_BANNER), 1,
                            n=RACE_RECIPIENTS, workers=WORKERS)  # fmt: skip
            print(f"  cold cache, {WORKERS} containers at once, {RACE_RECIPIENTS} recipients:")
            report(race, text, broken, race=True)
        emulator.stop()
    finally:
        aws.restore_environment(saved)
    print(f"({time.monotonic() - started:.1f} s)")
    for problem in broken:
        print(f"BROKEN {problem}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
