"""Functions run in-process with their own environment and a Lambda-like context; invocations are
counted; `nudge local invoke` prints a function's response."""

import json
import os

import httpx
import pytest

from nudge.adapters import gateway_accounts
from nudge_local.cli import main
from nudge_local.runtime.runtime import LOCAL_GATEWAY_URL, LocalRuntime

from .conftest import START, TEMPLATE


def test_each_function_sees_its_own_environment_only_while_it_runs(runtime):
    assert runtime.http("GET", "/hello/x").json()["service"] == "api"
    assert "POWERTOOLS_SERVICE_NAME" not in os.environ or os.environ["POWERTOOLS_SERVICE_NAME"] != "api"
    env = runtime.functions.environment(runtime.functions.function("TickFunction"))
    assert env["POWERTOOLS_SERVICE_NAME"] == "tick"
    assert env["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert env["ITEMS_TABLE"] == runtime.table_name("ItemsTable")


def test_context_looks_like_lambdas(runtime):
    function = runtime.functions.function("ApiFunction")
    context = runtime.functions.context(function)
    assert context.function_name == "nudge-local-ApiFunction"
    assert context.invoked_function_arn == function.arn
    assert context.memory_limit_in_mb == 256
    assert 0 < context.get_remaining_time_in_millis() <= 5000


def test_invocations_and_durations_are_counted(runtime):
    runtime.invoke("TickFunction", {"kind": "direct"})
    runtime.invoke("TickFunction", {"kind": "direct"})
    stats = runtime.counters.functions["TickFunction"]
    assert stats.invocations == 2 and stats.errors == 0
    assert len(stats.durations_ms) == 2 and stats.total_ms >= stats.max_ms > 0
    assert runtime.counters.invocations == {"TickFunction": 2}


def test_functions_reach_the_gateway_emulator_in_process_only_while_the_runtime_is_open() -> None:
    with LocalRuntime(TEMPLATE, start=START) as runtime:
        assert runtime.parameters["GatewayBaseUrl"] == LOCAL_GATEWAY_URL
        answer = gateway_accounts.http_client().post(f"{LOCAL_GATEWAY_URL}/nowhere", json={})
        assert answer.status_code == 404 and answer.json() == {"message": "no such endpoint /nowhere"}
    with pytest.raises(httpx.ConnectError):  # the name is not resolved: nothing answers it any more
        gateway_accounts.http_client().post(f"{LOCAL_GATEWAY_URL}/nowhere", json={})


def test_cli_invoke_prints_the_response(tmp_path, capsys):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"kind": "cli"}))
    assert main(["local", "invoke", "TickFunction", "-e", str(event), "-t", str(TEMPLATE), "-q"]) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True}


def test_cli_invoke_of_an_unknown_function_fails(capsys):
    assert main(["local", "invoke", "NoSuchFunction", "-t", str(TEMPLATE)]) == 2
    assert "TickFunction" in capsys.readouterr().err


def test_cli_invoke_reports_a_handler_error_like_lambda(tmp_path, capsys):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"fail": True}))
    assert main(["local", "invoke", "TickFunction", "-e", str(event), "-t", str(TEMPLATE), "-q"]) == 1
    assert json.loads(capsys.readouterr().out) == {
        "errorType": "RuntimeError",
        "errorMessage": "asked to fail",
    }
