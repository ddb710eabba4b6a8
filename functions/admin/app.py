"""The admin API: stores and their settings, segments (with a live preview), campaigns, automations.

Requests are IAM-signed (API Gateway checks SigV4 before this runs; locally a bearer token stands in), and
each caller administers only the stores its IAM principal's `nudge:stores` tag names (admin_access). The
OpenAPI document at GET /admin/openapi.json (Swagger UI at GET /admin/swagger) is the contract: each route
declares every status it answers, and tests/contract/test_admin_openapi.py holds the API to it.

This module builds the resolver and its document's header, includes one router per business area
(admin_routes_stores, _segments, _campaigns, _automations, _reports, _customers, _products, _images:
parse, call the area's service, answer) and the contract's (admin_contract: the document's route and every
refusal), and gates each request.
"""

import json
from functools import partial
from typing import Any

import admin_access
import admin_contract
import admin_routes_alimtalk
import admin_routes_automations
import admin_routes_campaigns
import admin_routes_customers
import admin_routes_images
import admin_routes_products
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

from nudge.errors import Forbidden, NudgeError
from nudge.http import check_content_type, error_response, raw_body, read_json

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
        Tag(
            name="templates",
            description="템플릿 — ready-made segments and automations; the store's AlimTalk templates and "
            "their review status at its gateway",
        ),
        Tag(name="reports", description="리포트 — what a campaign or automation did"),
        Tag(
            name="customers",
            description="고객 — what Nudge holds about one customer, why they were (or were not) sent each "
            "message, and erasing them (개인정보 파기)",
        ),
        Tag(name="products", description="상품 — the store's catalog, as its platform's webhooks left it"),
        Tag(name="images", description="이미지 — pictures for brand messages and MMS, held to Kakao's rules"),
        Tag(name="documentation", description="This document"),
    ],
    security_schemes={
        "awsSigv4": APIKey(
            name="Authorization",
            in_=APIKeyIn.header,
            description="AWS: a SigV4-signed request (service `execute-api`), checked by API Gateway's IAM "
            "authorizer; the caller needs `execute-api:Invoke` on the admin routes, and its IAM user or role "
            "a `nudge:stores` tag naming the stores it administers (`*`: every store).",
            openapi_extensions={"x-amazon-apigateway-authtype": "awsSigv4"},
        ),
        "localBearer": HTTPBearer(
            description="The local runtime (`nudge local serve`): `Authorization: Bearer local-admin-token` "
            "(the operator: every store) or `Bearer local-store-token-{store_id}` (that store only) stands "
            "in for the signature.",
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
    admin_routes_alimtalk.router,
    admin_routes_reports.router,
    admin_routes_customers.router,
    admin_routes_products.router,
    admin_routes_images.router,
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
    if (forbidden := _out_of_scope(event)) is not None:
        return error_response(forbidden)
    if (refused := _unreadable_body(event)) is not None:
        return error_response(refused)
    return app.resolve(event, context)


def _out_of_scope(event: dict[str, Any]) -> NudgeError | None:
    """A caller administers its own stores only (admin_access): decided before the request is read. A request
    no route takes is answered by the resolver (404, 405), which shows no store's data."""
    route = app.route_of(event)
    if route is None:
        return None
    forbidden = admin_access.refusal(event, route.method, route.path, route.arguments)
    if forbidden is not None:
        logger.info("admin request refused", extra={"status": forbidden.status, "detail": str(forbidden)})
    return forbidden


def _unreadable_body(event: dict[str, Any]) -> NudgeError | None:
    """Every body the admin API reads is UTF-8 JSON, read as the public endpoints read theirs (`read_json`:
    nested at most 32 deep, numbers JSON can carry): one gate for all routes, before Powertools parses it.
    The size is API Gateway's to hold (6 MB)."""
    body = raw_body(event)
    if not body:
        return None
    try:
        check_content_type({k.lower(): v for k, v in (event.get("headers") or {}).items()})
        read_json(body, max_bytes=len(body))
    except NudgeError as refused:
        return refused
    return None
