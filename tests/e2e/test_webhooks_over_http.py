"""Storefront requests through the HTTP API routes of template.yaml, the real handlers, DynamoDB and SQS."""

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nudge.privacy import KOREAN_PHONE_PATTERN
from nudge_local.demo import samples
from nudge_local.demo.samples import SampleRequest
from nudge_local.demo.storyline import storyline
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import START, hold_events, profiles, queued_events, scan, send

CAFE24 = {"content-type": "application/json", "x-api-key": "local-cafe24-app-key"}
LOGIN = samples.cafe24_login("dogfan01")

BAD_INPUT = [
    (
        "malformed JSON",
        SampleRequest("POST", LOGIN.path, CAFE24, b'{"event_no": 90143, "resource": {'),
        400,
        "body",
    ),
    (
        "missing field",
        samples.cafe24_request(90023, {"member_id": "m1", "paid": "T"}),
        400,
        "resource.order_id",
    ),
    (
        "wrong type",
        samples.cafe24_request(90084, {"member_id": "m1", "product_no": 12, "quantity": "two"}),
        400,
        "resource.quantity",
    ),
    (
        "wrong type in the Nudge format",
        samples.nudge_request(
            {
                "event_id": "e",
                "type": "order.placed",
                "occurred_at": START.isoformat(),
                "customer": {"id": "m"},
                "data": {"order_id": "o", "amount": "lots"},
            },
            START,
        ),
        400,
        "data.amount",
    ),
    ("bad Cafe24 key", samples.cafe24_login("dogfan01", api_key="wrong"), 403, None),
    (
        "bad Shopify HMAC",
        samples.shopify_request("customers/create", {"id": 1}, "e1", secret="forged"),
        401,
        None,
    ),
    (
        "stale Nudge signature",
        samples.nudge_request(
            {
                "event_id": "e",
                "type": "member.logged_in",
                "occurred_at": START.isoformat(),
                "customer": {"id": "m"},
            },
            START - timedelta(minutes=6),
        ),
        401,
        None,
    ),
    ("unknown store", samples.cafe24_login("dogfan01", store_id="nobody"), 404, None),
    (
        "unknown platform",
        SampleRequest("POST", "/webhooks/godomall/dogday-mall", CAFE24, LOGIN.body),
        404,
        None,
    ),
    (
        "body over 256 KB",
        SampleRequest("POST", LOGIN.path, CAFE24, b'{"pad":"' + b"x" * 270_000 + b'"}'),
        413,
        None,
    ),
    (
        "wrong content type",
        SampleRequest("POST", LOGIN.path, {**CAFE24, "content-type": "text/xml"}, b"<x/>"),
        415,
        None,
    ),
    (
        "tracker write key",
        samples.tracker_request("v", [{"id": "a", "type": "visit"}], write_key="nope"),
        403,
        None,
    ),
    (
        "tracker origin",
        samples.tracker_request("v", [{"id": "a", "type": "visit"}], origin="https://evil.example"),
        403,
        None,
    ),
]


def _written(runtime: LocalRuntime) -> tuple[int, int, int]:
    return (
        len(scan(runtime, "ProfilesTable")),
        len(scan(runtime, "EventsTable")),
        runtime.queue_depth("EventsQueue"),
    )


@pytest.mark.parametrize(("case", "request_", "status", "field"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_refused_with_a_clear_error_and_nothing_is_written(
    runtime: LocalRuntime, case: str, request_: SampleRequest, status: int, field: str | None
) -> None:
    send(runtime, samples.cafe24_login("dogfan01"))  # something already there, to see it unchanged
    before = _written(runtime)
    answer_status, body = send(runtime, request_)
    assert answer_status == status, body
    assert body["error"] and body["message"]
    if field is not None:
        assert field in [f["field"] for f in body["fields"]], body
    assert _written(runtime) == before


def test_a_webhook_is_applied_and_its_events_reach_the_events_queue(runtime: LocalRuntime) -> None:
    hold_events(runtime)
    status, body = send(runtime, samples.cafe24_order_placed("O-1", "dogfan01", START, 42000, ["P1"]))
    assert status == 200 and body == {"status": "applied", "events": ["order.placed", "order.paid"]}
    profile = profiles(runtime)[("dogday-mall", "dogfan01")]
    assert profile.order_count == 1
    events = queued_events(runtime)
    assert [e["type"] for e in events] == ["order.placed", "order.paid"]
    assert all(e["store_id"] == "dogday-mall" and e["customer_id"] == "dogfan01" for e in events)


def _replay(runtime: LocalRuntime, times: int) -> None:
    hold_events(runtime)
    steps = [s for s in storyline() if s.at < START + timedelta(days=3)]
    for step in steps:
        runtime.set_time(step.at)
        for _ in range(times):
            send(runtime, step.request)


def test_every_webhook_delivered_three_times_leaves_the_same_profiles_as_once() -> None:
    with LocalRuntime(start=START) as once:
        _replay(once, 1)
        clean = profiles(once)
        clean_events = {e["event_id"] for e in queued_events(once)}
    with LocalRuntime(start=START) as thrice:
        _replay(thrice, 3)
        assert profiles(thrice) == clean
        events = queued_events(thrice)
        # Duplicates hand their events on again (at-least-once); consumers dedupe by event_id.
        assert {e["event_id"] for e in events} == clean_events


def test_an_older_update_arriving_late_does_not_move_the_order_back(runtime: LocalRuntime) -> None:
    customer = samples.shopify_customer(7001, "J", "P", "+821000002001", START)
    order = samples.shopify_order(9001, customer, START, [(51, 1, "1.00")])
    send(runtime, samples.shopify_request("orders/create", order, "e1"))
    runtime.set_time(START + timedelta(days=2))
    delivered = samples.shopify_fulfillment(1, 9001, START + timedelta(days=2), "delivered")
    in_transit = samples.shopify_fulfillment(1, 9001, START + timedelta(days=1), "in_transit")
    assert send(runtime, samples.shopify_request("fulfillments/update", delivered, "e2"))[0] == 200
    assert (
        send(runtime, samples.shopify_request("fulfillments/update", in_transit, "e3"))[1]["status"]
        == "applied"
    )
    assert profiles(runtime)[("maple-goods", "7001")].orders["9001"].status == "delivered"


def test_dynamodb_requests_per_webhook_stay_at_two_idempotency_included(runtime: LocalRuntime) -> None:
    send(runtime, samples.cafe24_login("warmup"))  # store settings and secret are cached after this
    # One more when the webhook creates the profile: was its customer erased after the event (nudge.erasure)?
    # A cart line costs two more (nudge.products): its price and name read from the catalog (one BatchGetItem
    # for all the lines), and a new one noted for the product's alerts (one BatchWriteItem).
    for request, requests in (
        (samples.cafe24_added_to_cart("dogfan01", 12), 3 + 2),
        (samples.cafe24_added_to_cart("dogfan01", 12), 2 + 1),
    ):
        before = runtime.counters.calls_by_service()["dynamodb"]
        send(runtime, request)
        assert runtime.counters.calls_by_service()["dynamodb"] - before <= requests


def test_tracker_preflight_and_post_answer_cors_for_the_store_origin_only(runtime: LocalRuntime) -> None:
    preflight = {"origin": "https://dogday.example", "access-control-request-method": "POST"}
    status, headers, _ = runtime.http("OPTIONS", "/collect/dogday-mall", preflight)
    assert status == 204 and headers["access-control-allow-origin"] == "https://dogday.example"
    status, headers, _ = runtime.http(
        "OPTIONS", "/collect/dogday-mall", {**preflight, "origin": "https://evil.example"}
    )
    assert status == 403 and "access-control-allow-origin" not in headers
    batch = samples.tracker_request("v-1", [{"id": "p", "type": "page_view", "path": "/event/dogday"}])
    status, headers, _ = runtime.http(batch.method, batch.path, batch.headers, batch.body)
    assert status == 200 and headers["access-control-allow-origin"] == "https://dogday.example"


def test_no_phone_number_or_name_reaches_a_log_line(runtime: LocalRuntime) -> None:
    for step in storyline():
        runtime.set_time(step.at)
        send(runtime, step.request)
    logs = "\n".join(runtime.logs.lines)
    assert logs, "the handlers log"
    assert not KOREAN_PHONE_PATTERN.search(logs)
    for name in ("김민지", "박서준", "최유나", "Jisoo", "Minho"):
        assert name not in logs


HEADER_NAMES = [
    "content-type",
    "x-api-key",
    "x-shopify-topic",
    "x-shopify-hmac-sha256",
    "x-shopify-event-id",
    "x-nudge-timestamp",
    "x-nudge-signature",
    "origin",
]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    path=st.sampled_from(
        [
            "/webhooks/cafe24/dogday-mall",
            "/webhooks/shopify/maple-goods",
            "/webhooks/nudge/dogday-mall",
            "/collect/dogday-mall",
            "/webhooks/x/y",
        ]
    ),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), st.text(max_size=40), max_size=6),
    body=st.binary(max_size=200)
    | st.from_regex(r'\{"event_no": ?9\d{4}, ?"resource": ?\{.*\}\}', fullmatch=True).map(str.encode),
)
def test_random_requests_never_get_a_500(
    runtime: LocalRuntime, path: str, headers: dict[str, str], body: bytes
) -> None:
    status, _, _ = runtime.http("POST", path, headers, body)
    assert status < 500


def test_log_lines_carry_the_request_id_but_not_what_the_log_group_already_says(
    runtime: LocalRuntime,
) -> None:
    for step in storyline():
        runtime.set_time(step.at)
        send(runtime, step.request)
    lines = [json.loads(line) for line in runtime.logs.lines if line.startswith('{"level"')]
    assert lines, "the handlers log"
    for line in lines:
        assert line["function_request_id"] and "cold_start" in line
        assert not {"function_name", "function_arn", "function_memory_size"} & set(line)
