"""Ingest benchmark: what one webhook costs on the hot path, and what a cold start costs.

Prints, per kind of webhook replayed through the real handler on the local runtime:
  - DynamoDB requests per webhook (goal: at most 2, idempotency included) and the write / read units they
    consume (computed from item sizes by DynamoDB's sizing rules; transactional writes count double);
and, for each handler, its cold-start import time as a ratio to `import boto3; boto3.client("dynamodb")`
measured in the same run (goal: at most 1.3). Run: .venv/bin/python bench/bench_ingest.py
"""

import os
import statistics
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from nudge_local.bill.capacity import request_units, typed_item_size
from nudge_local.demo import samples
from nudge_local.demo.samples import SampleRequest
from nudge_local.runtime.template import parse_template

KST = ZoneInfo("Asia/Seoul")

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7

_ENV = {
    **os.environ,
    "AWS_DEFAULT_REGION": "ap-northeast-2",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}
BASELINE = "import boto3; boto3.client('dynamodb')"
_LOAD = (
    "import importlib.util; spec = importlib.util.spec_from_file_location('app', {path!r}); "
    "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)"
)


# What a handler's first request builds, where it is not `module.dependencies()`: the admin API's routes
# each build their own area's dependencies (nudge.adapters.wiring); this builds them all.
_FIRST_REQUEST = {
    "admin": "from nudge.adapters import wiring; "
    + "; ".join(
        f"wiring.{builder}()"
        for builder in (
            "store_dependencies", "segment_dependencies", "campaign_dependencies",
            "automation_setup_dependencies", "report_read_dependencies",
        )
    ),
}  # fmt: skip


def _seconds(code: str, environment: dict[str, str] | None = None) -> float:
    program = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    env = {**_ENV, **(environment or {})}
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(done.stderr)
    return float(done.stdout)


def cold_starts() -> None:
    # Each handler gets the environment template.yaml gives it (resolved to local names).
    functions = sorted(parse_template(ROOT / "template.yaml").functions.values(), key=lambda f: f.code_uri)
    samples: dict[str, list[float]] = {"baseline": []}
    for _ in range(RUNS):  # interleaved, so machine noise hits every candidate alike
        samples["baseline"].append(_seconds(BASELINE))
        for function in functions:
            name = function.code_uri.name
            load = _LOAD.format(path=str(function.module_path))
            # Lambda puts the function's code on sys.path (a handler may import its sibling modules).
            environment = {**function.environment, "PYTHONPATH": str(function.code_uri)}
            samples.setdefault(name, []).append(_seconds(load, environment))
            # A first request also creates the handler's AWS clients: count that too.
            samples.setdefault(name + " + clients", []).append(
                _seconds(f"{load}; {_FIRST_REQUEST.get(name, 'module.dependencies()')}", environment)
            )
    base = statistics.median(samples["baseline"])
    print(f"Cold start (median of {RUNS} fresh interpreters, Python {sys.version.split()[0]})")
    print(f"  {'baseline: import boto3; boto3.client(dynamodb)':<48} {base * 1000:7.0f} ms   1.00")
    for name, values in samples.items():
        if name != "baseline":
            median = statistics.median(values)
            print(f"  {name:<48} {median * 1000:7.0f} ms   {median / base:.2f}  (goal ≤ 1.30)")


class CapacityMeter:
    """DynamoDB requests and the capacity units they consume (sized by the cost model's own rules,
    nudge_local.bill.capacity), and the size of the profile items written."""

    def __init__(self) -> None:
        self.requests = 0
        self.write_units = 0.0
        self.read_units = 0.0
        self.profile_bytes: list[int] = []
        self._params: dict = {}

    def before(self, params: dict, model: Any, **_: Any) -> None:
        self.requests += 1
        self._params = params
        for entry in params.get("TransactItems") or []:
            put = entry.get("Put")
            if put and "sk" in put["Item"]:
                self.profile_bytes.append(typed_item_size(put["Item"]))

    def after(self, parsed: dict, model: Any, **_: Any) -> None:
        reads, writes = request_units(model.name, self._params, parsed)
        self.read_units += reads
        self.write_units += writes


def _storefront_month(customers: int) -> list[tuple[str, SampleRequest, datetime]]:
    """A realistic mix per customer: sign-up, logins, page views, cart adds, an order, shipping, delivery."""
    steps: list[tuple[str, SampleRequest, datetime]] = []
    start = datetime(2026, 3, 2, 9, 0, tzinfo=KST)
    for n in range(customers):
        member = f"m{n:05d}"
        at = start + timedelta(minutes=7 * n)
        steps.append(
            (
                "cafe24 90032 member joined",
                samples.cafe24_member_joined(
                    member, "김고객", f"010-0000-{n % 10000:04d}", at, n % 2 == 0, False
                ),
                at,
            )
        )
        for day in range(3):
            when = at + timedelta(days=day, hours=1)
            steps.append(("cafe24 90143 login", samples.cafe24_login(member), when))
            views = [
                {
                    "id": f"{member}-{day}-{i}",
                    "type": "page_view",
                    "path": f"/product/{(n + i) % 40}",
                    "dwell_seconds": 20 + i,
                }
                for i in range(4)
            ]
            steps.append(
                (
                    "tracker batch (4 page views)",
                    samples.tracker_request(
                        f"v-{member}",
                        [{"id": f"{member}-{day}-v", "type": "visit"}, *views],
                        member_id=member,
                    ),
                    when,
                )
            )
            steps.append(("cafe24 90084 added to cart", samples.cafe24_added_to_cart(member, 10 + day), when))
        order_at = at + timedelta(days=3)
        order = f"2026{n:05d}"
        steps.append(
            (
                "cafe24 90023 order placed",
                samples.cafe24_order_placed(
                    order, member, order_at, 30000 + n, [f"P{10 + d:07d}" for d in range(3)]
                ),
                order_at,
            )
        )
        steps.append(
            (
                "cafe24 90024 shipped",
                samples.cafe24_shipping(order, member, "M"),
                order_at + timedelta(days=1),
            )
        )
        steps.append(
            (
                "cafe24 90024 delivered",
                samples.cafe24_shipping(order, member, "T"),
                order_at + timedelta(days=2),
            )
        )
        steps.append(
            (
                "cafe24 90023 re-delivered (duplicate)",
                samples.cafe24_order_placed(
                    order, member, order_at, 30000 + n, [f"P{10 + d:07d}" for d in range(3)]
                ),
                order_at + timedelta(days=2),
            )
        )
    steps.sort(key=lambda step: step[2])
    return steps


def hot_path(customers: int = 40) -> None:
    from nudge.adapters.dynamodb import dynamodb_client
    from nudge_local.runtime.runtime import LocalRuntime

    meters: dict[str, CapacityMeter] = {}
    counts: dict[str, int] = {}
    steps = _storefront_month(customers)
    with LocalRuntime(start=steps[0][2]) as runtime:
        events = dynamodb_client().meta.events
        current: list[CapacityMeter] = [CapacityMeter()]
        events.register("before-parameter-build.dynamodb", lambda **kw: current[0].before(**kw))
        events.register("after-call.dynamodb", lambda **kw: current[0].after(**kw))
        runtime.http(*_args(samples.cafe24_login("warm-up")))  # store settings and secrets cached from here
        for kind, request, at in steps:
            runtime.clock.set(at)  # no consumer or schedule is measured here: the pumps need not run
            current[0] = meters.setdefault(kind, CapacityMeter())
            counts[kind] = counts.get(kind, 0) + 1
            status, _, _ = runtime.http(*_args(request))
            if status != 200:
                raise SystemExit(f"{kind}: HTTP {status}")
    total = sum(counts.values())
    print(
        f"\nIngest hot path: {total:,} webhooks from {customers} customers through IngestFunction / "
        "CollectFunction on the local runtime"
    )
    print(f"  {'webhook':<40} {'n':>6} {'DynamoDB req':>13} {'WCU':>6} {'RCU':>6} {'profile item':>13}")
    for kind, meter in meters.items():
        n = counts[kind]
        size = f"{sum(meter.profile_bytes) / len(meter.profile_bytes):,.0f} B" if meter.profile_bytes else "-"
        print(
            f"  {kind:<40} {n:>6} {meter.requests / n:>13.2f} {meter.write_units / n:>6.1f} "
            f"{meter.read_units / n:>6.1f} {size:>13}"
        )
    requests = sum(m.requests for m in meters.values())
    wcu = sum(m.write_units for m in meters.values())
    rcu = sum(m.read_units for m in meters.values())
    print(
        f"  {'all':<40} {total:>6} {requests / total:>13.2f} {wcu / total:>6.1f} {rcu / total:>6.1f}"
        "   (goal: at most 2 requests per webhook)"
    )


def _args(request: SampleRequest) -> tuple[str, str, dict[str, str], bytes]:
    return request.method, request.path, request.headers, request.body


if __name__ == "__main__":
    hot_path()
    cold_starts()
