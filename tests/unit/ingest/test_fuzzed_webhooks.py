"""Random and mutated webhook bodies, correctly signed so they reach the parsers, are answered with a
clear 4xx (a NudgeError) or applied — never an unexpected exception, which the handler would turn into 500."""

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nudge.errors import NudgeError
from nudge_local.demo import samples
from tests.fakes import local_dependencies
from tests.unit.ingest.helpers import send

NOW = datetime(2026, 3, 18, 10, 0, tzinfo=ZoneInfo("Asia/Seoul"))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=12,
)
CAFE24_FIELDS = [
    "order_id",
    "member_id",
    "order_date",
    "paid",
    "actual_payment_amount",
    "order_price_amount",
    "ordering_product_code",
    "shipping_status",
    "product_no",
    "quantity",
    "cellphone",
    "sms",
    "news_mail",
    "created_date",
    "buyer_cellphone",
    "mall_id",
]
SHOPIFY_TOPICS = [
    "orders/create",
    "orders/paid",
    "orders/cancelled",
    "fulfillments/create",
    "fulfillments/update",
    "checkouts/create",
    "checkouts/update",
    "customers/create",
    "customers/update",
    "app/uninstalled",
]
NUDGE_TYPES = [
    "member.joined",
    "consent.changed",
    "page.viewed",
    "cart.updated",
    "checkout.started",
    "order.placed",
    "order.paid",
    "order.delivered",
    "no.such.type",
]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _survives(request: samples.SampleRequest) -> None:
    deps, _, _ = local_dependencies()
    try:
        send(deps, request, NOW)
    except NudgeError as error:
        assert 400 <= error.status < 500
        assert error.fields or error.message


def _mutate(base: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(base))
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node
    if isinstance(node, dict):
        node[path[-1]] = value
    return data


@FUZZ
@given(
    event_no=st.sampled_from([90023, 90024, 90032, 90080, 90084, 90143, 90145]),
    field=st.sampled_from(CAFE24_FIELDS),
    value=json_values,
)
def test_cafe24_mutated_resources_never_fail_unexpectedly(event_no: int, field: str, value: Any) -> None:
    base = samples.cafe24_order_placed("O-1", "m1", NOW, 1000, ["P1"]).json()["resource"]
    _survives(samples.cafe24_request(event_no, _mutate(base, [field], value)))


@FUZZ
@given(
    topic=st.sampled_from(SHOPIFY_TOPICS),
    path=st.sampled_from(
        [
            ["id"],
            ["created_at"],
            ["total_price"],
            ["customer"],
            ["customer", "id"],
            ["customer", "phone"],
            ["customer", "sms_marketing_consent"],
            ["line_items"],
            ["token"],
            ["order_id"],
            ["shipment_status"],
            ["updated_at"],
            ["financial_status"],
        ]
    ),
    value=json_values,
)
def test_shopify_mutated_payloads_never_fail_unexpectedly(topic: str, path: list[str], value: Any) -> None:
    customer = samples.shopify_customer(7001, "J", "P", "+821000002001", NOW)
    base = {
        **samples.shopify_order(9001, customer, NOW, [(51, 1, "1.00")]),
        **samples.shopify_checkout("t", customer, NOW, [(51, 1, "1.00")]),
        **samples.shopify_fulfillment(1, 9001, NOW, "delivered"),
    }
    _survives(samples.shopify_request(topic, _mutate(base, path, value), "ev-fuzz"))


@FUZZ
@given(
    event_type=st.sampled_from(NUDGE_TYPES),
    data=st.dictionaries(
        st.sampled_from(
            [
                "order_id",
                "amount",
                "lines",
                "channel",
                "granted",
                "path",
                "dwell_seconds",
                "checkout_id",
                "replace",
                "member",
                "event_id",
                "x",
            ]
        ),
        json_values,
        max_size=5,
    ),
    customer=json_values,
)
def test_nudge_format_random_data_never_fails_unexpectedly(
    event_type: str, data: dict[str, Any], customer: Any
) -> None:
    envelope = {
        "event_id": "e-1",
        "type": event_type,
        "occurred_at": NOW.isoformat(),
        "customer": customer if isinstance(customer, dict) else {"id": "m-1"},
        "data": data,
    }
    _survives(samples.nudge_request(envelope, NOW))


@FUZZ
@given(body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_random_bodies_on_every_platform_never_fail_unexpectedly(body: bytes) -> None:
    for request in (
        samples.cafe24_request(90023, {}),
        samples.shopify_request("orders/create", {}, "e"),
        samples.nudge_request({}, NOW),
        samples.tracker_request("v", []),
    ):
        _survives(samples.with_body(request, body))
