"""events/: one realistic sample event per function and per platform event, for `nudge local invoke -e`
and `sam local invoke -e`, and for the tests. Written by this module, so they never drift from the code:

    .venv/bin/python -m nudge_local.event_files          # rewrites events/*.json
"""

import hashlib
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from nudge_local import apigw, samples
from nudge_local.samples import SampleRequest
from nudge_local.template import parse_template

ROOT = Path(__file__).resolve().parents[2]
EVENTS_DIR = ROOT / "events"
KST = ZoneInfo("Asia/Seoul")
AT = datetime(2026, 3, 18, 10, 0, tzinfo=KST)

_JISOO = samples.shopify_customer(7001, "Jisoo", "Park", "+82 10-0000-2001", AT)
_MUG = [(51, 2, "15000.00")]


def _nudge_order() -> SampleRequest:
    envelope = {
        "event_id": "godo-20260318-0001-placed",
        "type": "order.placed",
        "occurred_at": AT.isoformat(),
        "customer": {"id": "m-1001", "phone": "010-0000-3001", "name": "홍길동"},
        "data": {
            "order_id": "20260318-0001",
            "amount": 45000,
            "lines": [{"product_id": "P-7", "quantity": 1}],
        },
    }
    return samples.nudge_request(envelope, AT)


def _preflight() -> SampleRequest:
    headers = {"origin": "https://dogday.example", "access-control-request-method": "POST"}
    return SampleRequest("OPTIONS", "/collect/dogday-mall", headers, b"", "tracker preflight")


SAMPLES: dict[str, Callable[[], SampleRequest]] = {
    "cafe24_member_joined": lambda: samples.cafe24_member_joined(
        "dogfan01", "김민지", "010-0000-1001", AT, sms=True, news_mail=False
    ),
    "cafe24_login": lambda: samples.cafe24_login("dogfan01"),
    "cafe24_member_changed": lambda: samples.cafe24_member_changed("dogfan01", sms=False),
    "cafe24_added_to_cart": lambda: samples.cafe24_added_to_cart("dogfan01", 12, 2),
    "cafe24_order_placed": lambda: samples.cafe24_order_placed(
        "20260318-0000012", "dogfan01", AT, 42000, ["P0000012"]
    ),
    "cafe24_shipping_in_transit": lambda: samples.cafe24_shipping("20260318-0000012", "dogfan01", "M"),
    "cafe24_shipping_delivered": lambda: samples.cafe24_shipping("20260318-0000012", "dogfan01", "T"),
    "shopify_customers_create": lambda: samples.shopify_request("customers/create", _JISOO, "ev-2001"),
    "shopify_customers_update": lambda: samples.shopify_request("customers/update", _JISOO, "ev-2002"),
    "shopify_checkouts_create": lambda: samples.shopify_request(
        "checkouts/create", samples.shopify_checkout("chk-1", _JISOO, AT, _MUG), "ev-2003"
    ),
    "shopify_checkouts_update": lambda: samples.shopify_request(
        "checkouts/update", samples.shopify_checkout("chk-1", _JISOO, AT, [(51, 3, "15000.00")]), "ev-2004"
    ),
    "shopify_orders_create": lambda: samples.shopify_request(
        "orders/create", samples.shopify_order(9001, _JISOO, AT, _MUG, checkout_token="chk-1"), "ev-2005"
    ),
    "shopify_orders_paid": lambda: samples.shopify_request(
        "orders/paid", samples.shopify_order(9001, _JISOO, AT, _MUG), "ev-2006"
    ),
    "shopify_orders_cancelled": lambda: samples.shopify_request(
        "orders/cancelled",
        samples.shopify_order(9001, _JISOO, AT, _MUG, financial_status="refunded"),
        "ev-2007",
    ),
    "shopify_fulfillments_create": lambda: samples.shopify_request(
        "fulfillments/create", samples.shopify_fulfillment(1, 9001, AT, None), "ev-2008"
    ),
    "shopify_fulfillments_update_delivered": lambda: samples.shopify_request(
        "fulfillments/update", samples.shopify_fulfillment(1, 9001, AT, "delivered"), "ev-2009"
    ),
    "nudge_order_placed": _nudge_order,
    "collect_tracker_batch": lambda: samples.tracker_request(
        "v-7f3a",
        [
            {"id": "e-1", "type": "visit", "at": AT.isoformat()},
            {
                "id": "e-2",
                "type": "page_view",
                "path": "/event/dogday",
                "at": AT.isoformat(),
                "dwell_seconds": 42,
            },
        ],
        member_id="dogfan01",
    ),
    "collect_preflight": _preflight,
}


def build_events(template_path: Path = ROOT / "template.yaml") -> dict[str, dict[str, Any]]:
    routes = apigw.RouteTable(parse_template(template_path).routes)
    out = {}
    for name, make in SAMPLES.items():
        request = make()
        match = routes.match(request.method, request.path)
        if match is None:
            raise ValueError(f"{name}: no route for {request.method} {request.path}")
        event = apigw.build_event(
            match,
            request.method,
            request.path,
            "",
            list(request.headers.items()),
            request.body,
            AT,
            source_ip="203.0.113.10",
            domain="api.nudge.example",
        )
        # Stable ids, so the files only change when the payloads do.
        event["requestContext"]["requestId"] = hashlib.sha256(name.encode()).hexdigest()[:16].upper()
        out[name] = event
    return out


def write(directory: Path = EVENTS_DIR) -> list[Path]:
    directory.mkdir(exist_ok=True)
    written = []
    for name, event in build_events().items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(event, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else EVENTS_DIR):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
