"""The `nudge` command line: nonsense is refused in one line (exit 2, never a traceback), a busy port says
so and names a free one, every action's --help describes that action, and tables with Korean names line up."""

import errno
import json
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from nudge_local import cli
from nudge_local.demo import demo_month, text_width
from nudge_local.demo.event_files import AT, EVENTS_DIR

from .conftest import TEMPLATE

ROOT = Path(__file__).resolve().parents[3]


def refusal(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """What `nudge ARGV` prints when it refuses: exactly one line on stderr, after exit status 2."""
    status = cli.main(argv)
    out, err = capsys.readouterr()
    assert status == 2
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["local", "demo", "--customers", "-5"], "between 1 and 5,000 customers, not -5"),
        (["local", "demo", "--customers", "0"], "between 1 and 5,000 customers, not 0"),
        (["local", "demo", "--customers", "10000000"], "between 1 and 5,000 customers, not 10,000,000"),
        (["local", "demo", "--customers", "many"], "--customers: not a whole number: 'many'"),
        (["local", "demo", "--seed", "x"], "--seed: invalid int value: 'x'"),
        (["local", "demo", "--why", "홍길동"], "the demo store's customers are dd00001"),
        (["local", "demo", "--customers", "500", "--why", "dd00600"], "dd00600 is not among the 500"),
        (["local", "demo", "--frobnicate"], "nudge local demo: error: unrecognized arguments: --frobnicate"),
        (["local", "storyline", "--customers", "5"], "nudge local storyline: error: unrecognized arguments"),
        (["local", "serve", "--start", "yesterday"], "--start: not an ISO 8601 instant: 'yesterday'"),
        (["local", "serve", "--start", "2026-03-16T09:00"], "--start: an instant needs a UTC offset"),
        (["local", "invoke", "TickFunction", "--start", "soon"], "--start: not an ISO 8601 instant"),
        (["local", "serve", "--port", "0"], "--port/-p: a port is between 1 and 65535, not 0"),
        (["local", "serve", "--port", "http"], "--port/-p: not a port number: 'http'"),
        (["local", "invoke", "TickFunction", "-t", "no-such-template.yaml"], "no such file: no-such"),
        (["local", "frobnicate"], "nudge local: error: argument ACTION: invalid choice: 'frobnicate'"),
        ([], "nudge: error: the following arguments are required: COMMAND"),
    ],
)
def test_nonsense_arguments_are_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    assert said in refusal(capsys, argv)


def test_an_event_that_cannot_be_read_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    invoke = ["local", "invoke", "TickFunction", "-t", str(TEMPLATE), "-e"]
    missing = refusal(capsys, [*invoke, str(tmp_path / "nope.json")])
    assert "cannot read the event file" in missing and "No such file or directory" in missing
    broken = tmp_path / "broken.json"
    broken.write_text('{"kind": ', encoding="utf-8")
    said = refusal(capsys, [*invoke, str(broken)])
    assert "broken.json is not JSON: Expecting value at line 1 column 10" in said
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"name": "café"}'.encode("latin-1"))
    assert "latin.json is not UTF-8 text" in refusal(capsys, [*invoke, str(latin)])
    assert "cannot read the event file" in refusal(capsys, [*invoke, str(tmp_path)])  # a directory


def test_a_template_that_cannot_be_read_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text("Resources:\n  Fn: [\n", encoding="utf-8")
    said = refusal(capsys, ["local", "serve", "-t", str(broken)])
    assert "--template/-t:" in said and "template.yaml is not YAML:" in said and "at line 3" in said


def test_an_unknown_function_is_refused_with_the_closest_name(capsys: pytest.CaptureFixture[str]) -> None:
    said = refusal(capsys, ["local", "invoke", "TickFuncton", "-t", str(TEMPLATE)])
    assert "no function 'TickFuncton'" in said and "did you mean TickFunction?" in said


def test_demo_module_options_are_checked_by_the_same_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["local", "demo", "--customers", "-5"]) == 2
    assert capsys.readouterr().err.startswith("nudge local demo: error: argument --customers")


def test_version_is_the_installed_packages(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"nudge {metadata.version('nudge')}\n"


def _help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert cli.main([*argv, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines to the terminal's width


def test_every_action_has_its_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    local = _help(capsys, ["local"])
    for action in ("serve", "invoke", "demo", "storyline"):
        assert f" {action} " in local
    demo = _help(capsys, ["local", "demo"])
    assert demo.startswith("usage: nudge local demo [-h] [--customers CUSTOMERS] [--seed SEED]")
    assert "The demo month" in demo and "30 days" in demo
    assert "--why CUSTOMER_ID" in demo and "1 to 5,000" in demo
    storyline = _help(capsys, ["local", "storyline"])
    assert storyline.startswith("usage: nudge local storyline [-h]")
    assert "A short storyline" in storyline and "masked" in storyline
    serve = _help(capsys, ["local", "serve"])
    assert "--port" in serve and "POST /_local/clock" in serve
    invoke = _help(capsys, ["local", "invoke"])
    assert "FUNCTION" in invoke and "events/ has a sample event for every function" in invoke


# ---------------------------------------------------------------- serve: a port it cannot have


def test_a_port_that_needs_privileges_is_refused_with_one_to_use_instead(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def bind(host: str, port: int) -> OSError | None:
        return PermissionError(errno.EACCES, "Permission denied") if port < 1024 else None

    monkeypatch.setattr(cli, "_bind_problem", bind)
    said = refusal(capsys, ["local", "serve", "--port", "80"])
    assert "port 80 on 127.0.0.1 needs privileges this user does not have; try --port 3000" in said


def test_a_busy_port_is_refused_with_a_free_one_to_use_instead() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "nudge_local.cli", "local", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert done.returncode == 2 and done.stdout == ""
    prefix = f"nudge local serve: error: port {port} on 127.0.0.1 is in use; try --port "
    assert done.stderr.startswith(prefix) and done.stderr.count("\n") == 1, done.stderr
    suggested = int(done.stderr[len(prefix) :].split()[0])
    assert suggested != port and cli._bind_problem("127.0.0.1", suggested) is None


# ---------------------------------------------------------------- invoke: the event's own time


def test_invoke_replays_an_event_at_the_time_it_says_it_happened() -> None:
    def event(name: str) -> Any:
        return json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))

    assert cli._event_time(event("cafe24_order_placed")) == AT  # an HTTP request: when it was received
    received = cli._event_time(event("sender_send_job"))  # an SQS batch: when its message was received
    assert received is not None and 0 <= (received - AT).total_seconds() < 1
    assert cli._event_time(event("optouts_every_morning")) is None  # the schedule's event: not said


# ---------------------------------------------------------------- tables with Korean text


def test_display_width_counts_hangul_twice_and_combining_marks_not_at_all() -> None:
    assert text_width.width("도그데이 오픈 알림") == 18
    assert text_width.width("Dog Day") == 7
    assert text_width.width("\u1100\u1161\u11a8") == 2  # 각 written as three conjoining jamo
    assert text_width.width("e\u0301") == 1  # é as e + a combining accent
    assert text_width.width("ＡＢ") == 4  # full-width letters
    assert text_width.clip("기획전 상품 장바구니 리마인드", 10) == "기획전 상…"  # 6 + 1 + 2 + 1 cells
    assert text_width.clip("기획전 상품", 4) == "기…"  # a letter that would straddle the edge is left out
    assert text_width.width(text_width.left("기획전 상품 장바구니 리마인드", 10)) == 10
    assert text_width.right("₩42,000", 9) == "  ₩42,000"


def _report(**numbers: Any) -> dict[str, Any]:
    counts = {"targeted": 0, "sent": 0, "delivered": 0, "fell_back": 0, "clicked": 0, "converted": 0}
    return {
        **counts,
        "suppressed_by_reason": {"no_consent": 120},
        "deferred_by_reason": {},
        "failed_by_code": {},
        "revenue": "0",
        **numbers,
    }


def test_the_campaign_table_lines_up_with_korean_names() -> None:
    result = demo_month.MonthResult(customers=500, imported=300)
    names = {
        "c1": "도그데이 오픈 알림",
        "c2": "기획전 상품 장바구니 리마인드",
        "c3": "Dog Day reminder",
        "c4": "기획전 관심 고객 구매 넛지 — 아주 긴 이름이라 잘리는 캠페인",
    }
    for source_id, name in names.items():
        result.campaigns[source_id] = {"name": name}
        result.reports[f"campaign:{source_id}"] = _report(targeted=1234, sent=987, revenue="1250000.00")
    result.automations["a1"] = {"name": "장바구니 리마인드"}
    result.reports["automation:a1"] = _report(targeted=5, sent=5, delivered=5, clicked=2)
    lines = demo_month._table(result)
    assert len(lines) == 1 + len(names) + 1
    assert len({text_width.width(line) for line in lines}) == 1, "\n".join(lines)
    assert any("…" in line for line in lines)  # the longest name is cut to the column, not past it
    # Every number column ends in the same terminal column as its heading.
    header_end = text_width.width(lines[0].split("revenue")[0]) + len("revenue")
    assert all(text_width.width(line) == header_end for line in lines)
