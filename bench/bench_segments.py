"""Segment evaluation over a whole store: 1,000,000 profiles as DynamoDB returns them.

Builds a pool of realistic profiles (nudge.profiles.profile.Profile → profile_item.to_item → boto3
TypeSerializer), makes 1,000,000 distinct items from it in ~1 MB Query pages, and evaluates seed 001's recipe
3 (visited today AND promotion page ≥ 3 times today, EXCLUDE purchased within 7 days) two ways:

- fast: the segment's generated item evaluator on projected items (only sk, lv, lp and today's page views
  travel), as nudge.adapters.segment_reader does;
- naive baseline: boto3's TypeDeserializer on every whole item, then a dict-walking evaluator of the same
  segment; measured on a 100,000-item subset and extrapolated (said so in the output).

Also prints the read units per 1,000,000 profiles from DynamoDB's item-size rules. Prints figures only;
nothing here asserts on timing. Run: .venv/bin/python bench/bench_segments.py
"""

import marshal
import random
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers/core/python"), str(ROOT / "local")]

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer  # noqa: E402

from nudge.adapters.profile_item import partition_key, to_item  # noqa: E402
from nudge.profiles.profile import Cart, Consent, Order, OrderStatus, Profile  # noqa: E402
from nudge.segments.evaluate import compile_segment  # noqa: E402
from nudge.segments.templates import DOG_DAY, promo_page_repeat_viewers  # noqa: E402
from nudge_local.bill.capacity import READ_UNIT_BYTES, item_size  # noqa: E402

KST = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 3, 20, 15, 0, tzinfo=KST)
STORE = "dogday-mall"
PROFILES = 1_000_000
POOL = 10_000
BASELINE_SAMPLE = 20_000
PAGE_BYTES = 1024 * 1024  # a Query page stops at 1 MB of items *read* (full size, before projection)
PATHS = ["/event/dogday", "/event/dogday/snack", "/", "/product/P-DOG-BED", "/product/P-DOG-SNACK", "/cart"]
PRODUCTS = [f"P{n:05d}" for n in range(400)]


def _day(days: int) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y%m%d")


def _profile(rng: random.Random, n: int) -> Profile:
    """A customer of a mid-sized Korean store: most dormant, a few active today, some buyers."""
    at = lambda days: NOW - timedelta(days=days, seconds=rng.randint(0, 50_000))  # noqa: E731
    p = Profile(store_id=STORE, customer_id=f"m{n:07d}", joined_at=at(rng.randint(0, 900)))
    p.phone, p.name = f"+82105555{n % 10_000:04d}", "김고객"
    p.consents = {ch: Consent(rng.random() < 0.6, at(300), "join") for ch in ("sms", "kakao", "email")}
    p.channel_friend = rng.random() < 0.4
    activity = rng.random()
    if activity < 0.06:  # active today
        last_visit = 0
    elif activity < 0.35:
        last_visit = rng.randint(1, 30)
    elif activity < 0.85:
        last_visit = rng.randint(31, 400)
    else:
        last_visit = None
    if last_visit is not None:
        p.last_visit_at = p.first_visit_at = at(last_visit)
        p.first_visit_at = at(last_visit + rng.randint(0, 300))
        p.visit_count = rng.randint(1, 40)
        p.last_login_at = at(last_visit)
        for d in sorted({last_visit, *rng.sample(range(last_visit, last_visit + 60), rng.randint(0, 4))}):
            if d <= 60:
                p.page_views[_day(d)] = {
                    path: rng.randint(1, 5) for path in rng.sample(PATHS, rng.randint(1, 4))
                }
                p.dwell_seconds[_day(d)] = rng.randint(10, 1_800)
    if rng.random() < 0.2:
        lines = {rng.choice(PRODUCTS): rng.randint(1, 2) for _ in range(rng.randint(1, 3))}
        p.cart = Cart(
            lines, {k: Decimal(rng.choice([9_900, 25_000, 59_000])) for k in lines}, at(rng.randint(0, 40))
        )
    for i in range(rng.choice([0, 0, 0, 1, 1, 2, 3, 6])):
        paid = at(rng.randint(0, 700))
        products = tuple(rng.sample(PRODUCTS, rng.randint(1, 3)))
        p.orders[f"2026{n:07d}{i}"] = Order(
            f"2026{n:07d}{i}",
            OrderStatus.DELIVERED,
            paid,
            paid,
            Decimal(rng.randint(1, 30) * 5_000),
            products,
            paid,
        )
        for product in products:
            p.products_bought[product] = max(paid, p.products_bought.get(product, paid))
        p.first_purchase_at = min(filter(None, [p.first_purchase_at, paid]))
        p.last_purchase_at = max(filter(None, [p.last_purchase_at, paid]))
    return p


def _project(item: dict[str, Any], paths: frozenset[tuple[str, ...]]) -> dict[str, Any]:
    """What DynamoDB returns for the item under a ProjectionExpression of these document paths."""
    out: dict[str, Any] = {}
    for path in paths:
        source, target = item, out
        for depth, name in enumerate(path):
            container = source if depth == 0 else source.get("M", {})
            if name not in container:
                break
            if depth == len(path) - 1:
                target[name] = container[name]
            else:
                source = container[name]
                target = target.setdefault(name, {"M": {}})["M"]
    return out


def _pages(items: list[dict[str, Any]], sizes: list[int], total: int) -> list[list[dict[str, Any]]]:
    """`total` items in pages of ~1 MB *read* each (by full item size), as the client hands them over: every
    page decoded from bytes, so every item is a distinct, freshly built dict. Pages are slices of the
    pool (wrapping at its end), so only a handful of distinct pages need encoding."""
    bounds, start = [], 0
    while start < len(items):
        end, used = start, 0
        while end < len(items) and used < PAGE_BYTES:
            used += sizes[end]
            end += 1
        bounds.append((start, end))
        start = end
    # marshal, not json: the same fresh dicts, built faster, so the setup stays short (it is not measured).
    wire = [marshal.dumps(items[a:b]) for a, b in bounds]
    pages, n, i = [], 0, 0
    while n < total:
        page = marshal.loads(wire[i % len(bounds)])[: total - n]
        pages.append(page)
        n += len(page)
        i += 1
    return pages


def _naive_member(item: dict[str, Any], zone: ZoneInfo, now: datetime) -> bool:
    """The dict-walking evaluator a first version would write: whole item deserialized, dates in the zone."""
    today = now.astimezone(zone).date()
    lv = item.get("lv")
    if lv is None or datetime.fromtimestamp(int(lv), zone).date() != today:
        return False
    views = item.get("pv", {}).get(today.strftime("%Y%m%d"), {})
    if sum(int(n) for path, n in views.items() if path.startswith(DOG_DAY.page_path)) < 3:
        return False
    lp = item.get("lp")
    return not (lp is not None and (today - datetime.fromtimestamp(int(lp), zone).date()).days <= 7)


def main() -> None:
    rng = random.Random(23)
    t0 = time.perf_counter()
    serializer, deserializer = TypeSerializer(), TypeDeserializer()
    python_items = [to_item(_profile(rng, n)) for n in range(POOL)]
    full = [{k: serializer.serialize(v) for k, v in item.items()} for item in python_items]
    full_sizes = [item_size(item) for item in python_items]

    compiled = compile_segment(promo_page_repeat_viewers(DOG_DAY), KST, NOW)
    matcher = compiled.item_matcher
    projected = [_project(item, matcher.attributes) for item in full]
    projected_sizes = [
        item_size(
            {k: deserializer.deserialize(v) for k, v in item.items()} | {"pk": partition_key(STORE, "x")}
        )
        for item in projected
    ]
    # Wire pages → fresh dicts, as the client hands them over: every one of the 1,000,000 items is distinct.
    fast_pages = _pages(projected, full_sizes, PROFILES)
    baseline_pages = _pages(full, full_sizes, BASELINE_SAMPLE)
    setup = time.perf_counter() - t0

    # Fast path: the generated evaluator, page by page.
    t0, cpu0 = time.perf_counter(), time.process_time()
    fast_members = 0
    for page in fast_pages:
        fast_members += len(matcher.members(page))
    fast_seconds, fast_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    fast_count = sum(len(p) for p in fast_pages)

    # Baseline: TypeDeserializer on each whole item + dict-walking evaluator.
    t0, cpu0 = time.perf_counter(), time.process_time()
    deserialize = deserializer.deserialize
    naive_members = 0
    for page in baseline_pages:
        for raw in page:
            item = {k: deserialize(v) for k, v in raw.items()}
            naive_members += _naive_member(item, KST, NOW)
    baseline_seconds, baseline_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    baseline_count = sum(len(p) for p in baseline_pages)

    # The evaluator alone, on the same whole (unprojected) items as the baseline.
    cpu0 = time.process_time()
    whole_members = sum(len(matcher.members(page)) for page in baseline_pages)
    whole_rate = baseline_count / (time.process_time() - cpu0)

    # Both must agree on the sample (the baseline sample is the first 100,000 of the same sequence).
    sample_fast = sum(len(matcher.members(p)) for p in _pages(projected, full_sizes, BASELINE_SAMPLE))
    assert sample_fast == naive_members == whole_members, (
        sample_fast,
        naive_members,
        whole_members,
    )  # correctness, not timing

    # CPU time, not wall time: on a shared machine other processes stretch the wall clock.
    fast_rate = fast_count / fast_cpu
    baseline_rate = baseline_count / baseline_cpu
    avg_full = sum(full_sizes) / POOL
    avg_projected = sum(projected_sizes) / POOL
    rcu_per_million = PROFILES * avg_full / READ_UNIT_BYTES * 0.5
    rcu_if_projected = PROFILES * avg_projected / READ_UNIT_BYTES * 0.5
    page_items = len(fast_pages[0])

    print("Segment evaluation benchmark — seed 001 recipe 3 (visited today AND /event/dogday ≥ 3 today,")
    print("EXCLUDE purchased within 7 days); one core, Python", sys.version.split()[0])
    print(
        f"  generated evaluator      {fast_count:>9,} profiles in {fast_cpu:6.3f} s CPU"
        f" ({fast_seconds:.3f} s wall) = {fast_rate:>10,.0f} profiles/s  ({fast_members:,} members)"
    )
    print(
        f"  naive baseline           {baseline_count:>9,} profiles in {baseline_cpu:6.3f} s CPU"
        f" ({baseline_seconds:.3f} s wall) = {baseline_rate:>10,.0f} profiles/s"
        "  (TypeDeserializer on whole items + dict walk)"
    )
    print(
        f"    extrapolated to {PROFILES:,}: {PROFILES / baseline_rate:6.1f} s"
        f" (measured on a {BASELINE_SAMPLE:,}-profile subset)"
    )
    print(
        f"  evaluator on whole items {baseline_count:>9,} profiles = {whole_rate:>10,.0f} profiles/s"
        " (no projection: what the generated code alone gains)"
    )
    print(f"  speed-up                 {fast_rate / baseline_rate:6.1f}× (projected + generated vs naive)")
    print(
        f"  pages                    {len(fast_pages):,} Query pages of ~1 MB read"
        f" ({page_items:,} profiles each), built from a pool of {POOL:,} profiles"
    )
    print(
        f"  item size                full {avg_full:,.0f} B avg, projected {avg_projected:,.0f} B avg"
        f" ({', '.join('.'.join(a) for a in sorted(matcher.attributes))})"
    )
    print(
        f"  read units / 1,000,000   {rcu_per_million:,.0f} RCU"
        " (eventually consistent, billed on the full item size)"
    )
    print(
        f"                           {rcu_if_projected:,.0f} RCU if it were billed on the projected size;"
        " it is not: projection saves transfer and CPU, not RCU"
    )
    print(f"  setup                    {setup:.1f} s (building profiles, items and pages; not measured)")


if __name__ == "__main__":
    main()
