"""DynamoDB item operations, SQS message operations and Scheduler's schedule writes answered by the embedded
emulation without the HTTP round trip's bookkeeping.

For every request botocore serializes the parameters, signs the request, hands it to moto's in-process
stubber, and then parses moto's JSON answer shape by shape — for a page of items, most of a millisecond,
and a 5,000-customer month makes a couple of hundred thousand such requests. For the operations whose
answers are JSON exactly as the client returns it (DynamoDB's item operations; SQS's sends, receives and
deletes) this module answers at botocore's "before-call" event instead: after the parameters were
validated and serialized exactly as for AWS, it runs the local runtime's "before-send" hooks in their
order (the counters count the request, a crash drill may crash it, moto answers it), and reads moto's
answer with json.loads. An error, or an answer holding binary values, goes through botocore's own JSON
parser, as it would have. Nothing changes for Nudge's code: the same client, the same parameters, the
same answers and exceptions.

moto, in turn, rebuilds an HTTP request from the prepared one, matches its URL against every service's
patterns, reads the Region and account back from the headers and parses the JSON body shape by shape
against the operation's model — about a third of the local runtime's time in a month. A DynamoDB or SQS
request (no binary values) is handed to moto's DynamoDB or SQS handler directly instead: its parameters
are the JSON body botocore serialized, the Region is the client's, the account moto's own; the handler's
actions, the storage, the errors and the answer are moto's, unchanged. A schedule's creation, update or
deletion goes to moto's Scheduler handler the same way, with the request's path and query string.
"""

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.handlers
import botocore.parsers
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.model import OperationModel
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber
from moto.core.responses import BaseResponse
from moto.dynamodb.responses import DynamoHandler
from moto.scheduler.responses import EventBridgeSchedulerResponse
from moto.sqs.responses import SQSResponse
from moto.utilities.utils import get_partition

from nudge_local.emulation import chaos, hooks
from nudge_local.emulation.accounts import emulated_account

OPERATIONS: dict[str, frozenset[str]] = {
    "dynamodb": frozenset(
        {
            "GetItem",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "Query",
            "Scan",
            "BatchGetItem",
            "BatchWriteItem",
            "TransactGetItems",
            "TransactWriteItems",
        }
    ),
    "sqs": frozenset(
        {
            "SendMessage",
            "SendMessageBatch",
            "ReceiveMessage",
            "DeleteMessage",
            "DeleteMessageBatch",
            "ChangeMessageVisibility",
            "ChangeMessageVisibilityBatch",
        }
    ),
    # Writes whose answers hold no dates (a schedule's dates would come back as numbers from json.loads).
    "scheduler": frozenset({"CreateSchedule", "UpdateSchedule", "DeleteSchedule"}),
}
# Binary values are base64 in JSON and bytes in boto3: botocore's parser converts them.
_BINARY: dict[str, tuple[bytes, ...]] = {
    "dynamodb": (b'"B":', b'"BS":'),
    "sqs": (b'"BinaryValue"', b'"BinaryListValues"'),
    "scheduler": (),
}
_parsers = {protocol: botocore.parsers.create_parser(protocol) for protocol in ("json", "rest-json")}
_SQS_JSON = "application/x-amz-json-1.0"


def _authorization(service: str, region: str) -> str:
    # moto reads the Region (and the account, from the access key) off the signature's scope; it checks
    # nothing else of it.
    return (
        f"AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0"
    )


def _before_send_handlers() -> list[Any]:
    # Entries are (event, handler) or (event, handler, where to register it).
    return [entry[1] for entry in botocore.handlers.BUILTIN_HANDLERS if entry[0] == "before-send"]


def _metadata(response: AWSResponse, retries: int = 0) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in response.headers.items()}
    return {
        "RequestId": headers.get("x-amzn-requestid", ""),
        "HTTPStatusCode": response.status_code,
        "HTTPHeaders": headers,
        "RetryAttempts": retries,
    }


def _parsed(response: AWSResponse, model: OperationModel, service: str) -> dict[str, Any]:
    body = response.content
    if response.status_code == 200 and not any(marker in body for marker in _BINARY[service]):
        parsed = json.loads(body) if body else {}
        parsed["ResponseMetadata"] = _metadata(response)
        return parsed
    # What botocore's endpoint does with an answer: parse it, and add a modeled error's fields.
    answer = {"status_code": response.status_code, "headers": response.headers, "body": body}
    parser = _parsers[model.service_model.protocol]
    parsed = parser.parse(answer, model.output_shape)
    if response.status_code >= 300:
        code = parsed.get("Error", {}).get("Code")
        shape = model.service_model.shape_for_error_code(code) if code else None
        if shape is not None:
            parsed.update(parser.parse(answer, shape))
    return parsed


def _body(request: Any) -> bytes:
    return request.body if isinstance(request.body, bytes) else (request.body or "").encode()


def _ask(handler: BaseResponse, request: Any, region: str, headers: dict[str, str]) -> AWSResponse:
    """What moto's HTTP layer would have set on the handler before its action: the action's name
    (`headers`), the Region, the account; then the handler's own action and answer."""
    handler.headers = headers
    handler.response_headers = {"server": "amazon.com"}
    handler.region = region
    handler.partition = get_partition(region)
    handler.current_account = emulated_account()
    status, answer_headers, text = handler.call_action()
    return AWSResponse(request.url, status, answer_headers, MockRawResponse(text))


def _dynamodb_answer(request: Any, operation: str, region: str) -> AWSResponse | None:
    """moto's DynamoDB handler asked without its HTTP layer; None when the request holds binary values
    (moto's parser decodes their base64: let it)."""
    body = _body(request)
    if any(marker in body for marker in _BINARY["dynamodb"]):
        return None
    handler = DynamoHandler()
    handler.params = json.loads(body) if body else {}
    handler.querystring = {}
    return _ask(handler, request, region, {"X-Amz-Target": f"DynamoDB_20120810.{operation}"})


def _sqs_answer(request: Any, operation: str, region: str) -> AWSResponse | None:
    """moto's SQS handler asked without its HTTP layer; None when the request holds binary values (moto's
    parser decodes their base64: let it)."""
    body = _body(request)
    if any(marker in body for marker in _BINARY["sqs"]):
        return None
    handler = SQSResponse()
    # Without binary values the JSON protocol's parameters are the JSON body itself, as moto's parser
    # would return them.
    handler.params = json.loads(body) if body else {}
    handler.uri_match = {}
    handler.querystring = {}
    # The Content-Type names the answer's protocol.
    return _ask(
        handler, request, region, {"X-Amz-Target": f"AmazonSQS.{operation}", "Content-Type": _SQS_JSON}
    )


def _scheduler_answer(request: Any, operation: str, region: str) -> AWSResponse:
    """moto's Scheduler handler asked without its HTTP layer: it reads the schedule's name from the path,
    the group of a deletion from the query string, everything else from the JSON body."""
    url = urlsplit(request.url)
    handler = EventBridgeSchedulerResponse()
    handler.body = _body(request).decode()
    handler.uri = url.path + (f"?{url.query}" if url.query else "")
    handler.querystring = parse_qs(url.query)
    handler.uri_match = {}
    # moto reads the action from this header before it would route the path.
    return _ask(handler, request, region, {"X-Amz-Target": operation})


_DIRECT = {"dynamodb": _dynamodb_answer, "sqs": _sqs_answer, "scheduler": _scheduler_answer}


def answer(
    model: OperationModel, params: dict[str, Any], context: dict[str, Any], **_: Any
) -> tuple[AWSResponse, dict[str, Any]] | None:
    """The (HTTP response, parsed answer) pair botocore's "before-call" event may give, or None to let
    botocore make the request itself."""
    service = model.service_model.service_name
    if not botocore_stubber.enabled or model.name not in OPERATIONS.get(service, ()):
        return None
    if chaos.injects_errors(service):  # a drill's service errors go through botocore's own retries
        return None
    region = context.get("client_region") or "us-east-1"
    headers = dict(params["headers"])
    headers["Authorization"] = _authorization(service, region)
    request = AWSRequest(method=params["method"], url=params["url"], data=params["body"], headers=headers)
    prepared = request.prepare()
    event_name = f"before-send.{service}.{model.name}"
    for handler in _before_send_handlers():
        if handler is botocore_stubber:
            response = _DIRECT[service](prepared, model.name, region)
            if response is not None:
                return response, _parsed(response, model, service)
        response = handler(event_name=event_name, request=prepared)
        if response is not None:
            return response, _parsed(response, model, service)
    return None


def install() -> None:
    """Called by speedups.install() only: once per process, after moto's version was checked."""
    hooks.register(*((f"before-call.{service}", answer) for service in OPERATIONS))
