"""The demo month: one store, 5,000 customers, 30 days on the simulated clock (what `make run` shows).

Before the month starts, the store imports the members it already has and its marketer sets up, through
the admin API, the "Dog Day" promotion (seed 001's five recipes as campaigns, days 10-17). Then the
month's webhooks and tracker batches (local/nudge_local/month.py) arrive at their instants through the
HTTP API, while the runtime's pumps fire schedules and run queue consumers as AWS would. At the end it
prints a timeline of notable moments, a summary per campaign, and what the month would cost in AWS.
"""

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from nudge.segments.language import segment_json
from nudge.segments.templates import Promotion, promotion_recipes
from nudge_local import cost, month
from nudge_local.apigw import LOCAL_ADMIN_TOKEN

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
STORE = "dogday-mall"
ADMIN = {"authorization": f"Bearer {LOCAL_ADMIN_TOKEN}", "content-type": "application/json"}
PUMP_EVERY = timedelta(hours=3)  # queue consumers and schedules between arrivals, as AWS runs them
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
        _brand_ad("보시던 도그데이 상품, 오늘 안에 구매하면 무료배송이에요."),
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


def _set_up(admin: _Admin, plan: month.Month, result: MonthResult) -> None:
    for page in plan.import_pages:
        admin.call("POST", f"/admin/stores/{STORE}/members/import", page)
    recipes = promotion_recipes(PROMOTION)
    for recipe, (name, message, send) in CAMPAIGNS.items():
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


def run(customers: int = 5_000, seed: int = 2026, out: TextIO = sys.stdout) -> MonthResult:
    from nudge_local.runtime import LocalRuntime

    started = time.perf_counter()
    plan = month.build(customers, seed)
    result = MonthResult(customers=customers, imported=plan.imported)
    print(
        f"Nudge demo month: {STORE} with {customers:,} customers ({plan.imported:,} imported members, the "
        f"rest sign up), {month.DAYS} days from {plan.start:%Y-%m-%d}, Dog Day promotion on days "
        f"{first_day}-{last_day}; {len(plan.arrivals):,} webhooks and tracker batches",
        file=out,
    )
    with LocalRuntime(TEMPLATE, start=plan.start - timedelta(hours=2)) as runtime:
        admin = _Admin(runtime)
        _set_up(admin, plan, result)
        runtime.counters.reset()  # the month's cost, not the set-up's
        boundary = plan.start
        day = 0
        for n, arrival in enumerate(plan.arrivals, 1):
            while arrival.at >= boundary:
                runtime.advance_to(boundary)
                boundary += PUMP_EVERY
            arrival_day = (arrival.at - plan.start).days + 1
            if arrival_day != day:
                day = arrival_day
                _progress(out, day, n, started)
            runtime.clock.set(arrival.at)
            request = arrival.request
            answer = runtime.http(request.method, request.path, request.headers, request.body)
            result.requests[arrival.kind] += 1
            if answer.status != 200:
                result.refused[f"{answer.status} {arrival.kind}"] += 1
        runtime.advance_to(plan.end + timedelta(days=1))  # what the month set in motion finishes
        _progress(out, month.DAYS, len(plan.arrivals), started)
        out.write("\n")
        for campaign_id in result.campaigns:
            document = admin.call("GET", f"/admin/stores/{STORE}/campaigns/{campaign_id}")
            result.campaigns[campaign_id]["runs"] = document.get("runs", [])
        counters = runtime.counters
        result.webhooks = sum(counters.api_requests[name] for name in cost.INGESTION_FUNCTIONS)
        result.bill = cost.bill(counters, runtime.template, runtime.logs.bytes_written)
        result.profiles = _count_profiles(runtime)
    result.seconds = time.perf_counter() - started
    _timeline(result)
    report(result, out)
    return result


def _count_profiles(runtime: Any) -> int:
    client = runtime.client("dynamodb")
    total, start = 0, None
    while True:
        args = {"TableName": runtime.table_name("ProfilesTable"), "Select": "COUNT"}
        if start:
            args["ExclusiveStartKey"] = start
        page = client.scan(**args)
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return total


def _timeline(result: MonthResult) -> None:
    for info in result.campaigns.values():
        for run_info in info.get("runs", []):
            at = datetime.fromisoformat(run_info["occurrence"].replace("Z", "+00:00")).astimezone(month.KST)
            result.timeline.append((at, f"campaign “{info['name']}” ran: {run_info['targeted']:,} targeted"))
    result.timeline.sort()


def report(result: MonthResult, out: TextIO) -> None:
    print("\nTimeline", file=out)
    for at, what in result.timeline:
        print(f"  {at:%m-%d %H:%M}  {what}", file=out)
    print("\nThe month's traffic", file=out)
    print("  " + " · ".join(f"{kind} {n:,}" for kind, n in result.requests.most_common()), file=out)
    refused = sum(result.refused.values())
    print(f"  refused {refused:,}" + (f": {dict(result.refused)}" if refused else ""), file=out)
    print(f"  profiles {result.profiles:,}", file=out)
    print("\nCampaigns", file=out)
    for info in result.campaigns.values():
        targeted = sum(r["targeted"] for r in info.get("runs", []))
        print(f"  {info['name']:<24} runs {len(info.get('runs', [])):>2} · targeted {targeted:>6,}", file=out)
    print("", file=out)
    if result.bill is not None:
        for line in cost.render(
            result.bill, messages_sent=result.messages_sent, webhooks_received=result.webhooks
        ):
            print(line, file=out)
    print(f"\nFinished in {result.seconds:.1f} s", file=out)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="nudge local demo", description=__doc__)
    parser.add_argument("--customers", type=int, default=5_000, help="customers in the store (default 5,000)")
    parser.add_argument("--seed", type=int, default=2026, help="the month's random seed")
    args = parser.parse_args(argv)
    run(args.customers, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
