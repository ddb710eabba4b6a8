"""The demo month is deterministic: the same store, customers and seed give the same month, whatever moto
runs it and however fast the machine is.

A small month runs three times, each in a process of its own: once on moto as released
(NUDGE_LOCAL_PLAIN_MOTO=1: the speed-ups cannot be taken back out of a process that installed them) and
twice with the speed-ups, under different hash seeds (an order taken from a set would show). The printed
reports, the gateway's outbox and every table's items must be the same, exactly: ids included (the local
runtime seeds the ids Nudge makes up, nudge.ids, and those its gateways give). Only what a run measures on
the wall clock may differ: the progress line, Lambda's billed duration and the figures priced from it,
"Finished in".
"""

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = 12
SEED = 7
COST_SECTION = "AWS cost of this run"
MEASURED = "Lambda duration"  # the handlers' in-process wall time, a stand-in for Lambda's billed duration


def snapshot(customers: int, seed: int, path: str) -> None:
    """Run the month in this process and write what the test compares to `path` (JSON)."""
    from nudge_local.demo import demo_month

    out = io.StringIO()
    result = demo_month.run(customers, seed, out=out, drill=demo_month.Drill(capture=True))
    assert result.bill is not None
    snapshot = {
        "report": out.getvalue(),
        "tables": result.capture["tables"],
        "outbox": result.capture["outbox"],
        "bill": {line: q for line, q in result.bill.quantities.items() if line != MEASURED},
    }
    Path(path).write_text(json.dumps(snapshot, ensure_ascii=False, default=str), encoding="utf-8")


def _months(tmp_path: Path, runs: dict[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
    """Each run's snapshot: the runs go at once, each in a process of its own with its environment."""
    base = {k: v for k, v in os.environ.items() if k != "NUDGE_LOCAL_PLAIN_MOTO"}
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), base.get("PYTHONPATH")]))
    started = {}
    for name, env in runs.items():
        path = tmp_path / f"{name}.json"
        code = f"from {__name__} import snapshot; snapshot({CUSTOMERS}, {SEED}, {str(path)!r})"
        started[name] = (
            path,
            subprocess.Popen(
                [sys.executable, "-c", code],
                cwd=tmp_path,  # the demo writes its HTML report under reports/ where it runs
                env={**base, **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
    months = {}
    for name, (path, process) in started.items():
        _, errors = process.communicate(timeout=600)
        assert process.returncode == 0, f"{name}: {errors[-3000:]}"
        months[name] = dict(json.loads(path.read_text(encoding="utf-8")))
    return months


def _in_order(value: Any) -> Any:
    """`value` with DynamoDB's sets in order (a set has none: moto lists one in Python's set order)."""
    if isinstance(value, list):
        return [_in_order(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in ("SS", "NS", "BS"):
            ((kind, members),) = value.items()
            return {kind: sorted(members)}
        return {k: _in_order(v) for k, v in value.items()}
    return value


def _compared(month: dict[str, Any]) -> dict[str, Any]:
    report = month["report"].splitlines()
    costs = next(i for i, line in enumerate(report) if line.startswith(COST_SECTION))
    return {
        # The header and the report itself, without the progress line (it times each day); of the bill,
        # the quantities that are counted, not timed.
        "report": [line for line in report[:costs] if not line.lstrip("\r").startswith("  day ")],
        "bill": month["bill"],
        "tables": {
            table: sorted(json.dumps(_in_order(item), sort_keys=True, ensure_ascii=False) for item in items)
            for table, items in month["tables"].items()
        },
        "outbox": month["outbox"],
    }


def _differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """What differs between two compared months (the first few of each kind)."""
    out = []
    if a["report"] != b["report"]:
        lines = zip(a["report"], b["report"], strict=False)
        out += [f"report: {x!r} != {y!r}" for x, y in lines if x != y][:5]
        out.append(f"report: {len(a['report'])} lines, {len(b['report'])} lines")
    if a["bill"] != b["bill"]:
        out.append(f"bill: {a['bill']} != {b['bill']}")
    for table in sorted(set(a["tables"]) | set(b["tables"])):
        items_a, items_b = set(a["tables"].get(table, [])), set(b["tables"].get(table, []))
        out += [f"{table}, only in the first: {item}" for item in sorted(items_a - items_b)[:3]]
        out += [f"{table}, only in the second: {item}" for item in sorted(items_b - items_a)[:3]]
    if a["outbox"] != b["outbox"]:
        messages = zip(a["outbox"], b["outbox"], strict=False)
        out += [f"outbox: {x} != {y}" for x, y in messages if x != y][:3]
        out.append(f"outbox: {len(a['outbox'])} messages, {len(b['outbox'])} messages")
    return out


def test_the_month_is_the_same_on_plain_moto_and_twice_with_the_speed_ups(tmp_path: Path) -> None:
    months = _months(
        tmp_path,
        {
            "plain": {"NUDGE_LOCAL_PLAIN_MOTO": "1", "PYTHONHASHSEED": "1"},
            "fast": {"PYTHONHASHSEED": "2"},
            "again": {"PYTHONHASHSEED": "3"},
        },
    )
    plain, fast, again = (_compared(months[name]) for name in ("plain", "fast", "again"))
    assert sum(len(items) for items in fast["tables"].values()) > 100  # a month did happen
    assert any("delivered" in line for line in fast["report"])
    assert _differences(plain, fast) == []
    assert _differences(fast, again) == []
