"""`nudge local storyline`: a short storyline of real-shaped storefront requests replayed through the real
handlers on the local runtime, and what it did to the customer profiles.

Two stores around the "Dog Day" promotion of 18 March 2026: `dogday-mall` on Cafe24 (plus the Nudge
format for its own Kakao consent form) and `maple-goods` on Shopify. Some webhooks arrive twice or out
of order, some are forged or malformed: the summary shows what was applied, what was ignored and why.
"""

import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from nudge.privacy import mask_name, mask_phone
from nudge.profiles.profile import Profile
from nudge_local.bill import cost
from nudge_local.demo import samples, text_width
from nudge_local.demo.samples import SampleRequest
from nudge_local.emulation.kms import reading_profiles

KST = ZoneInfo("Asia/Seoul")
START = datetime(2026, 3, 16, 9, 0, tzinfo=KST)


@dataclass(frozen=True)
class Step:
    at: datetime
    request: SampleRequest
    note: str = ""


def _at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=KST)


def storyline() -> list[Step]:
    """The requests, in the order they reach Nudge."""
    s = samples
    mug = [(51, 2, "15000.00")]
    jisoo = s.shopify_customer(7001, "Jisoo", "Park", "+82 10-0000-2001", _at(16, 10))
    minho = s.shopify_customer(7002, "Minho", "Lee", "010-0000-2002", _at(17, 20), sms="not_subscribed")
    jisoo_out = {
        **jisoo,
        "updated_at": _at(19, 9).isoformat(),
        "sms_marketing_consent": {"state": "unsubscribed", "consent_updated_at": _at(19, 9).isoformat()},
    }
    order_9001 = s.shopify_order(9001, jisoo, _at(16, 10, 40), mug, checkout_token="chk-1")
    oversized = SampleRequest(
        "POST",
        "/webhooks/cafe24/dogday-mall",
        {"content-type": "application/json", "x-api-key": "local-cafe24-app-key"},
        b'{"event_no":90143,"pad":"' + b"x" * 300_000 + b'"}',
        "cafe24 webhook of 300 KB",
    )
    xml = SampleRequest(
        "POST",
        "/webhooks/cafe24/dogday-mall",
        {"content-type": "text/xml", "x-api-key": "local-cafe24-app-key"},
        b"<event/>",
        "cafe24 webhook sent as XML",
    )
    broken = SampleRequest(
        "POST",
        "/webhooks/cafe24/dogday-mall",
        {"content-type": "application/json", "x-api-key": "local-cafe24-app-key"},
        b'{"event_no": 90023, "resource": {',
        "cafe24 truncated JSON",
    )
    kakao_consent = {
        "event_id": "form-77",
        "type": "consent.changed",
        "occurred_at": _at(18, 12, 30).isoformat(),
        "customer": {"id": "dogfan01", "channel_friend": True},
        "data": {"channel": "kakao", "granted": True},
    }
    bad_amount = {
        "event_id": "godo-9",
        "type": "order.placed",
        "occurred_at": _at(19, 10).isoformat(),
        "customer": {"id": "dogfan03"},
        "data": {"order_id": "G-9", "amount": "lots"},
    }
    replay = {**kakao_consent, "event_id": "form-78"}
    promo = [
        {"id": f"pv-{i}", "type": "page_view", "path": "/event/dogday", "dwell_seconds": 35 + i}
        for i in range(3)
    ]
    return [
        Step(
            _at(16, 9),
            s.cafe24_member_joined("dogfan01", "김민지", "010-0000-1001", _at(16, 9), True, False),
            "joins with SMS marketing consent",
        ),
        Step(
            _at(16, 9, 1),
            s.tracker_request(
                "v-7f3a",
                [{"id": "v1", "type": "visit"}, {"id": "v2", "type": "page_view", "path": "/product/12"}],
            ),
            "an anonymous visitor browses",
        ),
        Step(_at(16, 9, 5), s.cafe24_login("dogfan01")),
        Step(
            _at(16, 9, 6),
            s.tracker_request("v-7f3a", promo, member_id="dogfan01"),
            "promo page seen 3 times today",
        ),
        Step(_at(16, 9, 10), s.cafe24_added_to_cart("dogfan01", 12, 2)),
        Step(
            _at(16, 9, 30),
            s.cafe24_order_placed("20260316-0000031", "dogfan01", _at(16, 9, 30), 42000, ["P0000012"]),
        ),
        Step(
            _at(16, 9, 30, 20),
            s.cafe24_order_placed("20260316-0000031", "dogfan01", _at(16, 9, 30), 42000, ["P0000012"]),
            "Cafe24 delivers the same webhook again",
        ),
        Step(
            _at(16, 9, 31),
            s.cafe24_member_joined("dogfan02", "박서준", "010-0000-1002", _at(16, 9, 31), False, False),
            "joins without consent",
        ),
        Step(_at(16, 10), s.shopify_request("customers/create", jisoo, "ev-1001"), "subscribed to SMS"),
        Step(
            _at(16, 10, 20),
            s.shopify_request(
                "checkouts/create", s.shopify_checkout("chk-1", jisoo, _at(16, 10, 20), mug), "ev-1002"
            ),
        ),
        Step(
            _at(16, 10, 40),
            s.shopify_request("orders/create", order_9001, "ev-1003"),
            "completes checkout chk-1",
        ),
        Step(
            _at(16, 10, 41),
            s.shopify_request("orders/create", order_9001, "ev-1003"),
            "Shopify retries the same event id",
        ),
        Step(_at(17, 14), s.cafe24_shipping("20260316-0000031", "dogfan01", "M")),
        Step(
            _at(17, 15),
            s.shopify_request(
                "fulfillments/create", s.shopify_fulfillment(1, 9001, _at(17, 15), None), "ev-1004"
            ),
        ),
        Step(
            _at(17, 20),
            s.shopify_request(
                "checkouts/create", s.shopify_checkout("chk-2", minho, _at(17, 20), mug), "ev-1005"
            ),
            "a checkout that is never completed",
        ),
        Step(_at(18, 11), s.cafe24_shipping("20260316-0000031", "dogfan01", "T"), "delivered"),
        Step(
            _at(18, 11, 0, 5),
            s.cafe24_shipping("20260316-0000031", "dogfan01", "M"),
            "Cafe24 re-sends the in-transit webhook after delivery: the same delivery, nothing changes",
        ),
        Step(_at(18, 12), s.cafe24_member_changed("dogfan02", sms=True), "gives SMS consent later"),
        Step(
            _at(18, 12, 1),
            s.cafe24_member_joined("dogfan04", "정하은", "02-0000-1004", _at(18, 12, 1), True, False),
            "joins with a landline: applied without the number (SMS cannot reach it); the answer says why",
        ),
        Step(
            _at(18, 12, 5),
            s.cafe24_order_placed(
                "20260318-0000077",
                "",
                _at(18, 12, 5),
                18000,
                ["P0000031"],
                buyer_name="최유나",
                buyer_phone="010-0000-1003",
            ),
            "a guest order",
        ),
        Step(
            _at(18, 12, 30),
            s.nudge_request(kakao_consent, _at(18, 12, 30)),
            "the store's own Kakao consent form",
        ),
        Step(_at(18, 13), s.cafe24_request(90145, {"member_id": "dogfan09"}), "an event Nudge does not use"),
        Step(
            _at(19, 9), s.shopify_request("customers/update", jisoo_out, "ev-1006"), "unsubscribes from SMS"
        ),
        Step(
            _at(19, 9, 30),
            s.shopify_request(
                "fulfillments/update", s.shopify_fulfillment(1, 9001, _at(19, 9, 30), "delivered"), "ev-1007"
            ),
        ),
        Step(
            _at(19, 9, 40),
            s.shopify_request(
                "fulfillments/update", s.shopify_fulfillment(1, 9001, _at(18, 18), "in_transit"), "ev-1008"
            ),
            "a stale in-transit update (sent 03-18) arrives after delivery: the order stays delivered",
        ),
        # Requests Nudge must refuse, writing nothing.
        Step(_at(19, 10), s.cafe24_login("dogfan01", api_key="leaked-old-key"), "wrong Cafe24 app key"),
        Step(
            _at(19, 10),
            s.shopify_request("orders/create", order_9001, "ev-6666", secret="forged"),
            "forged Shopify HMAC",
        ),
        Step(_at(19, 10), s.cafe24_login("dogfan01", store_id="no-such-store"), "unknown store"),
        Step(_at(19, 10), broken, "malformed JSON"),
        Step(
            _at(19, 10),
            s.cafe24_request(90023, {"member_id": "dogfan01", "paid": "T"}),
            "order without order_id",
        ),
        Step(_at(19, 10), s.nudge_request(bad_amount, _at(19, 10)), "amount is not a number"),
        Step(_at(19, 10), s.nudge_request(replay, _at(19, 9, 50)), "signed 10 minutes ago (replay)"),
        Step(_at(19, 10), oversized, "over 256 KB"),
        Step(_at(19, 10), xml, "wrong content type"),
        Step(
            _at(19, 10),
            s.tracker_request("v-x", [{"id": "z", "type": "visit"}], origin="https://evil.example"),
            "tracker from another site",
        ),
    ]


def _who(request: SampleRequest) -> str:
    body: Any
    try:
        body = request.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    if "resource" in body:
        return str(body["resource"].get("member_id") or "guest")
    if "customer" in body and isinstance(body["customer"], dict):
        return str(body["customer"].get("id", ""))
    if "visitor_id" in body:
        return str(body.get("member_id") or f"anon:{body['visitor_id']}")
    return str(body.get("id", "")) if "order_id" not in body else f"order {body['order_id']}"


def _events_handed_on(status: int, body: bytes) -> int:
    """Events a 200 answer says were published (the automations consume the queue as they arrive)."""
    if status != 200:
        return 0
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return 0
    return len(data.get("events", [])) if data.get("status") == "applied" else 0


def _answer(status: int, body: bytes) -> tuple[str, str]:
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        data = {}
    if status == 200:
        events = Counter(data.get("events", []))
        listed = ", ".join(f"{t} ×{n}" if n > 1 else t for t, n in events.items())
        # Fields left out of the profile, and why (never their values).
        not_kept = "; ".join(f"{f['field']} not kept ({f['message']})" for f in data.get("not_kept", []))
        detail = " · ".join(part for part in (listed or str(data.get("reason", "")), not_kept) if part)
        return str(data.get("status")), detail
    return str(data.get("error", status)), str(data.get("message", ""))[:90]


def _profiles(runtime: Any) -> list[Profile]:
    table = runtime.table_name("ProfilesTable")
    client = runtime.client("dynamodb")
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    reader = reading_profiles(runtime.template, client, runtime.client("kms"))  # numbers opened, to mask
    out = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        for raw in page["Items"]:
            item = {k: deserializer.deserialize(v) for k, v in raw.items()}
            out.append(reader.profile_of(item["pk"].rsplit("#", 1)[0], item))
    return sorted(out, key=lambda p: (p.store_id, p.customer_id))


def _describe(profile: Profile) -> str:
    def day(at: datetime | None) -> str:
        return at.astimezone(KST).strftime("%m-%d %H:%M") if at else "-"

    consents = (
        " ".join(f"{ch}{'✓' if c.granted else '✗'}" for ch, c in sorted(profile.consents.items())) or "none"
    )
    parts = [f"{mask_phone(profile.phone)} {mask_name(profile.name)}", f"consent {consents}"]
    if profile.channel_friend:
        parts.append("Kakao channel friend")
    if profile.visit_count or profile.page_views:
        views = sum(n for paths in profile.page_views.values() for n in paths.values())
        parts.append(f"visits {profile.visit_count}, page views {views}")
    if profile.cart.item_count:
        parts.append(f"cart {profile.cart.item_count} items")
    if profile.checkout and not profile.checkout.completed_at:
        parts.append(f"checkout open since {day(profile.checkout.started_at)}")
    if profile.orders:
        statuses = ", ".join(f"{o.order_id} {o.status}" for o in profile.orders.values())
        parts.append(f"orders {profile.order_count} (₩{profile.order_amount:,.0f}): {statuses}")
    return " · ".join(parts)


def run(out: Any = sys.stdout) -> dict[str, Any]:
    from nudge_local.runtime.runtime import LocalRuntime

    steps = storyline()
    results: list[tuple[Step, int, str, str]] = []
    with LocalRuntime(start=START) as runtime:
        print("Nudge local runtime: demo storyline", file=out)
        print(
            "  AWS emulation (moto, in-process); tables, queues and schedule group from template.yaml",
            file=out,
        )
        print(
            "  stores: dogday-mall (Cafe24, Nudge format) · maple-goods (Shopify); clock starts "
            f"{START:%Y-%m-%d %H:%M} KST\n",
            file=out,
        )
        print(f"  {'when (KST)':<12} {'request':<36} {'customer':<18} answer", file=out)
        cell = text_width.left  # labels and customer ids may be Korean: two cells a letter
        handed_on = 0
        for step in steps:
            runtime.set_time(step.at)
            status, _headers, body = runtime.http(
                step.request.method, step.request.path, step.request.headers, step.request.body
            )
            outcome, detail = _answer(status, body)
            results.append((step, status, outcome, detail))
            handed_on += _events_handed_on(status, body)
            request, who = cell(step.request.label, 36), cell(_who(step.request), 18)
            line = f"  {step.at:%m-%d %H:%M}  {request} {who} {status} {outcome}"
            print(line + (f": {detail}" if detail else ""), file=out)
            if step.note:
                print(f"  {'':<12} ↳ {step.note}", file=out)

        profiles = _profiles(runtime)
        counters = runtime.counters
        webhooks = sum(counters.api_requests[name] for name in cost.INGESTION_FUNCTIONS)
        aws_bill = cost.bill(counters, runtime.template, runtime.logs.bytes_written)

    statuses = Counter(outcome for _, status, outcome, _ in results if status == 200)
    refused = Counter(f"{status} {outcome}" for _, status, outcome, _ in results if status != 200)
    print("\nWhat happened", file=out)
    print(
        f"  requests {len(results)} · applied {statuses['applied']}"
        f" · duplicates ignored {statuses['duplicate']} · events not used {statuses['ignored']}"
        f" · refused {sum(refused.values())}",
        file=out,
    )
    by_store = Counter(p.store_id for p in profiles)
    print(
        f"  profiles created {len(profiles)} ({', '.join(f'{s} {n}' for s, n in sorted(by_store.items()))})",
        file=out,
    )
    print(f"  normalized events handed on to the automations (EventsQueue): {handed_on}", file=out)
    print("  refused, and why (nothing was written for any of them):", file=out)
    for step, status, outcome, detail in results:
        if status != 200:
            print(f"    {status} {text_width.left(outcome, 22)} {step.note}: {detail}", file=out)
    print("\nProfiles (phone numbers and names masked, as in every log)", file=out)
    for profile in profiles:
        print(f"  {profile.store_id}/{profile.customer_id}", file=out)
        print(f"    {_describe(profile)}", file=out)
    print("\nAWS calls the local runtime served: " + _calls(counters), file=out)
    print("", file=out)
    for line in cost.render(aws_bill, messages_sent=0, webhooks_received=webhooks):
        print(line, file=out)
    return {"results": results, "profiles": profiles, "events_handed_on": handed_on, "bill": aws_bill}


def _calls(counters: Any) -> str:
    calls = getattr(counters, "aws_calls", None) or {}
    if not calls:
        return "(not counted)"
    return ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
