"""The local HTTP API builds API Gateway payload 2.0 events that Powertools' resolver accepts, and
answers like API Gateway (404 for unknown routes, 500 when the function fails)."""

import base64
import json
import urllib.error
import urllib.request

import pytest

from nudge_local.runtime.apigw import RouteTable, build_event
from nudge_local.runtime.http import serve_in_background
from nudge_local.runtime.local_routes import LocalResponse, register
from nudge_local.runtime.template import Route

from .conftest import START


def test_get_route_with_path_query_cookies_and_headers(runtime):
    result = runtime.http(
        "GET",
        "/hello/%EB%AF%BC%EC%A7%80?utm=kakao&utm=sms&x=1",
        {"User-Agent": "pytest", "Cookie": "sid=abc; theme=dark"},
    )
    assert result.status == 200
    body = result.json()
    assert body["greeting"] == "hello 민지"  # the template's parameter, read at import time
    assert body["query"] == {"utm": "kakao,sms", "x": "1"}
    assert body["cookies"] == ["sid=abc", "theme=dark"]
    assert body["agent"] == "pytest"
    assert body["route"] == "GET /hello/{name}"
    assert body["service"] == "api"


def test_event_shape_is_payload_v2():
    routes = RouteTable([Route("POST", "/webhooks/{platform}/{store_id}", "F", "E")])
    match = routes.match("POST", "/webhooks/cafe24/dogday-mall")
    assert match is not None
    event = build_event(
        match, "POST", "/webhooks/cafe24/dogday-mall", "a=1",
        [("Content-Type", "application/json"), ("X-Api-Key", "k")], b'{"x": 1}', START,
    )  # fmt: skip
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /webhooks/{platform}/{store_id}"
    assert event["rawPath"] == "/webhooks/cafe24/dogday-mall"
    assert event["pathParameters"] == {"platform": "cafe24", "store_id": "dogday-mall"}
    assert event["headers"]["x-api-key"] == "k"
    assert event["body"] == '{"x": 1}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "$default" and context["http"]["method"] == "POST"
    assert context["timeEpoch"] == int(START.timestamp() * 1000)  # the simulated clock, not the wall


def test_binary_body_is_base64_both_ways(runtime):
    payload = bytes(range(256))
    result = runtime.http("POST", "/echo", {"content-type": "application/octet-stream"}, payload)
    assert result.status == 201
    assert result.body == payload
    assert result.headers["x-was-base64"] == "true"
    assert result.headers["set-cookie"] == "a=1\nb=2"


def test_text_body_is_passed_as_text(runtime):
    result = runtime.http("POST", "/echo", {"content-type": "application/json"}, '{"안녕": 1}')
    assert result.headers["x-was-base64"] == "false"
    assert json.loads(result.body) == {"안녕": 1}


def test_greedy_path_and_any_method(runtime):
    assert runtime.http("PUT", "/files/a/b/c.txt").json() == {"path": "a/b/c.txt"}


def test_unknown_route_is_404_like_api_gateway(runtime):
    result = runtime.http("GET", "/nowhere")
    assert (result.status, result.json()) == (404, {"message": "Not Found"})
    assert runtime.http("DELETE", "/echo").status == 404  # known path, other method


def test_failing_function_is_500(runtime):
    result = runtime.http("GET", "/boom")
    assert (result.status, result.json()) == (500, {"message": "Internal Server Error"})
    assert any("RuntimeError" in line for line in runtime.logs.lines)
    assert runtime.counters.functions["ApiFunction"].errors == 1


def test_clock_route_get_set_advance_and_refuse_backwards(runtime):
    assert runtime.http("GET", "/_local/clock").json()["now"] == "2026-03-20T00:00:00+00:00"
    moved = runtime.http("POST", "/_local/clock", {}, json.dumps({"advance": "PT3H"}))
    assert moved.json()["now"] == "2026-03-20T03:00:00+00:00"
    moved = runtime.http("POST", "/_local/clock", {}, json.dumps({"advance_seconds": 60}))
    assert moved.json()["now"] == "2026-03-20T03:01:00+00:00"
    moved = runtime.http("POST", "/_local/clock", {}, json.dumps({"set": "2026-03-20T23:30:00+09:00"}))
    assert moved.json()["now"] == "2026-03-20T14:30:00+00:00"
    back = runtime.http("POST", "/_local/clock", {}, json.dumps({"set": "2026-03-20T09:00:00+09:00"}))
    assert back.status == 409
    assert runtime.http("POST", "/_local/clock", {}, json.dumps({"advance": "soon"})).status == 400


def test_extra_local_routes_can_be_registered(runtime):
    runtime.local_routes.add("GET", "/_local/ping", lambda rt, req: LocalResponse.json({"q": req.query}))
    assert runtime.http("GET", "/_local/ping?x=1").json() == {"q": {"x": "1"}}
    with pytest.raises(ValueError):
        runtime.local_routes.add("GET", "/ping", lambda rt, req: LocalResponse.json({}))


def test_globally_registered_local_route_reaches_new_runtimes():
    from nudge_local.runtime.runtime import LocalRuntime

    from .conftest import TEMPLATE

    @register("GET", "/_local/test-global")
    def _global(rt, request):
        return LocalResponse.json({"now": rt.clock.now().isoformat()})

    with LocalRuntime(TEMPLATE, start=START) as rt:
        assert rt.http("GET", "/_local/test-global").status == 200


def test_served_over_a_real_socket(runtime):
    server = serve_in_background(runtime, port=0)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with urllib.request.urlopen(f"{base}/hello/you") as response:
            assert json.loads(response.read())["greeting"] == "hello you"
        request = urllib.request.Request(
            f"{base}/echo", data=b"\x00\xff", headers={"content-type": "image/png"}, method="POST"
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 201 and response.read() == b"\x00\xff"
            assert response.headers.get_all("set-cookie") == ["a=1", "b=2"]
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/missing")
        assert missing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_base64_decoding_of_event_body():
    routes = RouteTable([Route("POST", "/x", "F", "E")])
    match = routes.match("POST", "/x")
    assert match is not None
    event = build_event(match, "POST", "/x", "", [("content-type", "image/png")], b"\x89PNG", START)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x89PNG"
