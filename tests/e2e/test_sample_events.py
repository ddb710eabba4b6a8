"""events/: every sample is what the generator writes (no drift) and is accepted by its function."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nudge_local.event_files import AT, EVENTS_DIR, build_events
from nudge_local.runtime import LocalRuntime

ROOT = Path(__file__).resolve().parents[2]
EVENTS = build_events()
FUNCTION_OF = {"collect": "CollectFunction"}


def test_every_sample_file_is_up_to_date_with_the_generator() -> None:
    on_disk = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in EVENTS_DIR.glob("*.json")}
    assert on_disk == EVENTS, "run: .venv/bin/python -m nudge_local.event_files"


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_sample_event_is_accepted_by_its_function(name: str) -> None:
    function = FUNCTION_OF.get(name.split("_")[0], "IngestFunction")
    with LocalRuntime(start=AT) as runtime:
        response = runtime.invoke(function, EVENTS[name])
    assert response["statusCode"] in (200, 204), response
    if response["statusCode"] == 200:
        assert json.loads(response["body"])["status"] in ("applied", "ignored")


def test_nudge_local_invoke_runs_a_sample_like_sam_local_invoke() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nudge_local.cli",
            "local",
            "invoke",
            "IngestFunction",
            "-q",
            "-e",
            str(EVENTS_DIR / "cafe24_order_placed.json"),
            "--start",
            AT.isoformat(),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "applied", "events": ["order.placed", "order.paid"]}
