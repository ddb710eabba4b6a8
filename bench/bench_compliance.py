"""Compliance benchmark: decisions per second on one core, for a realistic mix, against a trivial baseline.

The mix (one quarter each), over 4,000 distinct recipients with consents and recent sends:
  - an ad SMS with a personalised name: consent check, variables, "(광고)" label + 080 line, EUC-KR bytes,
    SMS/LMS choice, one-per-promotion-per-day and a store ad budget;
  - a brand message (targeting I) with a promotion group, at noon;
  - an informational AlimTalk with template variables;
  - a brand message at 22:30 Seoul time: deferred to 08:00 + spread.
The baseline is the same loop building one tuple per item, measured in the same run (interleaved).
Goal: ≥ 50,000 decisions/s, so the layer is never the bottleneck.
Run: .venv/bin/python bench/bench_compliance.py
"""

import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "compliance" / "python"))

from compliance import (
    AdBudget,
    Consent,
    Message,
    RecentSend,
    Recipient,
    StoreSettings,
    decide,
    validate_message,
)

RECIPIENTS = 4_000
REPEATS = 15
CHUNK = 500
GOAL = 50_000


def _idle_ticks() -> dict[int, int]:
    ticks = {}
    with open("/proc/stat") as stat:
        for line in stat:
            name, *values = line.split()
            if name.startswith("cpu") and name != "cpu":
                ticks[int(name[3:])] = int(values[3]) + int(values[4])  # idle + iowait
    return ticks


def _pin_to_one_core() -> str:
    """Run on one core: the most idle one over a short sample (a shared machine's busy core halves the
    figure), so the result measures the layer, not the neighbours."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    allowed = os.sched_getaffinity(0)
    try:
        before = _idle_ticks()
        time.sleep(0.3)
        after = _idle_ticks()
        core = max(allowed, key=lambda c: after.get(c, 0) - before.get(c, 0))
    except OSError:
        core = min(allowed)
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def workload() -> list[tuple[Message, Recipient, StoreSettings, datetime]]:
    store = StoreSettings(
        name="멍멍몰",
        contact_phone="02-1234-5678",
        optout_080_number="080-123-4567",
        ad_budget=AdBudget(per_day=2, per_week=5),
    )
    ad_sms = Message(
        message_class="advertising",
        channel="sms",
        content="#{name}님, 장바구니에 담아두신 간식이 곧 품절돼요! 오늘만 20% 할인 https://m.example.com/cart",
        promotion_group="dogday",
    )
    brand = Message(
        message_class="advertising",
        channel="brand_message",
        content="도그데이 기획전이 시작됐어요. 인기 간식을 최대 30% 할인된 가격에 만나보세요!",
        promotion_group="dogday-brand",
    )
    alimtalk = Message(
        message_class="informational",
        channel="alimtalk",
        content="#{고객명}님, 주문하신 상품이 발송되었습니다.\n송장번호: #{송장번호}",
        template_code="ORDER_SHIPPED_01",
        template_approved=True,
    )
    for message in (ad_sms, brand, alimtalk):
        assert validate_message(message, store) == [], message
    noon = datetime(2026, 6, 23, 3, 0, tzinfo=UTC)  # 12:00 Seoul
    night = datetime(2026, 6, 23, 13, 30, tzinfo=UTC)  # 22:30 Seoul
    granted = Consent(granted_at=datetime(2025, 1, 2, tzinfo=UTC), source="signup")
    items = []
    for i in range(RECIPIENTS):
        recipient = Recipient(
            key=f"customer-{i}",
            consents={"sms": granted, "kakao": granted},
            channel_friend=True,
            recent_sends=(
                RecentSend(noon - timedelta(days=1, hours=i % 5), "summer"),
                RecentSend(noon - timedelta(days=3), "dogday"),
            ),
            variables={"name": "홍길동", "고객명": "홍길동", "송장번호": f"{123456789000 + i}"},
        )
        message, at = [(ad_sms, noon), (brand, noon), (alimtalk, noon), (brand, night)][i % 4]
        items.append((message, recipient, store, at))
    return items


def _decisions(items: list) -> float:
    start = time.perf_counter()
    for message, recipient, store, at in items:
        decide(message, recipient, store, at)
    return time.perf_counter() - start


def _baseline(items: list) -> float:
    start = time.perf_counter()
    for message, recipient, store, at in items:
        (message, recipient, store, at)  # noqa: B018 - the trivial work: one tuple per item
    return time.perf_counter() - start


def main() -> None:
    pinned = _pin_to_one_core()
    items = workload()
    outcomes = Counter(decide(*item).outcome.value for item in items)  # also warms the per-message caches
    # Timed in chunks of CHUNK items, interleaved with the baseline, REPEATS times; each chunk keeps its
    # fastest run (noise from other processes only ever adds time), and the chunks' minima are summed.
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    best_chunks = [float("inf")] * len(chunks)
    base_chunks = [float("inf")] * len(chunks)
    for _ in range(REPEATS):
        for index, chunk in enumerate(chunks):
            best_chunks[index] = min(best_chunks[index], _decisions(chunk))
            base_chunks[index] = min(base_chunks[index], _baseline(chunk))
    best, base = sum(best_chunks), sum(base_chunks)
    rate, base_rate = len(items) / best, len(items) / base
    print(
        f"Compliance decisions (Python {sys.version.split()[0]}, {pinned}, {len(items)} items, "
        f"fastest of {REPEATS} runs per chunk of {CHUNK})"
    )
    print(f"  mix: {dict(outcomes)}")
    print(f"  decide():              {rate:>12,.0f} decisions/s  ({best / len(items) * 1e6:.1f} µs each)")
    print(f"  baseline (tuple/item): {base_rate:>12,.0f} items/s")
    print(f"  ratio: one decision costs {best / base:,.0f}× the baseline item")
    print(f"  goal ≥ {GOAL:,} decisions/s: {'met' if rate >= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
