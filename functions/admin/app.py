"""The admin API: stores and their settings, segments (with a live preview), campaigns, automations.

Requests are IAM-signed (API Gateway checks SigV4 before this runs; locally a bearer token stands in). The
OpenAPI document at GET /admin/openapi.json (Swagger UI at GET /admin/swagger) is the contract: each route
declares every status it answers, and tests/contract/test_admin_openapi.py holds the API to it.

This module builds the resolver and its document's header, includes one router per business area
(admin_routes_stores, _segments, _campaigns, _automations, _reports: parse, call the area's service, answer)
and the contract's (admin_contract: the document's route and every refusal), and gates each request.
"""

import json
from functools import partial
from typing import Any

import admin_contract
import admin_routes_automations
import admin_routes_campaigns
import admin_routes_reports
import admin_routes_segments
import admin_routes_stores
from admin_contract import AdminResolver, logger
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer, Tag
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities.typing import LambdaContext

from nudge.errors import FieldError, Forbidden, InvalidPayload, NudgeError
from nudge.http import check_content_type, error_response, raw_body

metrics = Metrics()

TITLE, VERSION = "Nudge admin API", "1.0.0"

# Korean stays readable in every answer and in the OpenAPI document: UTF-8, not \uXXXX escapes.
app = AdminResolver(
    enable_validation=True,
    serializer=partial(json.dumps, ensure_ascii=False, separators=(",", ":"), cls=Encoder),
)
app.configure_openapi(
    title=TITLE,
    version=VERSION,
    description=(
        "What a store's engineer and CRM marketer use to set Nudge up: store settings and secrets, segments "
        "with a live count, campaigns, automations, reports and why a customer got (or did not get) a "
        "message. Every refusal is an `Error` body naming each field that was wrong."
    ),
    tags=[
        Tag(name="stores", description="상점 — settings, webhook and gateway secrets, member import"),
        Tag(name="segments", description="세그먼트 — who a campaign reaches, with a live count and sample"),
        Tag(name="campaigns", description="캠페인 — a message to a segment: now, reserved or recurring"),
        Tag(name="automations", description="자동화 — journeys started by an event: delays, messages, exits"),
        Tag(name="templates", description="템플릿 — ready-made segments and automations"),
        Tag(name="reports", description="리포트 — what a campaign or automation did"),
        Tag(name="customers", description="고객 — why one customer was (or was not) sent each message"),
        Tag(name="documentation", description="This document"),
    ],
    security_schemes={
        "awsSigv4": APIKey(
            name="Authorization",
            in_=APIKeyIn.header,
            description="AWS: a SigV4-signed request (service `execute-api`), checked by API Gateway's IAM "
            "authorizer; the caller needs `execute-api:Invoke` on the admin routes.",
            openapi_extensions={"x-amazon-apigateway-authtype": "awsSigv4"},
        ),
        "localBearer": HTTPBearer(
            description="The local runtime (`nudge local serve`): `Authorization: Bearer local-admin-token` "
            "stands in for the signature.",
        ),
    },
    security=[{"awsSigv4": []}, {"localBearer": []}],
)
app.enable_swagger(path="/admin/swagger", title=TITLE, version=VERSION)

# One router per area (each module's routes, in the document in this order); then the document's own route
# and the refusals (admin_contract).
for router in (
    admin_routes_stores.router,
    admin_routes_segments.router,
    admin_routes_campaigns.router,
    admin_routes_automations.router,
    admin_routes_reports.router,
    admin_contract.router,
):
    app.include_router(router)


def _authorized(event: dict[str, Any]) -> bool:
    """API Gateway's IAM authorizer has checked the signature; refuse anything that did not pass it."""
    return bool((event.get("requestContext") or {}).get("authorizer", {}).get("iam"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    metrics.add_metric(name="AdminRequests", unit=MetricUnit.Count, value=1)
    if not _authorized(event):
        return error_response(Forbidden("admin requests must be IAM-signed"))
    if (refused := _unreadable_body(event)) is not None:
        return error_response(refused)
    return app.resolve(event, context)


def _unreadable_body(event: dict[str, Any]) -> NudgeError | None:
    """Every body the admin API reads is UTF-8 JSON: one gate for all routes, before any is parsed."""
    body = raw_body(event)
    if not body:
        return None
    try:
        check_content_type({k.lower(): v for k, v in (event.get("headers") or {}).items()})
        body.decode("utf-8")
    except NudgeError as refused:
        return refused
    except UnicodeDecodeError as exc:
        return InvalidPayload("body is not valid JSON", [FieldError("body", f"not UTF-8 (byte {exc.start})")])
    return None
