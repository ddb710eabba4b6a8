"""The bodies that broke the public endpoints and the admin API with a 500 (issue "Nobody outside can damage a
customer's data", finding 5), each through the HTTP API, the real handler and the emulated AWS. Each is now a
clear answer: a 4xx naming the field, with nothing written and the same answer on a retry (so the platform
stops retrying), or the webhook applied once.
"""

import json
from datetime import UTC, datetime
from typing import Any

from nudge.adapters.catalog import DynamoCatalog
from nudge_local.demo import samples
from nudge_local.demo.samples import SampleRequest
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.stores import DOGDAY, MAPLE
from tests.e2e.conftest import AUTH, START, profiles, scan, send

SEGMENTS = "/admin/stores/dogday-mall/segments"
JSON_HEADERS = {"content-type": "application/json"}


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def _written(runtime: LocalRuntime) -> tuple[Any, ...]:
    tables = ("ProfilesTable", "EventsTable", "SendsTable")
    return (*(sorted(map(str, scan(runtime, table))) for table in tables), runtime.queue_depth("EventsQueue"))


def _refused(runtime: LocalRuntime, request: SampleRequest) -> list[dict[str, str]]:
    """Sent twice: the same 400 each time, naming the fields (returned), and nothing written."""
    before = _written(runtime)
    answer = runtime.http(request.method, request.path, request.headers, request.body)
    assert answer.status == 400, answer.body
    again = runtime.http(request.method, request.path, request.headers, request.body)
    assert (again.status, again.body) == (answer.status, answer.body)
    assert _written(runtime) == before
    fields: list[dict[str, str]] = json.loads(answer.body)["fields"]
    return fields


def _report(provider: str, body: bytes) -> SampleRequest:
    if provider == "nhn":
        signed = {**JSON_HEADERS, "x-toast-webhook-signature": DOGDAY.secrets["gateway-report-signature"]}
        return SampleRequest("POST", "/gateway/reports/nhn", signed, body)
    query = "?signature=" + MAPLE.secrets["gateway-report-signature"]
    return SampleRequest("POST", "/gateway/reports/solapi" + query, JSON_HEADERS, body)


def test_json_nested_10000_deep_is_a_400_naming_the_body_on_every_public_endpoint(
    runtime: LocalRuntime,
) -> None:
    send(runtime, samples.cafe24_login("dogfan01"))  # something there already, to see it unchanged
    deep = {
        "cafe24": samples.cafe24_login("dogfan01"),
        "shopify": samples.shopify_request("customers/create", {}, "e-deep"),
        "nudge": samples.nudge_request({}, START),
        "nhn reports": _report("nhn", b"{}"),
        "solapi reports": _report("solapi", b"[]"),
    }
    for endpoint, request in deep.items():
        fields = _refused(runtime, samples.with_body(request, _deep(10_000)))  # 20 KB
        assert fields == [
            {"field": "body", "message": "arrays and objects nest more than 32 deep (at line 1 column 33)"}
        ], endpoint
    # The tracker takes batches of at most 16 KB: 7,000 deep is 14 KB.
    fields = _refused(runtime, samples.with_body(samples.tracker_request("v", []), _deep(7_000)))
    assert fields[0]["message"] == "arrays and objects nest more than 32 deep (at line 1 column 33)"


def test_an_unpaired_surrogate_in_a_cafe24_body_is_replaced_and_the_webhook_applied_once(
    runtime: LocalRuntime,
) -> None:
    joined = samples.cafe24_member_joined("m-1", "김민", "010-0000-1001", START, sms=True, news_mail=False)
    # "김민" and half of an emoji's UTF-16 pair, as a platform that cuts text by UTF-16 units sends it.
    request = samples.with_body(joined, joined.body.replace("김민".encode(), "김민".encode() + rb"\ud83d"))
    status, answer = send(runtime, request)
    assert (status, answer["status"]) == (200, "applied")
    assert send(runtime, request)[1]["status"] == "duplicate"  # Cafe24's retry: the same delivery
    assert profiles(runtime)[("dogday-mall", "m-1")].name == "김민\ufffd"


def test_a_shopify_time_without_an_offset_is_a_400_naming_the_field(runtime: LocalRuntime) -> None:
    customer = samples.shopify_customer(7001, "Min", "Kim", "+821000002001", START)
    order = samples.shopify_order(9001, customer, START, [(51, 1, "1.00")])
    assert send(runtime, samples.shopify_request("orders/create", order, "o-1"))[0] == 200
    fulfillment = samples.shopify_fulfillment(1, 9001, START, "delivered")
    fulfillment["updated_at"] = "2026-03-16T10:00:00"  # Shopify documents ISO 8601 with the offset
    fields = _refused(runtime, samples.shopify_request("fulfillments/update", fulfillment, "f-1"))
    assert fields == [{"field": "updated_at", "message": "Input should have timezone info"}]
    customer["sms_marketing_consent"]["consent_updated_at"] = "2026-03-16T10:00:00"
    fields = _refused(runtime, samples.shopify_request("customers/update", customer, "c-1"))
    assert fields == [
        {"field": "sms_marketing_consent.consent_updated_at", "message": "Input should have timezone info"}
    ]


def test_a_cafe24_time_without_an_offset_is_the_stores_time_and_one_out_of_range_a_400(
    runtime: LocalRuntime,
) -> None:
    order = samples.cafe24_order_placed("O-9", "m-9", START, 1000, ["P1"])
    body = order.json()
    body["resource"]["order_date"] = "2026-03-16T09:30:00"  # Cafe24 writes its malls' Korean time
    assert send(runtime, samples.with_body(order, json.dumps(body).encode()))[0] == 200
    placed = profiles(runtime)[("dogday-mall", "m-9")].orders["O-9"].placed_at
    assert placed == datetime(2026, 3, 16, 0, 30, tzinfo=UTC)
    # Year 1 in Korea is before the calendar's first instant in UTC.
    body["resource"]["order_date"] = "0001-01-01T00:00:00+09:00"
    fields = _refused(runtime, samples.with_body(order, json.dumps(body).encode()))
    assert fields == [
        {
            "field": "resource.order_date",
            "message": "Value error, must be a time between the years 1970 and 2099",
        }
    ]


def test_numbers_json_cannot_carry_are_a_400_naming_the_field(runtime: LocalRuntime) -> None:
    for number, message in (
        ("NaN", "NaN is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
        ("1e400", "a number out of range (beyond ±1.8e308)"),
        ("1" * 5000, "an integer of 5000 digits; at most 64"),
    ):
        hooks = b'{"hooks": [{"recipientGroupingKey": "x", "resultCode": ' + number.encode() + b"}]}"
        fields = _refused(runtime, _report("nhn", hooks))
        assert fields == [{"field": "hooks[0].resultCode", "message": message}]


# ---------------------------------------------------------------- segments through the admin API


def _nested(groups: int) -> dict[str, Any]:
    condition: dict[str, Any] = {"field": "member.all"}
    for _ in range(groups):
        condition = {"field": "any", "conditions": [condition]}
    return condition


def _admin(runtime: LocalRuntime, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    answer = runtime.http(method, path, AUTH, raw)
    return answer.status, (json.loads(answer.body) if answer.body else None)


TOO_DEEP = {
    "field": "definition.include[0]" + ".conditions[0]" * 5,
    "message": "groups (any, all) nest at most 5 deep",
}


def test_a_segment_nested_too_deep_is_a_400_at_save_naming_the_field(runtime: LocalRuntime) -> None:
    # The finding: 200 groups deep, 400 levels of JSON.
    segment = {"segment_id": "deep", "name": "d", "definition": {"include": [_nested(200)]}}
    status, body = _admin(runtime, "POST", SEGMENTS, segment)
    assert status == 400, body
    assert body["fields"][0]["field"] == "body" and "nest more than 32 deep" in body["fields"][0]["message"]
    # Within the JSON's 32 levels, the segment language allows groups 5 deep.
    for groups, expected in ((5, 201), (6, 400)):
        segment = {"segment_id": f"g{groups}", "name": "n", "definition": {"include": [_nested(groups)]}}
        status, body = _admin(runtime, "POST", SEGMENTS, segment)
        assert status == expected, body
    assert body["fields"] == [TOO_DEEP]
    # NaN was saved, then answered as null.
    nan = b'{"segment_id": "nan", "name": "n", "definition": {"include": [{"field": "score", "op": ">=", '
    status, body = _admin(runtime, "POST", SEGMENTS, nan + b'"value": NaN}]}}')
    assert (status, body["fields"]) == (
        400,
        [{"field": "definition.include[0].value", "message": "NaN is not a JSON number"}],
    )
    assert [s["segment_id"] for s in _admin(runtime, "GET", SEGMENTS)[1]] == ["g5"]


def test_a_segment_saved_nested_too_deep_before_the_limit_still_reads(runtime: LocalRuntime) -> None:
    """As the finding left it: saved 200 deep. Every read answers; the segment can be replaced or deleted."""
    catalog = DynamoCatalog(runtime.table_name("StoresTable"), runtime.client("dynamodb"))
    saved = {
        "segment_id": "deep", "name": "d", "description": "", "definition": {"include": [_nested(200)]},
        "created_at": START.isoformat(), "updated_at": START.isoformat(),
    }  # fmt: skip
    assert catalog.put("dogday-mall", "segment", "deep", saved, create=True)
    status, one = _admin(runtime, "GET", f"{SEGMENTS}/deep")
    assert (status, one["definition"]) == (200, None)
    assert one["problems"] == [
        {
            "field": TOO_DEEP["field"],
            "message": f"{TOO_DEEP['message']} (saved before that limit: replace the definition or delete "
            "the segment)",
        }
    ]
    status, listed = _admin(runtime, "GET", SEGMENTS)
    assert (status, [s["segment_id"] for s in listed]) == (200, ["deep"])
    status, preview = _admin(runtime, "POST", f"{SEGMENTS}/deep/preview")
    assert (status, preview["fields"]) == (400, [TOO_DEEP])
    replacement = {"name": "d", "definition": {"include": [_nested(2)]}}
    assert _admin(runtime, "PUT", f"{SEGMENTS}/deep", replacement)[0] == 200
    assert "problems" not in _admin(runtime, "GET", f"{SEGMENTS}/deep")[1]
    assert _admin(runtime, "DELETE", f"{SEGMENTS}/deep")[0] == 204
