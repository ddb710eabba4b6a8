"""events/: one realistic sample event per function and per platform event, for `nudge local invoke -e`
and `sam local invoke -e`, and for the tests. Written by this module, so they never drift from the code:

    .venv/bin/python -m nudge_local.demo.event_files          # rewrites events/*.json

Each is shaped as AWS delivers it to the function: an HTTP API request (payload format 2.0, with the IAM
authorizer's caller on the admin routes), an SQS batch from the queue the template connects the function to,
or what the function's EventBridge Scheduler schedule sends (its Input; `{}` when it has none). They tell one
story on 18 March 2026 at dogday-mall: dogfan01 joins, the campaign CAMPAIGN_ID is started ("send now"), its
send job for dogfan01 is sent, NHN reports the SMS delivered and dogfan01 opens its link.
"""

import base64
import hashlib
import json
import struct
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from nudge.ingest.platforms.cafe24 import Cafe24
from nudge.ingest.platforms.delivery import WebhookRequest
from nudge.sending.jobs import SendJob
from nudge.sending.links import token
from nudge.sending.records import send_id_of
from nudge.stores import GATEWAY_SECRET_NAMES
from nudge_local.demo import samples
from nudge_local.demo.samples import SampleRequest
from nudge_local.runtime import apigw
from nudge_local.runtime.stores import DOGDAY
from nudge_local.runtime.template import Template, parse_template

ROOT = Path(__file__).resolve().parents[3]
EVENTS_DIR = ROOT / "events"
KST = ZoneInfo("Asia/Seoul")
AT = datetime(2026, 3, 18, 10, 0, tzinfo=KST)

STORE = DOGDAY.store.store_id
CUSTOMER = "dogfan01"
# The campaign the samples name. The admin API makes ids like it (`cmp_` and 16 hex digits); a test that
# wants the campaign to exist creates one under this id.
CAMPAIGN_ID = "cmp_00000000000d09da"
RUN_OCCURRENCE = f"now-{AT.astimezone(UTC):%Y%m%dT%H%M%S}-{CAMPAIGN_ID}"  # as nudge.admin names a "send now"
SEND_JOB = SendJob(
    store_id=STORE,
    source=f"campaign:{CAMPAIGN_ID}",
    occurrence=RUN_OCCURRENCE,
    customer_id=CUSTOMER,
    queued_at=AT + timedelta(seconds=1),
)
SEND_ID = send_id_of(SEND_JOB.send_key)  # what the sender records the message under (and NHN reports)
SLOT = datetime(2026, 3, 18, 11, 0, tzinfo=KST)  # a minute slot an automation step waits for

_JISOO = samples.shopify_customer(7001, "Jisoo", "Park", "+82 10-0000-2001", AT)
_MUG = [(51, 2, "15000.00")]
_AT = AT.isoformat()


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


def _admin_get_store() -> SampleRequest:
    headers = {"authorization": f"Bearer {apigw.LOCAL_ADMIN_TOKEN}", "accept": "application/json"}
    return SampleRequest("GET", f"/admin/stores/{STORE}", headers, b"", "admin: the store's settings")


def _nhn_delivery_report() -> SampleRequest:
    """NHN's MESSAGE_RESULT_UPDATE hook for the campaign's SMS to dogfan01 (nudge.adapters.gateways.nhn)."""
    account = DOGDAY.store.gateway
    assert account is not None and account.sms_appkey
    hook = {
        "messageType": "LMS",
        "requestId": "20260318100002Nudge0001",
        "recipientSeq": 1,
        "requestDate": (AT + timedelta(seconds=2)).isoformat(),
        "receiveDate": (AT + timedelta(seconds=9)).isoformat(),
        "recipientNo": "01000001001",
        "resultCode": "1000",
        "recipientGroupingKey": SEND_ID,
        "hookId": hashlib.sha256(b"hook-1").hexdigest()[:32],
    }
    body = {
        "webhookConfigId": f"local-{account.sms_appkey}",
        "productName": "SMS",
        "appKey": account.sms_appkey,
        "event": "MESSAGE_RESULT_UPDATE",
        "hooksId": hashlib.sha256(b"hooks-1").hexdigest()[:32],
        "hooks": [hook],
    }
    headers = {
        "content-type": "application/json",
        "user-agent": "NHN Cloud Notification Hub",
        "x-toast-webhook-signature": DOGDAY.secrets[GATEWAY_SECRET_NAMES["report-signature"]],
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    return SampleRequest("POST", "/gateway/reports/nhn", headers, raw, "NHN delivery report")


def _click() -> SampleRequest:
    headers = {"user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) KAKAOTALK 10.9.0"}
    return SampleRequest("GET", f"/r/{token(SEND_ID, 0)}", headers, b"", "a click on the SMS's link")


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
        {**samples.shopify_order(9001, _JISOO, AT, _MUG, financial_status="refunded"), "cancelled_at": _AT},
        "ev-2007",
    ),
    "shopify_refunds_create": lambda: samples.shopify_request(
        "refunds/create",
        samples.shopify_refund(77, samples.shopify_order(9001, _JISOO, AT, _MUG), AT),
        "ev-2010",
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
        token_expires=AT + timedelta(days=1),  # the store's page vouches for its member for a day
    ),
    "collect_preflight": _preflight,
    "admin_get_store": _admin_get_store,
    "tracking_nhn_delivery_report": _nhn_delivery_report,
    "tracking_click": _click,
}


# ---------------------------------------------------------------- SQS batches and the schedule

_SENDER_ROLE = "AROAZ7NUDGELOCALROLE1"  # the execution role's id; the session is the sending function's name


def _md5_of_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str:
    """SQS's MD5OfMessageAttributes: names sorted; each name, type and value length-prefixed (4 bytes, big
    endian), the value after a transport byte (1 = string)."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        for part in (name, value["dataType"]):
            digest.update(struct.pack(">I", len(part.encode())) + part.encode())
        digest.update(b"\x01" + struct.pack(">I", len(value["stringValue"].encode())))
        digest.update(value["stringValue"].encode())
    return digest.hexdigest()


def _sqs_event(
    template: Template,
    name: str,
    queue: str,
    body: str,
    sender: str,
    attributes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The batch Lambda's SQS poller hands the function: one message, sent at AT, received just after."""
    stable = hashlib.sha256(name.encode()).hexdigest()
    sent = int(AT.timestamp() * 1000)
    message_attributes = {
        key: {"stringValue": value, "stringListValues": [], "binaryListValues": [], "dataType": "String"}
        for key, value in (attributes or {}).items()
    }
    record: dict[str, Any] = {
        "messageId": f"{stable[:8]}-{stable[8:12]}-4{stable[13:16]}-8{stable[17:20]}-{stable[20:32]}",
        "receiptHandle": "AQEB" + base64.b64encode(hashlib.sha512(name.encode()).digest()).decode(),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(sent),
            "SenderId": f"{_SENDER_ROLE}:{sender}",
            "ApproximateFirstReceiveTimestamp": str(sent + 20),
        },
        "messageAttributes": message_attributes,
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
    }
    if message_attributes:
        record["md5OfMessageAttributes"] = _md5_of_attributes(message_attributes)
    arn = template.queues[queue].arn
    record |= {"eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": template.region}
    return {"Records": [record]}


def _member_joined_event() -> Any:
    """The member.joined event ingest hands on for the cafe24_member_joined sample (the same translation)."""
    request = SAMPLES["cafe24_member_joined"]()
    webhook = WebhookRequest("cafe24", STORE, request.headers, request.body, AT.astimezone(UTC))
    return Cafe24().translate(webhook, DOGDAY.store).events[0]


def _automation_event(template: Template) -> dict[str, Any]:
    event = _member_joined_event()
    # As nudge.adapters.sqs.EventsQueuePublisher sends it: the event, its type and store as attributes.
    attributes = {"type": event.type.value, "store_id": event.store_id}
    sender = template.functions["IngestFunction"].name
    return _sqs_event(
        template, "automation_member_joined", "EventsQueue", event.model_dump_json(), sender, attributes
    )


def _automation_slot(template: Template) -> dict[str, Any]:
    from nudge.automations.runs import slot_request

    body = json.dumps(slot_request(STORE, SLOT))  # what the slot's schedule delivers (its Input)
    return _sqs_event(template, "automation_slot_due", "AutomationSlotsQueue", body, "scheduler")


def _campaign_run(template: Template) -> dict[str, Any]:
    body = json.dumps({"store_id": STORE, "campaign_id": CAMPAIGN_ID, "occurrence": RUN_OCCURRENCE})
    sender = template.functions["AdminFunction"].name  # "send now" in the admin API
    return _sqs_event(template, "campaign_run_requested", "CampaignRunsQueue", body, sender)


def _send_job(template: Template) -> dict[str, Any]:
    sender = template.functions["CampaignFunction"].name
    return _sqs_event(template, "sender_send_job", "SendQueue", SEND_JOB.model_dump_json(), sender)


def _scheduled(function: str) -> Callable[[Template], dict[str, Any]]:
    def event_of(template: Template) -> dict[str, Any]:
        """EventBridge Scheduler invokes the function with the schedule's Input; the template gives none."""
        schedule = next(s for s in template.schedules if s.function == function)
        event: dict[str, Any] = json.loads(schedule.input or "{}")
        return event

    return event_of


# name -> (function, event): the events that do not come through the HTTP API.
OTHER_SAMPLES: dict[str, tuple[str, Callable[[Template], dict[str, Any]]]] = {
    "campaign_run_requested": ("CampaignFunction", _campaign_run),
    "automation_member_joined": ("AutomationFunction", _automation_event),
    "automation_slot_due": ("AutomationFunction", _automation_slot),
    "sender_send_job": ("SenderFunction", _send_job),
    "optouts_every_morning": ("OptOutSyncFunction", _scheduled("OptOutSyncFunction")),
    "cafe24_reconcile_every_hour": ("Cafe24ReconcileFunction", _scheduled("Cafe24ReconcileFunction")),
    "alimtalk_templates_every_hour": (
        "AlimTalkTemplateSyncFunction",
        _scheduled("AlimTalkTemplateSyncFunction"),
    ),
}


@dataclass(frozen=True)
class SampleEvent:
    function: str  # the template's logical id of the function it is for
    event: dict[str, Any]


def build_samples(template_path: Path = ROOT / "template.yaml") -> dict[str, SampleEvent]:
    template = parse_template(template_path)
    routes = apigw.RouteTable(template.routes)
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
            account=template.account,
        )
        # Stable ids, so the files only change when the payloads do.
        event["requestContext"]["requestId"] = hashlib.sha256(name.encode()).hexdigest()[:16].upper()
        if match.route.authorizer == "AWS_IAM":
            # API Gateway's IAM authorizer adds the signed caller (locally, the admin token stands for it).
            caller = apigw.local_iam_caller(list(request.headers.items()), template.account)
            event["requestContext"]["authorizer"] = {"iam": caller}
        out[name] = SampleEvent(match.route.function, event)
    for name, (function, build) in OTHER_SAMPLES.items():
        if function not in template.functions:
            raise ValueError(f"{name}: no function {function} in {template_path}")
        out[name] = SampleEvent(function, build(template))
    return out


def build_events(template_path: Path = ROOT / "template.yaml") -> dict[str, dict[str, Any]]:
    return {name: sample.event for name, sample in build_samples(template_path).items()}


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
