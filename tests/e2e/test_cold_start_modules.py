"""What each function loads on a cold start is a decision, not an accident.

Each handler is imported in a fresh interpreter the way Lambda does it (the layers' python/ directories and
the function's code on sys.path, the environment the template gives it), and what it loaded is compared
with the list checked in under tests/e2e/cold_start/: the function's own modules, every Nudge module, and
every third-party package by its top-level name. No timing: adding an import a function does not need on
every request (a heavy library, another area's code) shows up here as a diff to accept or to undo. After
a deliberate change:

    NUDGE_WRITE_COLD_START=1 .venv/bin/pytest tests/e2e/test_cold_start_modules.py
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nudge_local.runtime.template import parse_template

ROOT = Path(__file__).resolve().parents[2]
PINNED = Path(__file__).parent / "cold_start"
TEMPLATE = parse_template(ROOT / "template.yaml")

_PROBE = """
import importlib.util, json, sys
code_dir = sys.argv[2]
before = set(sys.modules)
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
loaded = set(sys.modules) - before - {"app"}
own = {m for m in loaded if (getattr(sys.modules[m], "__file__", None) or "").startswith(code_dir)}
first_party = {m for m in loaded if m.split(".")[0] in ("nudge", "compliance")}
tops = {m.split(".")[0] for m in loaded - own - first_party}
print(json.dumps({
    "function": sorted(own),
    "nudge": sorted(first_party),
    "packages": sorted(t for t in tops if t not in sys.stdlib_module_names and not t.startswith("_")),
}))
"""


def _loaded(logical_id: str) -> dict[str, list[str]]:
    function = TEMPLATE.functions[logical_id]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join(str(p) for p in (*function.layers, function.code_uri)),
        "AWS_DEFAULT_REGION": TEMPLATE.region,
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        **function.environment,
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(function.module_path), str(function.code_uri)],
        capture_output=True, text=True, env=env, cwd=function.code_uri, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("logical_id", sorted(TEMPLATE.functions))
def test_a_cold_start_loads_what_is_pinned(logical_id: str) -> None:
    loaded = _loaded(logical_id)
    pinned = PINNED / f"{logical_id}.json"
    if os.environ.get("NUDGE_WRITE_COLD_START") == "1":
        PINNED.mkdir(exist_ok=True)
        pinned.write_text(json.dumps(loaded, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(pinned.read_text(encoding="utf-8"))
    added = {k: sorted(set(loaded[k]) - set(expected[k])) for k in expected}
    removed = {k: sorted(set(expected[k]) - set(loaded[k])) for k in expected}
    assert loaded == expected, f"{logical_id} now also loads {added} and no longer loads {removed}"
