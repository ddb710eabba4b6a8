"""The admin API does what its OpenAPI document says. Schemathesis reads /admin/openapi.json from the local
runtime on a real socket, generates requests for every operation (the document's examples, boundary values,
valid and invalid data, undeclared methods) and checks every answer: no server error; the documented status,
content type, body and headers; invalid data refused with a 4xx; an unsigned request refused.

It runs through schemathesis' command line, its stable interface (its pytest integration cannot load a
schema from a fixture under this pytest), deterministic and bounded by MAX_EXAMPLES per operation.
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nudge_local.runtime.apigw import LOCAL_ADMIN_TOKEN
from nudge_local.runtime.http import serve_in_background
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.stores import DOGDAY
from tests.contract.admin_openapi_hooks import ADMIN_IDS_VARIABLE

pytestmark = pytest.mark.contract

START = datetime(2026, 3, 18, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))
AUTH = {"authorization": f"Bearer {LOCAL_ADMIN_TOKEN}", "content-type": "application/json"}
STORE = DOGDAY.store.store_id
HOOKS = Path(__file__).with_name("admin_openapi_hooks.py")
MAX_EXAMPLES = 25  # per operation in the fuzzing phase; the coverage phase generates what the schema defines
CONFIG = f"""
hooks = "{HOOKS}"
headers = {{ Authorization = "Bearer {LOCAL_ADMIN_TOKEN}" }}
workers = 1
color = false

[generation]
max-examples = {MAX_EXAMPLES}
deterministic = true

[phases.stateful]
enabled = false  # the document has no links between operations

# The methods API Gateway's HTTP API routes to the admin function (TRACE and QUERY never reach it).
[phases.coverage]
unexpected-methods = ["get", "put", "post", "delete", "patch", "options"]

# positive_data_acceptance expects a 2xx for whatever the schema allows, but a schema cannot say all Nudge
# checks (a message's compliance rules, the segment language, a time zone's name): such a request is
# refused 400 naming the field, as documented. The others need a second user or links between operations.
[checks.positive_data_acceptance]
enabled = false
[checks.object_level_authorization]
enabled = false
[checks.use_after_free]
enabled = false
[checks.ensure_resource_availability]
enabled = false
"""


def _created(runtime: LocalRuntime) -> dict[str, str]:
    """The document's own request examples, sent: each is accepted, and what they create is what the
    generated requests name (the campaign recurring, so its schedule is read and replaced too)."""
    document = runtime.http("GET", "/admin/openapi.json", AUTH).json()

    def post(path: str, **changes: Any) -> Any:
        content = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        body = {**content["examples"]["example"]["value"], **changes}
        answer = runtime.http("POST", path.replace("{store_id}", STORE), AUTH, json.dumps(body))
        assert answer.status in (200, 201), (path, answer.body)
        return answer.json()

    segment = post("/admin/stores/{store_id}/segments")
    post("/admin/stores/{store_id}/campaigns")
    daily = {"mode": "recurring", "cron": "0 10 ? * * *", "start": "2026-03-18", "end": "2026-03-24"}
    campaign = post("/admin/stores/{store_id}/campaigns", send=daily)
    automation = post("/admin/stores/{store_id}/automations")
    assert post("/admin/stores/{store_id}/members/import")["created"] == 1
    image = post("/admin/stores/{store_id}/images")
    return {
        "store_id": STORE,
        "segment_id": segment["segment_id"],
        "campaign_id": campaign["campaign_id"],
        "automation_id": automation["automation_id"],
        "customer_id": "m-1001",  # the member import example's
        "image_id": image["image_id"],
    }


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(start=START) as rt:
        yield rt


@pytest.fixture(scope="module")
def admin_api(runtime: LocalRuntime) -> Iterator[tuple[str, dict[str, str]]]:
    """The local runtime's HTTP API on 127.0.0.1 at a free port, and the ids of what exists in it."""
    created = _created(runtime)
    server = serve_in_background(runtime, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", created
    finally:
        server.shutdown()
        server.server_close()


def test_the_document_declares_statuses_errors_security_and_tags_in_readable_korean(
    runtime: LocalRuntime,
) -> None:
    answer = runtime.http("GET", "/admin/openapi.json", AUTH)
    assert answer.status == 200 and answer.headers["content-type"] == "application/json"
    assert "상점".encode() in answer.body and b"\\u" not in answer.body  # UTF-8, not \uXXXX escapes
    document = answer.json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["awsSigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert schemes["localBearer"] == {**schemes["localBearer"], "type": "http", "scheme": "bearer"}
    assert document["security"] == [{"awsSigv4": []}, {"localBearer": []}]
    error = {"$ref": "#/components/schemas/Error"}
    statuses = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert len(operation["tags"]) == 1, (method, path)
            refused = operation["responses"]["403"]["content"]["application/json"]["schema"]
            assert "422" not in operation["responses"] and refused == error
            route = f"{method.upper()} {path.removeprefix('/admin/stores/{store_id}')}"
            statuses[route] = " ".join(sorted(operation["responses"]))
    assert statuses["POST /segments"] == "201 400 403 404 409 413 415"
    assert statuses["DELETE /segments/{segment_id}"] == "204 400 403 404 409"
    assert statuses["POST /campaigns/{campaign_id}/run"] == "202 400 403 404 409"  # 409: paused
    assert statuses["POST /alimtalk-templates/sync"] == "200 400 403 404 409 502"
    assert statuses["GET /admin/segment-templates"] == "200 403"


def test_refusals_say_what_was_wrong(runtime: LocalRuntime) -> None:
    def send(method: str, path: str, body: bytes = b"", **headers: str) -> tuple[int, dict[str, str], Any]:
        answer = runtime.http(method, f"/admin/stores/{STORE}{path}", {**AUTH, **headers}, body)
        return answer.status, answer.headers, answer.json()

    visited = {"include": [{"field": "traffic.last_visit", "within_days": 0}]}
    segment = json.dumps({"segment_id": "twice", "name": "오늘 방문", "definition": visited}).encode()
    assert send("POST", "/segments", segment)[0] == 201
    status, _, body = send("POST", "/segments", segment)
    assert (status, body["error"], body["fields"][0]["field"]) == (409, "conflict", "segment_id")
    status, _, body = send("POST", "/segments", b"segment_id=x", **{"content-type": "text/plain"})
    assert (status, body["error"]) == (415, "unsupported_media_type")
    status, _, body = send("POST", "/segments", b"\xff\xfe")
    assert (status, body["fields"]) == (400, [{"field": "body", "message": "not UTF-8 (byte 0)"}])
    status, headers, body = send("PATCH", "/segments/twice")
    assert (status, headers["allow"], body["error"]) == (405, "DELETE, GET, PUT", "method_not_allowed")
    status, _, body = send("GET", "/nothing-here")
    assert (status, body["error"]) == (404, "not_found")
    settings = {"name": "도그데이몰", "platforms": ["cafe24"], "existing_customer_exemption": 0}
    status, _, body = send("PUT", "", json.dumps(settings).encode())
    assert status == 400
    problem = {"field": "existing_customer_exemption", "message": "should be boolean, not integer"}
    assert body["fields"] == [problem]
    assert send("GET", "")[2]["name"] == DOGDAY.store.name  # nothing was written
    status, _, body = send("GET", "/campaigns/not%20an%20id")
    assert (status, body["fields"][0]["field"]) == (400, "campaign_id")


def test_the_admin_api_answers_as_its_openapi_document_says(
    admin_api: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, created = admin_api
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config),
        "run", f"{url}/admin/openapi.json",
    ]  # fmt: skip
    environment = {
        **os.environ,
        ADMIN_IDS_VARIABLE: json.dumps(created),
        "NO_PROXY": "127.0.0.1",  # the local API is never reached through a proxy
        "no_proxy": "127.0.0.1",
    }
    started = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=600)
    report = f"{run.stdout}{run.stderr}\n{time.monotonic() - started:.1f} s"
    print(report)
    assert run.returncode == 0, report
