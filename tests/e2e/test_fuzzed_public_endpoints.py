"""Every public endpoint fuzzed through the HTTP API, the real handler and the emulated AWS: valid bodies with
fields deleted, duplicated, retyped or replaced (deep nesting, odd Unicode, unpaired surrogates, huge and
non-finite numbers, wrong types, odd timestamps), each signed the way its sender signs, so it reaches the
parsers. The properties: never a 5xx; a 4xx names what was wrong, writes nothing and is the same answer on a
retry, so a platform that retries stops at the same refusal.

"Writes nothing" is read off the local runtime's request counters (nudge_local/bill/counters.py): no function
sent a single write (DynamoDB Put/Update/Delete/TransactWrite/BatchWrite, an SQS message, a schedule) while
the refusal was made, so no table (profiles, events, sends) and no queue changed. Exact, and cheap enough to
check every example; scanning the tables each time would take longer than the requests
(test_hostile_bodies.py compares the tables themselves for each finding).

The secrets are the local stores' (nudge_local/runtime/stores.py). 200 examples per endpoint.
"""

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nudge.adapters.ledger import to_item
from nudge.sending.records import SendRecord, State
from nudge_local.demo import samples
from nudge_local.demo.samples import SampleRequest
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.stores import DOGDAY, MAPLE
from tests.e2e.conftest import START

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
WRITES = ("Put", "Update", "Delete", "TransactWrite", "BatchWrite", "SendMessage", "Create")


# ---------------------------------------------------------------- how a mutated body is written


@dataclass(frozen=True)
class Raw:
    """JSON text as is: what json.dumps will not write (10,000 levels, a 5,000-digit number)."""

    text: str


@dataclass(frozen=True)
class Duplicated:
    """An object whose key appears twice (JSON allows it; the last one wins in Python)."""

    pairs: tuple[tuple[str, Any], ...]


def dumps(value: Any, ascii_only: bool = False) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Duplicated | dict):
        pairs = value.pairs if isinstance(value, Duplicated) else tuple(value.items())
        return "{" + ",".join(f"{_string(k, ascii_only)}:{dumps(v, ascii_only)}" for k, v in pairs) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(v, ascii_only) for v in value) + "]"
    if isinstance(value, str):
        return _string(value, ascii_only)
    return json.dumps(value)  # numbers (NaN and Infinity too: Python writes them), booleans, null


def _string(text: str, ascii_only: bool) -> str:
    # A lone surrogate can only travel as a \uXXXX escape: UTF-8 cannot carry it.
    surrogate = any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    return json.dumps(text, ensure_ascii=ascii_only or surrogate)


# ---------------------------------------------------------------- what a field is replaced with

ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\ud800",
        "\udfff",
        "a\ud83d",
        "\ude00b",
        "\ud83d\ude00",
        "\x00",
        "\u202e\u2066",
        "\ufeff",
        "홍\u200d길동",
        "e\u0301\u0301\u0301",
        "𝕏𝕐",
        "010-0000-1001\ud800",
        "x" * 5000,
        "/" + "é" * 3000,
        "<script>",
        "null",
        "1e999",
    ]
) | st.text(alphabet=st.characters(codec=None, categories=("Cs", "Co", "Cc", "Mn", "Lo", "So")), max_size=8)
ODD_TIMES = st.sampled_from(
    [
        "2026-03-16T09:00:00",
        "2026-03-16 09:00:00",
        "2026-03-16",
        "09:00:00",
        "2026-03-16T09:00:00Z",
        "2026-03-16T09:00:00+14:00",
        "2026-03-16T09:00:00-12:00",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59-12:00",
        "9999-12-31T23:59:59",
        "1969-12-31T23:59:59Z",
        "2200-01-01T00:00:00+09:00",
        "2026-02-30T00:00:00+09:00",
        "2026-03-16T25:00:00+09:00",
        "2026-03-16T09:00:00+24:00",
        "2026-03-16T09:00:00.123456789+09:00",
        "2026-W12-1T09:00:00Z",
        "1773999000",
        "",
    ]
) | st.sampled_from([1773999000, 1773999000.5, 10**20, -(10**12), 0])
HUGE_NUMBERS = (
    st.sampled_from(
        [
            Raw("1" * 5000),
            Raw("-" + "9" * 400),
            Raw("1e400"),
            Raw("-1e400"),
            Raw("1" * 400 + ".5"),
            Raw("1E-400"),
            Raw("NaN"),
            Raw("Infinity"),
            Raw("-Infinity"),
            Raw("0.1e99999999999"),
            2**63,
            -(2**63) - 1,
            2**200,
            -1,
            0,
            1.5,
        ]
    )
    | st.integers()
    | st.floats()
)
DEEP = st.sampled_from([33, 100, 1000, 10_000]).flatmap(
    lambda depth: st.sampled_from(
        [
            Raw("[" * depth + "]" * depth),
            Raw('{"a":' * depth + "1" + "}" * depth),
            Raw('[{"x":' * (depth // 2) + "null" + "}]" * (depth // 2)),
        ]
    )
) | st.integers(2, 30).map(lambda depth: Raw("[" * depth + '"x"' + "]" * depth))
WRONG_TYPES: st.SearchStrategy[Any] = st.sampled_from(
    [None, True, False, [], {}, [1, "a"], {"x": {"y": []}}, [[[]]], "T", 0]
)
# A copy each time: a mutation changes what it inserted, and a shared list or object would carry that into
# the next example.
ODD_VALUES = st.one_of(ODD_TEXT, ODD_TIMES, HUGE_NUMBERS, DEEP, WRONG_TYPES).map(copy.deepcopy)


def _retyped(value: Any) -> st.SearchStrategy[Any]:
    """The same value as another JSON type: "5" for 5, 5 for "5", [x], {"value": x}, its text."""
    options: list[Any] = [[value], {"value": value}, str(value), None]
    if isinstance(value, str):
        options += [len(value), int(value) if value.isdigit() and len(value) < 30 else 0, value == "T"]
    elif isinstance(value, bool | int | float):
        options += [str(value), not value]
    return st.sampled_from(options)


# ---------------------------------------------------------------- mutating a valid body


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a parsed body: object keys and array indexes, outermost first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*at, key)
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*at, index)
            yield from _paths(item, (*at, index))


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> bytes:
    """`base` (a parsed valid body) with one to three mutations, written as JSON text."""
    body = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        places = list(_paths(body))
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent, key = _at(body, path[:-1]), path[-1]
        kind = draw(st.sampled_from(["delete", "replace", "retype", "duplicate", "add", "deepen"]))
        if kind == "delete":
            del parent[key]
        elif kind == "replace":
            parent[key] = draw(ODD_VALUES)
        elif kind == "retype":
            parent[key] = draw(_retyped(parent[key]))
        elif kind == "deepen":
            parent[key] = draw(DEEP)
        elif kind == "add" and isinstance(parent, dict):
            parent[draw(ODD_TEXT | st.sampled_from(["id", "type", "__proto__"]))] = draw(ODD_VALUES)
        elif kind == "duplicate" and isinstance(parent, dict):
            # The object is written from here on (its contents are not mutated again).
            twice = Duplicated((*parent.items(), (key, draw(st.just(parent[key]) | ODD_VALUES))))
            if len(path) == 1:
                body = twice
            else:
                _at(body, path[:-2])[path[-2]] = twice
    text = dumps(body, ascii_only=draw(st.booleans()))
    tail = draw(st.sampled_from(["", "", "", "", "truncate", "bom", "garbage"]))
    if tail == "truncate":
        text = text[: draw(st.integers(0, max(len(text) - 1, 0)))]
    elif tail == "bom":
        text = "\ufeff" + text
    elif tail == "garbage":
        text += draw(st.sampled_from([",", "}", " x", "\x00", "\ud800"]))
    return text.encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------- the runtime; what a refusal may not change


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(start=START) as rt:
        # What the queues carry on (journeys, sends) is not what is fuzzed here, and its writes are not the
        # request's: nothing consumes them.
        rt.template.sqs_sources[:] = [replace(s, enabled=False) for s in rt.template.sqs_sources]
        yield rt


def _writes(runtime: LocalRuntime) -> int:
    return sum(
        n
        for origin, calls in runtime.counters.aws_calls_by_origin.items()
        if origin != "local"
        for action, n in calls.items()
        if action.split(":", 1)[1].startswith(WRITES)
    )


def _check(runtime: LocalRuntime, request: SampleRequest) -> int:
    """Send it: never a 5xx; a 4xx names the problem, writes nothing, and is answered the same again."""
    writes = _writes(runtime)
    answer = runtime.http(request.method, request.path, request.headers, request.body)
    assert answer.status < 500, (answer.status, request.body[:300])
    if answer.status >= 400:
        body = json.loads(answer.body)
        assert body["error"] and body["message"], body
        if answer.status == 400:
            assert body["fields"] and all(f["field"] and f["message"] for f in body["fields"]), body
        assert _writes(runtime) == writes, body
        again = runtime.http(request.method, request.path, request.headers, request.body)
        assert (again.status, again.body) == (answer.status, answer.body)
    return answer.status


_serial = count()


def _unique(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


# ---------------------------------------------------------------- the endpoints


def _cafe24_bodies() -> list[dict[str, Any]]:
    return [
        samples.cafe24_order_placed("O-1", "m1", START, 45000, ["P1", "P2"]).json(),
        samples.cafe24_order_placed("O-2", "", START, 15000, ["P3"]).json(),
        samples.cafe24_shipping("O-1", "m1", "T").json(),
        samples.cafe24_shipping("O-2", "", "M").json(),
        samples.cafe24_member_joined("m2", "김민지", "010-0000-1002", START, True, False).json(),
        samples.cafe24_member_changed("m2", sms=False, phone="010-0000-1003").json(),
        samples.cafe24_added_to_cart("m1", 12, 2).json(),
        samples.cafe24_login("m1").json(),
    ]


def _shopify_bodies() -> list[tuple[str, dict[str, Any]]]:
    customer = samples.shopify_customer(7001, "Min", "Kim", "+821000002001", START)
    order = samples.shopify_order(9001, customer, START, [(51, 1, "19000.00"), (52, 2, "5000.00")])
    checkout = samples.shopify_checkout("tok-1", customer, START, [(51, 1, "19000.00")])
    fulfillment = samples.shopify_fulfillment(1, 9001, START, "delivered")
    return [
        *((topic, order) for topic in ("orders/create", "orders/paid", "orders/cancelled")),
        *((topic, fulfillment) for topic in ("fulfillments/create", "fulfillments/update")),
        *((topic, checkout) for topic in ("checkouts/create", "checkouts/update")),
        *((topic, customer) for topic in ("customers/create", "customers/update")),
    ]


def _nudge_bodies() -> list[dict[str, Any]]:
    customer = {"id": "m-1001", "phone": "010-0000-1004", "name": "홍길동", "email": "hong@example.com"}
    data: list[tuple[str, dict[str, Any]]] = [
        ("member.joined", {}),
        ("consent.changed", {"channel": "sms", "granted": True}),
        ("page.viewed", {"path": "/event/dogday", "dwell_seconds": 42}),
        ("cart.updated", {"lines": [{"product_id": "P-7", "quantity": 1, "price": 45000}], "replace": True}),
        ("checkout.started", {"checkout_id": "c-1", "amount": 45000, "recovery_url": "https://x.example/c"}),
        (
            "order.placed",
            {"order_id": "o-1", "amount": 45000, "lines": [{"product_id": "P-7", "quantity": 1}]},
        ),
        ("order.delivered", {"order_id": "o-1"}),
        ("coupon.issued", {"coupon_id": "cp-1", "name": "10%", "expires_at": "2026-04-01T00:00:00+09:00"}),
    ]
    return [
        {
            "event_id": "e",
            "type": kind,
            "occurred_at": START.isoformat(),
            "customer": customer,
            "data": fields,
        }
        for kind, fields in data
    ]


def _tracker_body() -> dict[str, Any]:
    events: list[dict[str, Any]] = [
        {"id": "a-1", "type": "visit", "at": (START - timedelta(minutes=5)).isoformat()},
        {"id": "a-2", "type": "page_view", "path": "/event/dogday?utm=x", "dwell_seconds": 42},
    ]
    return samples.tracker_request("v-1", events, member_id="m1").json()


SENDS = {"nhn": [f"{n:024x}" for n in range(1, 4)], "solapi": [f"{n:024x}" for n in range(11, 14)]}


@pytest.fixture(scope="module")
def sends(runtime: LocalRuntime) -> dict[str, list[str]]:
    """Sends the reports can name, as the sender leaves them: one store's per gateway."""
    client, table = runtime.client("dynamodb"), runtime.table_name("SendsTable")
    for provider, store in (("nhn", DOGDAY), ("solapi", MAPLE)):
        for send_id in SENDS[provider]:
            record = SendRecord(
                send_id, store.store.store_id, "campaign:cmp_fuzz", "m1", "o1", State.SENT, attempt=1,
                kind="ALIMTALK", created_at=START, sent_at=START,
            )  # fmt: skip
            client.put_item(TableName=table, Item=to_item(record))
    return SENDS


def _nhn_body(send_ids: list[str]) -> dict[str, Any]:
    hooks = [
        {"recipientGroupingKey": send_ids[0], "resultCode": "1000", "receiveDate": "2026-03-16 09:00:05"},
        {"recipientGroupingKey": send_ids[1], "resultCode": "3018", "resendStatus": "RSC04"},
        {"recipientGroupingKey": send_ids[2], "resultCode": "3020", "requestId": "r-1"},
        {"recipientGroupingKey": "ffffffffffffffffffffffff", "resultCode": "1000"},
    ]
    return {
        "hooksId": "h-1",
        "appKey": "local-dogday-kakao-appkey",
        "event": "MESSAGE_RESULT_UPDATE",
        "hooks": hooks,
    }


def _solapi_body(send_ids: list[str]) -> list[dict[str, Any]]:
    def item(send_id: str, code: str, kind: str = "ATA") -> dict[str, Any]:
        data = {
            "messageId": "M4V1",
            "type": kind,
            "statusCode": code,
            "customFields": {"nudge_send": send_id},
        }
        return {
            "eventDataId": "e-1",
            "retryCount": 0,
            "data": {**data, "dateReceived": "2026-03-16 09:00:05"},
        }

    return [item(send_ids[0], "4000"), item(send_ids[1], "3104", "SMS"), item(send_ids[2], "1061")]


def _report(provider: str, body: bytes) -> SampleRequest:
    headers = {"content-type": "application/json"}
    path = f"/gateway/reports/{provider}"
    if provider == "nhn":
        headers["x-toast-webhook-signature"] = DOGDAY.secrets["gateway-report-signature"]
    else:
        path += "?signature=" + MAPLE.secrets["gateway-report-signature"]
    return SampleRequest("POST", path, headers, body)


@FUZZ
@given(data=st.data())
def test_cafe24_webhooks(runtime: LocalRuntime, data: st.DataObject) -> None:
    body = data.draw(mutated(data.draw(st.sampled_from(_cafe24_bodies()))))
    _check(runtime, samples.with_body(samples.cafe24_login("m"), body))


@FUZZ
@given(data=st.data())
def test_shopify_webhooks(runtime: LocalRuntime, data: st.DataObject) -> None:
    topic, base = data.draw(st.sampled_from(_shopify_bodies()))
    body = data.draw(mutated(base))
    _check(runtime, samples.with_body(samples.shopify_request(topic, {}, _unique("ev")), body))


@FUZZ
@given(data=st.data())
def test_nudge_format_webhooks(runtime: LocalRuntime, data: st.DataObject) -> None:
    base = {**data.draw(st.sampled_from(_nudge_bodies())), "event_id": _unique("e")}
    body = data.draw(mutated(base))
    _check(runtime, samples.with_body(samples.nudge_request({}, START), body))


@FUZZ
@given(data=st.data())
def test_the_storefront_tracker(runtime: LocalRuntime, data: st.DataObject) -> None:
    base = _tracker_body()
    for event in base["events"]:
        event["id"] = _unique("a")
    body = data.draw(mutated(base))
    _check(runtime, samples.with_body(samples.tracker_request("v", [{}]), body))


@FUZZ
@given(data=st.data())
def test_gateway_delivery_reports(
    runtime: LocalRuntime, sends: dict[str, list[str]], data: st.DataObject
) -> None:
    provider = data.draw(st.sampled_from(["nhn", "solapi"]))
    base = _nhn_body(sends["nhn"]) if provider == "nhn" else _solapi_body(sends["solapi"])
    _check(runtime, _report(provider, data.draw(mutated(base))))


def test_the_write_count_sees_what_a_request_writes(runtime: LocalRuntime) -> None:
    """What `_check` holds a refusal to is no empty promise: an applied webhook counts its writes."""
    writes = _writes(runtime)
    assert _check(runtime, samples.cafe24_login("dogfan01")) == 200
    assert _writes(runtime) > writes
