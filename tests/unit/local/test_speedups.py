"""The speed-ups of moto's internals are contained (nudge_local/emulation/speedups.py): nothing is changed in
moto by an import, they are installed when the emulation opens, only for the moto release they were written
for, and NUDGE_LOCAL_PLAIN_MOTO=1 leaves moto as released while IAM enforcement and the counters stay."""

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from nudge_local.emulation import speedups

ROOT = Path(__file__).resolve().parents[3]

_PROBE = """
import json, sys
import botocore.handlers
from moto.dynamodb.models.table import Table
original = Table.query
from nudge_local.emulation import aws, speedups
import nudge_local.runtime.runtime  # the runtime composes the emulation with IAM, the bill and the drills
seen = {
    "after_import": Table.query is not original,
    "modules": "nudge_local.emulation.moto_patches" in sys.modules,
}
aws.start_in_process()
try:
    aws.client("dynamodb").list_tables()
    handlers = {
        getattr(h, "__module__", "") + "." + getattr(h, "__name__", "")
        for h in (entry[1] for entry in botocore.handlers.BUILTIN_HANDLERS)
    }
    seen |= {
        "after_open": Table.query is not original,
        "installed": speedups.installed(),
        "fast_calls": "nudge_local.emulation.fast_calls.answer" in handlers,
        "iam": any(name.startswith("nudge_local.runtime.iam.") for name in handlers),
        "counters": any(name.startswith("nudge_local.bill.counters.") for name in handlers),
        "chaos": any(name.startswith("nudge_local.emulation.chaos.") for name in handlers),
    }
finally:
    aws.stop_in_process()
print(json.dumps(seen))
"""


def _probe(**env: str) -> dict[str, bool]:
    environment = {k: v for k, v in os.environ.items() if k != speedups.PLAIN_ENV} | env
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=environment, cwd=ROOT, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_import_changes_nothing_and_the_emulation_opening_installs_them() -> None:
    seen = _probe()
    assert seen == {
        "after_import": False,
        "modules": False,
        "after_open": True,
        "installed": True,
        "fast_calls": True,
        "iam": True,
        "counters": True,
        "chaos": True,
    }


def test_plain_moto_keeps_iam_enforcement_and_the_counters() -> None:
    seen = _probe(NUDGE_LOCAL_PLAIN_MOTO="1")
    assert seen == {
        "after_import": False,
        "modules": False,
        "after_open": False,
        "installed": False,
        "fast_calls": False,
        "iam": True,
        "counters": True,
        "chaos": True,
    }


def test_another_moto_release_is_refused_naming_the_files_to_update() -> None:
    with pytest.raises(speedups.MotoVersionError) as refused:
        speedups.check_moto_version("5.3.0")
    said = str(refused.value)
    assert "moto 5.3.0" in said and f"moto {speedups.MOTO_VERSION}" in said
    assert "local/nudge_local/emulation/moto_patches.py" in said and "NUDGE_LOCAL_PLAIN_MOTO=1" in said


def test_the_version_checked_is_the_one_pyproject_pins() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"moto[server]=={speedups.MOTO_VERSION}" in pyproject["project"]["optional-dependencies"]["dev"]
