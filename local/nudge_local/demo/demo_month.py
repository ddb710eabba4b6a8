"""The demo month: one store, 5,000 customers, 30 days on the simulated clock (what `make run` shows).

Before the month starts, the store imports the members it already has and its marketer sets up, through
the admin API, the "Dog Day" promotion (seed 001's five recipes as campaigns, days 10-17). Then the
month's webhooks and tracker batches (local/nudge_local/demo/month.py) arrive at their instants through the
HTTP API, while the runtime's pumps fire schedules and run queue consumers as AWS would. The store's Cafe24
traffic goes through the local Cafe24 mall (`dogdaymall`, with the Nudge app installed): each change is made
on the mall at its instant and the webhooks the mall answers are posted, so Nudge's reads of the Admin API
(each order event, the 15-minute reconciliation) see what the webhooks say. At the end it prints a timeline
of notable moments, a summary per campaign, and what the month would cost in AWS.
"""

import base64
import heapq
import json
import random
import re
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from boto3.dynamodb.types import TypeDeserializer

from nudge.reports.sources import report_html
from nudge.segments.language import segment_json
from nudge.segments.templates import Promotion, promotion_recipes
from nudge_local.bill import cost
from nudge_local.demo import month, pictures, samples, text_width
from nudge_local.emulation import chaos, webhook_loss
from nudge_local.gateway.emulator import Faults
from nudge_local.runtime.apigw import LOCAL_ADMIN_TOKEN

STORE = "dogday-mall"
MALL = "dogdaymall"  # its Cafe24 mall
ADMIN = {"authorization": f"Bearer {LOCAL_ADMIN_TOKEN}", "content-type": "application/json"}
PUMP_EVERY = timedelta(hours=3)
REPORTS = Path("reports")  # where the HTML report is written (relative to where the demo runs)
CLICK_RATE = 0.12  # of the messages that reach a phone, how many get their link opened
ORDER_AFTER_CLICK = 0.25  # of the clicks, how many end in an order within two days
BLOCKS_CHANNEL = 5  # customers who block the store's Kakao channel mid-month (a gateway-side opt-out)
CALLS_080 = 3  # members who call the 080 number the opening notice ends with, to refuse the store's ads
_LINK = re.compile(
    r"https?://[^\s]+/r/([A-Za-z0-9_.~-]+)"
)  # queue consumers and schedules between arrivals, as AWS runs them
PROMOTION = Promotion(
    start=month.day_start(month.PROMOTION_DAYS[0]).date(),
    page_path=month.PROMOTION_PATH,
    products=tuple(month.cart_id(p) for p in month.PROMOTED),
)
PROMOTION_GROUP = "dogday-2026-03"
LANDING = "https://dogday.example/event/dogday"


def _sms_ad(text: str) -> dict[str, Any]:
    return {
        "message_class": "advertising",
        "channel": "sms",
        "content": f"[도그데이몰] {text} {LANDING}",
        "promotion_group": PROMOTION_GROUP,
    }


def _brand_ad(text: str) -> dict[str, Any]:
    return {
        "message_class": "advertising",
        "channel": "brand_message",
        "content": f"#{{name}}님, {text}",
        "buttons": [{"name": "기획전 보기", "type": "WL", "link_mo": LANDING}],
        "targeting": "I",
        "promotion_group": PROMOTION_GROUP,
        "fallback_sms": True,
    }


def _image_ad(text: str) -> dict[str, Any]:
    """A brand message with the Dog Day banner (an IMAGE bubble): the banner's id is filled in at set-up, once
    the banner is uploaded to the store's images."""
    return {**_brand_ad(text), "format": "IMAGE", "image": {"id": BANNER, "link": LANDING}}


BANNER = "<the Dog Day banner>"  # replaced by the uploaded image's id (_set_up)
BANNER_SIZE = (800, 400)  # Kakao's recommended IMAGE size (kakao-rich-messages.md §1.3)


def _day(n: int, hour: int) -> str:
    return (month.day_start(n) + timedelta(hours=hour)).isoformat()


def _dates(first: int, last: int) -> tuple[str, str]:
    return month.day_start(first).date().isoformat(), month.day_start(last).date().isoformat()


# recipe -> (campaign name, message, send mode): seed 001's five ways to run a promotion.
first_day, last_day = month.PROMOTION_DAYS
CAMPAIGNS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "1_all_members": (
        "도그데이 오픈 알림",
        _sms_ad("도그데이 기획전 오픈! 강아지 침대·간식 최대 40% 할인"),
        {"mode": "reserved", "at": _day(first_day, 10)},
    ),
    "2_not_back_since_start": (
        "기획전 미방문 고객 리마인드",
        _sms_ad("아직 도그데이 기획전을 못 보셨나요? 오늘까지 추가 쿠폰"),
        {"mode": "reserved", "at": _day(first_day + 3, 12)},
    ),
    "3_page_repeat_viewers": (
        "기획전 관심 고객 구매 넛지",
        _image_ad("보시던 도그데이 상품, 오늘 안에 구매하면 무료배송이에요."),
        {
            "mode": "recurring",
            "cron": "0 20 ? * * *",
            "start": _dates(first_day, last_day)[0],
            "end": _dates(first_day, last_day)[1],
        },
    ),
    "4_cart_reminder": (
        "기획전 장바구니 리마인드",
        _sms_ad("장바구니에 담은 상품이 기다리고 있어요. 도그데이 할인은 곧 끝나요"),
        {
            "mode": "recurring",
            "cron": "0 19 ? * * *",
            "start": _dates(first_day + 1, last_day)[0],
            "end": _dates(first_day + 1, last_day)[1],
        },
    ),
    "5_product_cart_reminder": (
        "기획전 상품 장바구니 리마인드",
        _sms_ad("담아두신 강아지 침대·간식, 도그데이 마지막 날 특가!"),
        {"mode": "reserved", "at": _day(last_day, 11)},
    ),
}


# The ready-made automations the store runs all month (docs/automations.md), with their parameters.
AUTOMATIONS: dict[str, dict[str, Any]] = {
    "review_request": {},
    "shipping_started": {},
    "cart_reminder": {"channel": "sms"},
    "checkout_abandoned": {"channel": "sms"},
    "unpaid_order": {},
    "welcome": {},
    "repurchase_reminder": {"channel": "sms"},
    "consent_result": {},
}


@dataclass
class MonthResult:
    customers: int
    imported: int
    requests: Counter[str] = field(default_factory=Counter)  # by kind
    refused: Counter[str] = field(default_factory=Counter)  # "400 visit" -> n
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    automations: dict[str, dict[str, Any]] = field(default_factory=dict)
    timeline: list[tuple[datetime, str]] = field(default_factory=list)
    seconds: float = 0.0
    bill: cost.Bill | None = None
    messages_sent: int = 0
    fell_back: int = 0
    clicks: int = 0
    orders_after_click: int = 0
    opted_out: list[str] = field(default_factory=list)
    called_080: list[str] = field(default_factory=list)  # customers who called the store's 080 number
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)  # source -> the admin API's report
    report_path: Path | None = None
    why: dict[str, dict[str, Any]] = field(default_factory=dict)  # customer -> the admin API's answer
    retried: int = 0  # webhook deliveries repeated after a 5xx
    redriven: Counter[str] = field(default_factory=Counter)  # dead-letter messages moved back, by queue
    crashes: int = 0
    redeliveries: int = 0
    service_errors: Counter[str] = field(default_factory=Counter)  # injected DynamoDB / Scheduler errors
    function_errors: Counter[str] = field(default_factory=Counter)  # failed invocations, by function
    firings: Counter[str] = field(default_factory=Counter)  # schedule firings by outcome (delivered, ...)
    capture: dict[str, Any] = field(default_factory=dict)  # the state the drills compare (_capture)
    withdrawn_by_080: int = 0  # of those who called the 080 number, SMS ad consents withdrawn by its list
    cafe24_lost: Counter[int] = field(default_factory=Counter)  # Cafe24 webhooks a drill lost, by event
    webhooks: int = 0
    profiles: int = 0


class _Admin:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    def call(self, method: str, path: str, body: Any = None) -> Any:
        raw = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        result = self.runtime.http(method, path, ADMIN, raw)
        if result.status >= 300:
            raise RuntimeError(f"{method} {path}: {result.status} {result.body[:300]!r}")
        return json.loads(result.body) if result.body else None


def _set_up_mall(runtime: Any) -> Any:
    """dogday-mall's Cafe24 mall before the month: the Nudge app installed, the products put on sale at the
    month's prices (their webhooks posted), and the members the store already had (they joined before the
    app was there: no webhook). Answers the mall."""
    installed = runtime.install_cafe24(STORE)
    if installed.status != 200:
        raise RuntimeError(
            f"the Cafe24 app was not installed on {STORE}: {installed.status} {installed.body!r}"
        )
    return runtime.cafe24.mall(MALL)


def _put_products(runtime: Any, mall: Any) -> None:
    for number, name, price in month.catalog():
        payload = mall.put_product(number, name, price, stock=1_000)
        answer = runtime.http(*_post(samples.cafe24_request(payload["event_no"], payload["resource"])))
        if answer.status != 200:
            raise RuntimeError(f"product {number}: {answer.status} {answer.body[:300]!r}")


def _add_members(mall: Any, plan: month.Month) -> None:
    for page in plan.import_pages:
        for member in page["members"]:
            consents = member["consents"]
            mall.add_member(
                member["customer_id"], member["name"], member["phone"], member["email"],
                sms=consents["sms"]["granted"], news_mail=consents["email"]["granted"],
                created_at=datetime.fromisoformat(member["signed_up_at"]),
            )  # fmt: skip
    mall.webhooks.clear()  # they joined before the app was installed: nothing was sent


def _post(request: samples.SampleRequest) -> tuple[str, str, dict[str, str], bytes]:
    return request.method, request.path, request.headers, request.body


def _set_up(admin: _Admin, plan: month.Month, result: MonthResult) -> None:
    for page in plan.import_pages:
        admin.call("POST", f"/admin/stores/{STORE}/members/import", page)
    recipes = promotion_recipes(PROMOTION)
    banner = admin.call(
        "POST",
        f"/admin/stores/{STORE}/images",
        {"name": "dogday-banner.png", "data": base64.b64encode(pictures.png(*BANNER_SIZE)).decode()},
    )
    for recipe, (name, message, send) in CAMPAIGNS.items():
        if message.get("image", {}).get("id") == BANNER:
            message = {**message, "image": {**message["image"], "id": banner["image_id"]}}
        segment_id = "dogday-" + recipe.split("_", 1)[0]
        admin.call(
            "POST",
            f"/admin/stores/{STORE}/segments",
            {"segment_id": segment_id, "name": name, "definition": segment_json(recipes[recipe])},
        )
        created = admin.call(
            "POST",
            f"/admin/stores/{STORE}/campaigns",
            {"name": name, "segment_id": segment_id, "message": message, "send": send,
             "tracking": {"landing_url": LANDING, "utm_campaign": "dogday-2026", "login_required": False}},
        )  # fmt: skip
        result.campaigns[created["campaign_id"]] = {"name": name, "recipe": recipe}
    admin.call("POST", f"/admin/stores/{STORE}/repurchase-cycles/learn")  # from the imported orders
    for template, params in AUTOMATIONS.items():
        installed = admin.call(
            "POST", f"/admin/stores/{STORE}/automation-templates/{template}", {"params": params}
        )
        result.automations[installed["automation_id"]] = {"name": installed["name"], "template": template}


def _progress(out: TextIO, day: int, sent: int, started: float) -> None:
    out.write(f"\r  day {day:>2}/{month.DAYS} · {sent:,} requests · {time.perf_counter() - started:5.1f} s")
    out.flush()


@dataclass(frozen=True)
class Drill:
    """How the reliability drills disturb a month (the demo itself runs with none of it)."""

    deliveries: int = 1  # every webhook delivered this many times ...
    jitter: timedelta = timedelta(0)  # ... each copy up to this much later, so some arrive out of order
    crash_rate: float = 0.0  # a function dies before this share of its AWS requests
    redeliver_rate: float = 0.0  # SQS delivers this share of handled messages again
    gateway: Faults | None = None  # the gateway's errors and timeouts
    # DynamoDB answers this share of the functions' request attempts with a throttle (or a 500), and
    # EventBridge Scheduler with a throttle, a 500 or (creating a schedule) a conflict: botocore retries
    # them as in Lambda, so only some reach the code (emulation/chaos.py)
    dynamodb_error_rate: float = 0.0
    scheduler_error_rate: float = 0.0
    clicks: bool = True  # customers open links (off when two runs must send the same messages)
    # Cafe24 loses this share of its webhooks (emulation/webhook_loss.py): of the events its reconciliation
    # reads back unless `drop_cafe24_events` says which (None: any event)
    drop_cafe24_webhooks: float = 0.0
    drop_cafe24_events: frozenset[int] | None = webhook_loss.RECOVERABLE
    keep_logs: bool = False  # keep every log line (the privacy audit reads them all)
    capture: bool = (
        False  # read back every profile, the ledger and the outbox at the end (what drills compare)
    )


WEBHOOK_RETRIES = 8  # a platform delivers a webhook again after a 5xx (Cafe24 and Shopify retry for hours)


def run(
    customers: int = 5_000,
    seed: int = 2026,
    out: TextIO = sys.stdout,
    why: list[str] | None = None,
    drill: Drill | None = None,
    pump_every: timedelta = PUMP_EVERY,
) -> MonthResult:
    drill = drill or Drill()

    started = time.perf_counter()
    plan = month.build(customers, seed)
    result = MonthResult(customers=customers, imported=plan.imported)
    print(
        f"Nudge demo month: {STORE} with {customers:,} customers ({plan.imported:,} imported members, the "
        f"rest sign up), {month.DAYS} days from {plan.start:%Y-%m-%d}, Dog Day promotion on days "
        f"{first_day}-{last_day}; {len(plan.arrivals):,} webhooks and tracker batches",
        file=out,
    )
    loss = webhook_loss.WebhookLoss(drill.drop_cafe24_webhooks, seed, drill.drop_cafe24_events)
    return _run(plan, result, loss, seed, out, why, drill, pump_every, started)


def _run(
    plan: month.Month,
    result: MonthResult,
    loss: webhook_loss.WebhookLoss,
    seed: int,
    out: TextIO,
    why: list[str] | None,
    drill: Drill,
    pump_every: timedelta,
    started: float,
) -> MonthResult:
    from nudge_local.runtime.runtime import LocalRuntime

    rng = random.Random(seed)
    with LocalRuntime(start=plan.start - timedelta(hours=2)) as runtime:
        admin = _Admin(runtime)
        mall = _set_up_mall(runtime)
        _add_members(mall, plan)
        _put_products(runtime, mall)
        _set_up(admin, plan, result)
        runtime.counters.reset()  # the month's cost, not the set-up's
        # What arrives: the month's requests, plus what customers do with the messages they get (a
        # click, sometimes an order) and a few who block the channel: all in order of time.
        # A Cafe24 arrival is a change to the mall (month.MallAction), made when it comes up; the webhooks
        # it answers are then delivered as the others are.
        pending: list[tuple[datetime, int, str, str, samples.SampleRequest | month.MallAction]] = []
        jitter = random.Random(seed + 1)  # apart from `rng`: a drill must not change what customers do
        if drill.keep_logs:
            runtime.logs.lines = deque(runtime.logs.lines)
        for i, a in enumerate(plan.arrivals):
            if a.action is not None:
                pending.append((a.at, i * drill.deliveries, a.kind, a.customer_id, a.action))
                continue
            assert a.request is not None
            for copy in range(drill.deliveries):
                spread = drill.jitter.total_seconds()
                late = timedelta(seconds=jitter.uniform(0, spread)) if copy else timedelta(0)
                pending.append((a.at + late, i * drill.deliveries + copy, a.kind, a.customer_id, a.request))
        heapq.heapify(pending)
        seq = len(plan.arrivals) * drill.deliveries  # past every order number given above
        attempts: Counter[int] = Counter()
        received: Counter[tuple[str, str]] = Counter()  # per customer and message text
        clicked: Counter[str] = Counter()  # per customer
        if drill.gateway is not None and runtime.gateway is not None:
            runtime.gateway.set_faults(drill.gateway)
        plan_of_faults = chaos.FaultPlan(
            drill.crash_rate,
            drill.redeliver_rate,
            seed,
            dynamodb_error_rate=drill.dynamodb_error_rate,
            scheduler_error_rate=drill.scheduler_error_rate,
        )
        chaos.activate(plan_of_faults)
        block_day = month.day_start(20) + timedelta(hours=10)
        call_080_at = month.day_start(month.PROMOTION_DAYS[0] + 1) + timedelta(hours=12, minutes=30)
        boundary, day, handled, seen_outbox = plan.start, 0, 0, 0
        blocked_done = called_done = False
        while pending:
            at, order, kind, customer_id, request = heapq.heappop(pending)
            while at >= boundary:
                runtime.advance_to(boundary)
                boundary += pump_every
                # Customers open some of the messages that reached them.
                outbox = runtime.gateway.outbox if runtime.gateway else []
                for message in outbox[seen_outbox:]:
                    link = _LINK.search(str(message.get("text") or ""))
                    customer = _customer_of(str(message.get("to", "")))
                    # The message as the customer sees it, without its per-run link token.
                    seen = (customer or "", _LINK.sub("", str(message.get("text") or "")))
                    received[seen] += 1
                    reader = _chances(seed, "click", *seen, str(received[seen]))
                    if drill.clicks and link and customer and reader.random() < CLICK_RATE:
                        click_at = datetime.fromisoformat(message["at"]) + timedelta(
                            minutes=reader.randrange(1, 240)
                        )
                        click = samples.SampleRequest("GET", f"/r/{link.group(1)}", {}, b"", "click")
                        seq += 1
                        heapq.heappush(pending, (max(click_at, at), seq, "click", customer, click))
                seen_outbox = len(outbox)
            if not called_done and at >= call_080_at:
                called_done = True
                runtime.advance_to(max(call_080_at, runtime.clock.now()))
                result.called_080 = _call_080(runtime, seed, plan, runtime.clock.now())
                result.timeline.append(
                    (
                        call_080_at,
                        f"{len(result.called_080)} customers called the store's 080 number to refuse ads",
                    )
                )
            if not blocked_done and at >= block_day:
                blocked_done = True
                result.opted_out = _block_channel(runtime, rng, plan)
                result.timeline.append(
                    (block_day, f"{len(result.opted_out)} customers blocked the store's Kakao channel")
                )
            arrival_day = (at - plan.start).days + 1
            if arrival_day != day:
                day = arrival_day
                _progress(out, min(day, month.DAYS), handled, started)
            runtime.clock.set(max(at, runtime.clock.now()))
            if isinstance(request, month.MallAction):
                try:
                    payloads = request.on(mall, runtime.clock.now())
                except (KeyError, ValueError):  # the mall refuses it (an order of a member it does not have)
                    result.refused[f"mall {kind}"] += 1
                    continue
                for payload in payloads:
                    if loss.drops(payload):
                        continue
                    posted = samples.cafe24_request(payload["event_no"], payload["resource"])
                    for copy in range(drill.deliveries):
                        spread = drill.jitter.total_seconds()
                        late = timedelta(seconds=jitter.uniform(0, spread)) if copy else timedelta(0)
                        seq += 1
                        heapq.heappush(pending, (at + late, seq, kind, customer_id, posted))
                continue
            answer = runtime.http(request.method, request.path, request.headers, request.body)
            handled += 1
            result.requests[kind] += 1
            if kind == "click":
                result.clicks += 1
                clicked[customer_id] += 1
                buyer = _chances(seed, "order", customer_id, str(clicked[customer_id]))
                if answer.status == 302 and buyer.random() < ORDER_AFTER_CLICK:
                    seq += 1
                    order_at = at + timedelta(minutes=buyer.randrange(5, 2880))
                    product = buyer.choice(month.PROMOTED)
                    placed = month.MallAction(
                        "place_order", (f"C{seq:08d}", customer_id, ((month.product_no(product), 1),))
                    )
                    heapq.heappush(pending, (order_at, seq, "order after a click", customer_id, placed))
                    result.orders_after_click += 1
            elif answer.status >= 500 and attempts[order] < WEBHOOK_RETRIES:
                attempts[order] += 1  # the platform tries again a minute later
                result.retried += 1
                heapq.heappush(pending, (at + timedelta(minutes=1), order, kind, customer_id, request))
            elif answer.status not in (200, 302):
                result.refused[f"{answer.status} {kind}"] += 1
        runtime.advance_to(max(plan.end, runtime.clock.now()) + timedelta(days=1))  # what was set in motion
        chaos.activate(None)
        result.cafe24_lost = Counter(loss.lost_events)
        result.crashes, result.redeliveries = plan_of_faults.crashes, plan_of_faults.redeliveries
        result.service_errors = Counter(plan_of_faults.errors)
        if runtime.gateway is not None:
            runtime.gateway.set_faults(Faults())
        runtime.run_until_idle()
        if drill.dynamodb_error_rate or drill.scheduler_error_rate or drill.crash_rate:
            # A daily job the faults failed on the last morning (the 080 list's read, retried twice by
            # Scheduler) runs again the next morning, reading from its cursor: that day comes too.
            runtime.advance_to(runtime.clock.now() + timedelta(days=1))
        # What faults left in dead-letter queues is moved back (README: "Redrive") and finishes now.
        for _ in range(3):
            moved = runtime.redrive_dead_letters()
            if not moved:
                break
            result.redriven.update(moved)
            runtime.advance_to(runtime.clock.now() + timedelta(hours=1))
        if drill.capture:
            result.capture = _capture(runtime)
        result.withdrawn_by_080 = _withdrawn_by_080(runtime, result.called_080)
        _progress(out, month.DAYS, handled, started)
        out.write("\n")
        for campaign_id in result.campaigns:
            document = admin.call("GET", f"/admin/stores/{STORE}/campaigns/{campaign_id}")
            result.campaigns[campaign_id]["runs"] = document.get("runs", [])
        pages = []
        for kind, sources in (("campaign", result.campaigns), ("automation", result.automations)):
            for source_id, info in sources.items():
                data = admin.call("GET", f"/admin/stores/{STORE}/reports/{kind}/{source_id}")
                result.reports[f"{kind}:{source_id}"] = data
                # The admin API's page of the same report (…/page renders it so), without reading the month
                # a second time.
                pages.append((info["name"], report_html(info["name"], data)))
        result.report_path = _write_report(pages)
        outbox = runtime.gateway.outbox if runtime.gateway else []
        result.messages_sent = len(outbox)
        result.fell_back = sum(1 for m in outbox if m.get("fallback"))
        counters = runtime.counters
        result.function_errors = Counter({n: f.errors for n, f in counters.functions.items() if f.errors})
        result.firings = Counter(firing.outcome for firing in runtime.scheduler.firings)
        result.webhooks = sum(counters.api_requests[name] for name in cost.INGESTION_FUNCTIONS)
        result.bill = cost.bill(counters, runtime.template, runtime.logs.bytes_written)
        result.profiles = _count_profiles(runtime)
        asked = why if why is not None else _interesting(result, outbox)
        for customer_id in asked:
            result.why[customer_id] = admin.call("GET", f"/admin/stores/{STORE}/customers/{customer_id}/why")
    result.seconds = time.perf_counter() - started
    _timeline(result)
    report(result, out)
    return result


def _interesting(result: MonthResult, outbox: list[dict[str, Any]]) -> list[str]:
    """Whom the demo explains when not asked: someone who called the 080 number, someone who got a
    message."""
    chosen = result.called_080[:1]
    for message in outbox:
        customer = _customer_of(str(message.get("to", "")))
        if customer and customer not in chosen:
            return [*chosen, customer]
    return chosen


def print_why(answer: dict[str, Any], out: TextIO) -> None:
    """The decision chain as a marketer reads it (the admin API's /customers/{id}/why, in text)."""
    consents = ", ".join(
        f"{channel} {'✓' if c['granted'] else '✗'} ({c['at'][:10]}, {c['source']})"
        for channel, c in answer["consents"].items()
    )
    print(
        f"\n  {answer['customer_id']} {answer['phone']} {answer['name']} · consents: {consents or 'none'}",
        file=out,
    )
    for message in answer["messages"]:
        step = f" · step {message['step']}" if "step" in message else ""
        print(f"    {message['name']}{step} ({message['occurrence']}): {message['state']}", file=out)
        for link in message["chain"]:
            detail = link.get("detail") or link.get("decision") or link.get("result") or ""
            reasons = "; ".join(r["meaning"] for r in link.get("reasons", []))
            extra = f" — {reasons}" if reasons else ""
            if link.get("code"):
                extra += f" (gateway code {link['code']})"
            if link.get("fell_back"):
                extra += f" ({link['fell_back']})"
            print(f"      · {link['step']}: {detail}{extra}", file=out)
    for campaign in answer["campaigns_not_sent"]:
        now = "in its segment now" if campaign["in_segment_now"] else "not in its segment now"
        print(f"    {campaign['name']}: not sent — {campaign['why']} ({now})", file=out)


def _customer_of(number: str) -> str | None:
    """dogday-mall's customers have the test numbers 010-0000-0001 to -5000 (month.py; maple-goods' come
    after); the gateway shows digits."""
    digits = re.sub(r"\D", "", number)
    if digits.startswith("82"):
        digits = "0" + digits[2:]
    if not digits.startswith("010") or len(digits) != 11 or int(digits[-4:]) > 5000:
        return None
    return f"dd{int(digits[-4:]):05d}"


def _chances(seed: int, *about: str) -> random.Random:
    """What one customer does with one message, drawn from the seed and the message itself: the same in
    every run, whatever order the runtime happened to handle the month's work in."""
    return random.Random(f"{seed}|{'|'.join(about)}")


def _block_channel(runtime: Any, rng: random.Random, plan: month.Month) -> list[str]:
    """A few members block the store's Kakao channel: the gateway answers 3020 from then on."""
    members = [m for page in plan.import_pages for m in page["members"] if m.get("channel_friend")]
    chosen = rng.sample(members, min(BLOCKS_CHANNEL, len(members)))
    if runtime.gateway is not None:
        runtime.gateway.blocked |= {re.sub(r"\D", "", m["phone"]) for m in chosen}
    return [m["customer_id"] for m in chosen]


def _call_080(runtime: Any, seed: int, plan: month.Month, at: datetime) -> list[str]:
    """A few members who got the opening notice call the free 080 number it ends with: NHN puts them on the
    store's opt-out list (and refuses the store's ad SMS to them from then on); Nudge reads the list the
    next morning and withdraws their SMS ad consent."""
    members = [m for page in plan.import_pages for m in page["members"] if m["consents"]["sms"]["granted"]]
    chosen = _chances(seed, "080").sample(members, min(CALLS_080, len(members)))
    if runtime.gateway is not None:
        for member in chosen:
            runtime.gateway.optout_080[re.sub(r"\D", "", member["phone"])] = at
    return [m["customer_id"] for m in chosen]


def _write_report(pages: list[tuple[str, str]]) -> Path:
    """One HTML file with every campaign's and automation's report page (as the admin API renders them)."""
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / "demo-month.html"
    bodies = []
    for _, page in pages:
        body = page.split("<body", 1)[-1].split(">", 1)[-1].rsplit("</body>", 1)[0]
        bodies.append(f"<section style='border-bottom:1px solid #ccc;padding-bottom:1em'>{body}</section>")
    path.write_text(
        "<!doctype html><html lang=ko><meta charset=utf-8><title>Nudge demo month</title>"
        "<body style='font-family:sans-serif;max-width:760px;margin:2em auto'>"
        f"<h1>Nudge demo month · {STORE}</h1>" + "".join(bodies) + "</body></html>",
        encoding="utf-8",
    )
    return path


def _capture(runtime: Any) -> dict[str, Any]:
    """What the drills compare between runs and audit: profiles, the outbox, the ledger, the dead-letter
    queues and every log line."""
    from nudge.adapters.ledger import from_item as send_record
    from nudge.adapters.ledger import send_pk
    from nudge_local.emulation.kms import reading_profiles

    deserializer = TypeDeserializer()
    reader = reading_profiles(runtime.template, runtime.client("dynamodb"), runtime.client("kms"))

    def items(table: str) -> list[dict[str, Any]]:
        return [item for page in _scan(runtime, table) for item in page["Items"]]

    profiles = {}
    for raw in items("ProfilesTable"):
        item = {k: deserializer.deserialize(v) for k, v in raw.items()}
        profile = reader.profile_of(str(item["pk"]).split("#", 1)[0], item)
        profiles[(profile.store_id, profile.customer_id)] = profile
    ledger = [send_record(raw) for raw in items("SendsTable") if raw["pk"]["S"].startswith(send_pk(""))]
    dead_letters = {
        name: runtime.queue_depth(name) for name in runtime.template.queues if "DeadLetter" in name
    }
    return {
        "profiles": profiles,
        "outbox": list(runtime.gateway.outbox) if runtime.gateway else [],
        "gateway_requests": list(runtime.gateway.requests) if runtime.gateway else [],
        "ledger": ledger,
        "dead_letters": dead_letters,
        "logs": list(runtime.logs.lines),
        # Every table's items as DynamoDB holds them (its JSON), by the template's logical id.
        "tables": {name: items(name) for name in sorted(runtime.template.tables)},
    }


def _withdrawn_by_080(runtime: Any, customers: list[str]) -> int:
    """How many of these customers' SMS ad consents the 080 list withdrew (their profiles say so)."""
    from nudge.adapters.dynamodb import DynamoProfileRepository

    profiles = DynamoProfileRepository(
        runtime.table_name("ProfilesTable"), runtime.table_name("EventsTable"), runtime.client("dynamodb")
    )
    withdrawn = 0
    for customer_id in customers:
        profile = profiles.load(STORE, customer_id)
        consent = profile.consents.get("sms") if profile is not None else None
        withdrawn += bool(consent and ":080:" in consent.source)
    return withdrawn


def _scan(runtime: Any, table: str, **args: Any) -> Any:
    """Every page of a scan of one of the template's tables."""
    paginator = runtime.client("dynamodb").get_paginator("scan")
    return paginator.paginate(TableName=runtime.table_name(table), **args)


def _count_profiles(runtime: Any) -> int:
    return sum(page["Count"] for page in _scan(runtime, "ProfilesTable", Select="COUNT"))


def _timeline(result: MonthResult) -> None:
    for info in result.campaigns.values():
        for run_info in info.get("runs", []):
            at = datetime.fromisoformat(run_info["occurrence"].replace("Z", "+00:00")).astimezone(month.KST)
            targeted = run_info.get("targeted")
            done = f"{targeted:,} targeted" if targeted is not None else "did not finish"
            if left_out := run_info.get("left_out"):
                reasons = ", ".join(f"{reason} {n:,}" for reason, n in sorted(left_out.items()))
                done += f", {sum(left_out.values()):,} left out before any send ({reasons})"
            result.timeline.append((at, f"campaign “{info['name']}” ran: {done}"))
    result.timeline.sort()


NAME_CELLS = 32  # at most: the name column is as wide as the longest name (Korean takes two cells a letter)


def _row(name: str, data: dict[str, Any], cells: int) -> str:
    suppressed = sum(data["suppressed_by_reason"].values())
    deferred = sum(data["deferred_by_reason"].values())
    stopped = data.get("stopped", 0)  # an automation's steps stopped before any send: the journey ended
    return (
        f"  {text_width.left(name, cells)} {data['targeted']:>8,} {suppressed:>10,} {deferred:>8,} "
        f"{stopped:>7,} {data['sent']:>6,} {data['delivered']:>9,} {data['fell_back']:>6,} "
        f"{data['clicked']:>7,} {data['converted']:>9,} {'₩' + format(int(float(data['revenue'])), ','):>12}"
    )


def _table(result: MonthResult) -> list[str]:
    """The campaigns and automations, one row each, from the admin API's reports."""
    rows = [
        (info["name"], data)
        for kind, sources in (("campaign", result.campaigns), ("automation", result.automations))
        for source_id, info in sources.items()
        if (data := result.reports.get(f"{kind}:{source_id}"))
    ]
    cells = min(max([text_width.width(name) for name, _ in rows] + [8]), NAME_CELLS)
    header = (
        f"  {text_width.left('', cells)} {'targeted':>8} {'suppressed':>10} {'deferred':>8} {'stopped':>7} "
        f"{'sent':>6} {'delivered':>9} {'f.back':>6} {'clicked':>7} {'converted':>9} {'revenue':>12}"
    )
    return [header, *(_row(name, data, cells) for name, data in rows)]


def report(result: MonthResult, out: TextIO) -> None:
    print("\nTimeline", file=out)
    for at, what in result.timeline:
        print(f"  {at:%m-%d %H:%M}  {what}", file=out)
    print("\nThe month's traffic", file=out)
    print("  " + " · ".join(f"{kind} {n:,}" for kind, n in result.requests.most_common()), file=out)
    refused = sum(result.refused.values())
    print(f"  refused {refused:,}" + (f": {dict(result.refused)}" if refused else ""), file=out)
    if result.cafe24_lost:
        lost = ", ".join(f"{event} ×{n}" for event, n in sorted(result.cafe24_lost.items()))
        print(f"  Cafe24 webhooks lost (a drill) {result.cafe24_lost.total():,}: {lost}", file=out)
    print(f"  profiles {result.profiles:,}", file=out)
    print("\nCampaigns and automations (from the admin API's reports)", file=out)
    for line in _table(result):
        print(line, file=out)
    reasons: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for data in result.reports.values():
        reasons.update(data["suppressed_by_reason"])
        reasons.update({f"deferred:{k}": v for k, v in data["deferred_by_reason"].items()})
        reasons.update({f"stopped:{k}": v for k, v in data.get("stopped_by_reason", {}).items()})
        failed.update(data["failed_by_code"])
    if reasons:
        print(
            "  suppressed / deferred / stopped by reason: "
            + ", ".join(f"{k} {v:,}" for k, v in reasons.most_common()),
            file=out,
        )
    if failed:
        print("  failed at the gateway by code: " + ", ".join(f"{k} {v:,}" for k, v in failed.most_common()),
              file=out)  # fmt: skip
    if result.called_080:
        print(
            f"  080 opt-outs: {len(result.called_080)} called the store's 080 number; reading NHN's list "
            f"each morning withdrew {result.withdrawn_by_080} SMS ad consents, each with one consent-result "
            "notice",
            file=out,
        )
    print(
        f"\n  messages that reached a phone {result.messages_sent:,} (SMS fallbacks {result.fell_back:,})"
        f" · clicks {result.clicks:,} · orders after a click {result.orders_after_click:,}",
        file=out,
    )
    if result.report_path is not None:
        print(f"  HTML report: {result.report_path}", file=out)
    if result.why:
        print("\nWhy was this sent / not sent? (GET /admin/stores/{store}/customers/{id}/why)", file=out)
        for answer in result.why.values():
            print_why(answer, out)
    print("", file=out)
    if result.bill is not None:
        lines = cost.render(
            result.bill, messages_sent=result.messages_sent, webhooks_received=result.webhooks
        )
        for line in lines:
            print(line, file=out)
    print(f"\nFinished in {result.seconds:.1f} s", file=out)
