"""The admin API: stores and their settings, segments (with a live preview), campaigns, automations.

Requests are IAM-signed (API Gateway checks SigV4 before this runs; locally a bearer token stands in). The
OpenAPI document at GET /admin/openapi.json (Swagger UI at GET /admin/swagger) is the contract: each route
declares every status it answers, and tests/contract/test_admin_openapi.py holds the API to it.
"""

import json
import re
from collections.abc import Callable
from enum import StrEnum
from functools import cache, partial, wraps
from typing import Annotated, Any, Literal, NamedTuple, get_args, get_type_hints

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import (
    APIKey,
    APIKeyIn,
    Example,
    HTTPBearer,
    OpenAPI,
    Tag,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator
from pydantic.json_schema import SkipJsonSchema

from nudge import admin, clock
from nudge.adapters.dynamodb import profile_repository
from nudge.adapters.wiring import admin_dependencies as dependencies
from nudge.automations.definitions import AutomationDefinition
from nudge.campaigns.definitions import CampaignDefinition
from nudge.errors import (
    FieldError,
    Forbidden,
    InvalidPayload,
    MethodNotAllowed,
    NotFound,
    NudgeError,
    error_codes,
    field_path,
)
from nudge.http import JSON, check_content_type, error_response, json_type_problems, raw_body
from nudge.ingest import member_import
from nudge.observability import logger as make_logger
from nudge.reports import sources
from nudge.segments.templates import DOG_DAY, friendtalk_segments, promotion_recipes
from nudge.stores import GATEWAY_SECRET_NAMES, SECRET_NAMES, STORE_ID_PATTERN, Store, StoreId

logger = make_logger()
metrics = Metrics()

TITLE, VERSION = "Nudge admin API", "1.0.0"
# The admin routes' ids: what the API creates (seg_…, cmp_…, aut_…) and what a marketer may choose.
ITEM_ID = r"^[A-Za-z0-9_-]{1,64}$"
# SSM Parameter Store's standard tier keeps values of up to 4 KB.
MAX_SECRET_BYTES = 4096


class AdminResolver(APIGatewayHttpResolver):
    """Powertools' resolver with an OpenAPI document that tells what this API answers (`_as_answered`)."""

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPI:
        return _as_answered(super().get_openapi_schema(**kwargs))


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


# ---------------------------------------------------------------- the contract: errors and answers




# One code per NudgeError class (nudge.errors), listed in the document as they are.
ErrorCode = Annotated[str, Field(json_schema_extra={"enum": list(error_codes())})]


class FieldProblem(BaseModel):
    field: str = Field(description="As the request wrote it: `store_id`, `send.at`, `members[3].phone`")
    message: str


class Error(BaseModel):
    """Every refusal. `error` is absent only when API Gateway refused the request itself (unsigned, or a body
    over its payload limit): then the body is `{"message": ...}`."""

    error: ErrorCode | SkipJsonSchema[None] = None
    message: str
    fields: list[FieldProblem] = Field(default=[], description="Each problem; absent when there is none")


_REFUSALS: dict[int, str] = {
    400: "The request is not valid: `fields` names each problem (path, body), nothing was written",
    403: 'Not signed (API Gateway answers `{"message": "Forbidden"}`)',
    413: "Body over API Gateway's payload limit (6 MB)",
    415: "Body not sent as `Content-Type: application/json`",
}


def answers(
    status: int,
    description: str,
    *,
    body: bool = False,
    params: bool = True,
    missing: str | None = "Unknown store",
    conflict: str | None = None,
    media_type: str | None = None,
) -> dict[int, OpenAPIResponse]:
    """A route's answers: its success (schema from the handler's return type, or none for 204) and each
    refusal it can give. `body`: reads a JSON body (415, 413); `params`: has path parameters to validate."""
    success: OpenAPIResponse = {"description": description}
    if media_type:
        success["content"] = {media_type: {"schema": {"type": "string"}}}
    out: dict[int, OpenAPIResponse] = {status: success}
    refusals = {403: _REFUSALS[403]}
    if params or body:
        refusals[400] = _REFUSALS[400]
    if missing:
        refusals[404] = missing
    if conflict:
        refusals[409] = conflict
    if body:
        refusals |= {413: _REFUSALS[413], 415: _REFUSALS[415]}
    for code in sorted(refusals):
        out[code] = {"description": refusals[code], "content": {JSON: {"model": Error}}}
    return out


def _as_answered(document: OpenAPI) -> OpenAPI:
    """Powertools documents a 422 for request validation on every route; Nudge answers it 400 with an
    `Error` body, which each route declares. A 204 has no body."""
    data = document.model_dump(mode="json", by_alias=True, exclude_none=True)
    for operations in data.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            if "204" in responses:
                responses["204"].pop("content", None)
    schemas = data.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    return OpenAPI.model_validate(data)


@cache
def openapi_document() -> dict[str, Any]:
    return app.get_openapi_schema().model_dump(mode="json", by_alias=True, exclude_none=True)


def json_as_documented(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse a body whose JSON types differ from its schema in the OpenAPI document (`0` for `false`, `"5"`
    for 5, a Unix time for a date-time): Powertools validates with pydantic's lax mode, which would take
    them. The body is the handler's parameter annotated `Body()`."""
    hints = get_type_hints(handler, include_extras=True)
    model = next(
        get_args(hint)[0]
        for param, hint in hints.items()
        if param != "return" and any(isinstance(extra, Body) for extra in get_args(hint)[1:])
    )
    schema = TypeAdapter(model).json_schema()

    @wraps(handler)
    def read(**kwargs: Any) -> Any:
        problems = json_type_problems(app.current_event.json_body, schema, schema.get("$defs", {}))
        if problems:
            raise InvalidPayload("request is not valid", problems)
        return handler(**kwargs)

    return read


# ---------------------------------------------------------------- path parameters

StorePath = Annotated[
    str,
    Path(
        pattern=STORE_ID_PATTERN,
        description="The store's id",
        openapi_examples={"dogday-mall": Example(summary="The local runtime's store", value="dogday-mall")},
    ),
]
SegmentPath = Annotated[str, Path(pattern=ITEM_ID, description="The segment's id")]
CampaignPath = Annotated[str, Path(pattern=ITEM_ID, description="The campaign's id (cmp_…)")]
AutomationPath = Annotated[str, Path(pattern=ITEM_ID, description="The automation's id (aut_…)")]
CustomerPath = Annotated[
    str, Path(min_length=1, max_length=200, description="The customer's id on the store's platform")
]
TemplatePath = Annotated[
    str, Path(pattern=r"^[a-z0-9_]{1,64}$", description="A ready-made automation, e.g. review_request")
]
SourcePath = Annotated[str, Path(pattern=ITEM_ID, description="The campaign's or automation's id")]
ReportKind = Annotated[Literal["campaign", "automation"], Path(description="What the report is about")]
SecretName = StrEnum(  # type: ignore[misc]
    "SecretName", {name: name for name in sorted({*SECRET_NAMES.values(), *GATEWAY_SECRET_NAMES.values()})}
)


# ---------------------------------------------------------------- request bodies

_DEFINITION = {
    "include": [
        {"field": "traffic.last_visit", "within_days": 0},
        {"field": "content.page_views", "path": "/event/dogday", "within_days": 0, "op": ">=", "value": 3},
    ],
    "exclude": [{"field": "purchase.last", "within_days": 7}],
}


class SegmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    segment_id: Annotated[str, Field(pattern=ITEM_ID)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: str = ""
    definition: dict[str, Any]  # the segment language: docs/segments.md


class SegmentPreviewRequest(BaseModel):
    definition: dict[str, Any]


class SecretRequest(BaseModel):
    value: Annotated[str, Field(min_length=8, max_length=MAX_SECRET_BYTES)]

    @field_validator("value")
    @classmethod
    def _fits_parameter_store(cls, value: str) -> str:
        if len(value.encode()) > MAX_SECRET_BYTES:
            raise ValueError(f"at most {MAX_SECRET_BYTES} bytes (UTF-8)")
        return value


class StoreSettingsRequest(Store):
    """Store settings: nudge.stores.Store; `store_id` is the path's."""

    store_id: SkipJsonSchema[StoreId | None] = None  # type: ignore[assignment]


class TemplateInstallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: dict[str, Any] = {}  # nudge.automations.templates.TemplateParams: days, at, hours, link …
    status: Literal["active", "paused"] = "active"


def _example(summary: str, value: dict[str, Any]) -> dict[str, Example]:
    return {"example": Example(summary=summary, value=value)}


SEGMENT_EXAMPLE = _example(
    "Seed 001's recipe 3: the promotion page seen 3 times today, no purchase in 7 days",
    {"segment_id": "promo-repeat", "name": "기획전 3회 이상 조회", "definition": _DEFINITION},
)
PREVIEW_EXAMPLE = _example("Recipe 3, before it is saved", {"definition": _DEFINITION})
CAMPAIGN_EXAMPLE = _example(
    "A brand message to the segment above, sent now",
    {
        "name": "도그데이 기획전 마감 넛지",
        "segment_id": "promo-repeat",
        "message": {
            "message_class": "advertising",
            "channel": "brand_message",
            "targeting": "I",
            "content": "#{name}님, 도그데이 기획전이 오늘 마감돼요!",
            "buttons": [
                {"name": "기획전 보기", "type": "WL", "link_mo": "https://dogday.example/event/dogday"}
            ],
            "promotion_group": "dogday-2026",
        },
        "send": {"mode": "immediate"},
        "tracking": {"landing_url": "https://dogday.example/event/dogday", "campaign_code": "DOGDAY01"},
    },
)
AUTOMATION_EXAMPLE = _example(
    "A review request 3 days after delivery, at 16:00",
    {
        "name": "리뷰 요청",
        "trigger": {"event": "order.delivered"},
        "steps": [
            {
                "delay": {"days": 3, "at": "16:00"},
                "message": {
                    "message_class": "informational",
                    "channel": "alimtalk",
                    "template_code": "REVIEW_REQUEST_01",
                    "template_approved": True,
                    "content": "#{name}님, 주문하신 상품은 잘 받으셨나요? 사용 후기를 남겨 주세요.",
                },
            }
        ],
        "exit": {"when": ["order_canceled"]},
        "reentry": {"policy": "once_per_business_key"},
    },
)
IMPORT_EXAMPLE = _example(
    "One member with consents and an order",
    {
        "members": [
            {
                "customer_id": "m-1001",
                "name": "김하늘",
                "phone": "010-1234-5678",
                "signed_up_at": "2024-05-01T10:00:00+09:00",
                "consents": {"sms": {"granted": True, "at": "2024-05-01T10:00:00+09:00"}},
                "channel_friend": True,
                "orders": [
                    {
                        "order_id": "20260220-0001",
                        "placed_at": "2026-02-20T12:00:00+09:00",
                        "amount": 32000,
                        "products": ["P-7"],
                        "status": "delivered",
                        "delivered_at": "2026-02-22T15:00:00+09:00",
                    }
                ],
            }
        ]
    },
)


# ---------------------------------------------------------------- stores


@app.get(
    "/admin/stores/<store_id>",
    summary="A store's settings",
    tags=["stores"],
    responses=answers(200, "The settings"),
)
def get_store(store_id: StorePath) -> dict[str, Any]:
    return admin.get_store(dependencies(), store_id).model_dump(mode="json")


@app.put(
    "/admin/stores/<store_id>",
    summary="Create or replace a store's settings",
    tags=["stores"],
    responses=answers(200, "The settings as saved", body=True, missing=None),
)
@json_as_documented
def put_store(store_id: StorePath, settings: Annotated[StoreSettingsRequest, Body()]) -> dict[str, Any]:
    return admin.put_store(dependencies(), store_id, settings.model_dump()).model_dump(mode="json")


@app.put(
    "/admin/stores/<store_id>/secrets/<name>",
    summary="Set a webhook or gateway secret (write-only, SSM SecureString)",
    tags=["stores"],
    responses=answers(204, "Saved", body=True),
)
@json_as_documented
def put_secret(
    store_id: StorePath, name: Annotated[SecretName, Path()], secret: Annotated[SecretRequest, Body()]
) -> Response[Any]:
    from nudge.adapters.ssm import put_secret as write_secret

    admin.get_store(dependencies(), store_id)
    write_secret(store_id, name.value, secret.value)
    return Response(204)


@app.post(
    "/admin/stores/<store_id>/members/import",
    summary="Import existing members (up to 500 per request): profiles, consents with dates, orders",
    tags=["stores"],
    responses=answers(200, "`created`, and the customers Nudge already knew (left as they are)", body=True),
)
@json_as_documented
def import_members(
    store_id: StorePath,
    page: Annotated[member_import.MemberImport, Body(openapi_examples=IMPORT_EXAMPLE)],
) -> dict[str, Any]:
    store = admin.get_store(dependencies(), store_id)
    payload = app.current_event.json_body  # as sent: member_import checks every row before writing any
    result = member_import.import_members(store, payload, dependencies().profiles, clock.now())
    known = len(result.already_known)
    logger.info("members imported", extra={"members_created": result.created, "members_known": known})
    return result.as_dict()


# ---------------------------------------------------------------- segments


@app.get(
    "/admin/segment-templates",
    summary="Ready-made segments: seed 001's promotion recipes, seed 000's 12",
    tags=["templates"],
    responses=answers(200, "The segments by name, in the segment language", params=False, missing=None),
)
def segment_templates() -> dict[str, Any]:
    from nudge.segments.language import segment_json

    recipes = {name: segment_json(segment) for name, segment in promotion_recipes(DOG_DAY).items()}
    friendtalk = {name: segment_json(segment) for name, segment in friendtalk_segments().items()}
    return {"promotion_recipes": recipes, "friendtalk_segments": friendtalk}


@app.get(
    "/admin/stores/<store_id>/segments",
    summary="The store's segments",
    tags=["segments"],
    responses=answers(200, "The segments"),
)
def list_segments(store_id: StorePath) -> list[dict[str, Any]]:
    admin.get_store(dependencies(), store_id)
    return dependencies().catalog.documents(store_id, admin.SEGMENT)


@app.post(
    "/admin/stores/<store_id>/segments",
    summary="Create a segment",
    tags=["segments"],
    responses=answers(201, "The segment", body=True, conflict="The segment_id is taken"),
)
@json_as_documented
def create_segment(
    store_id: StorePath, segment: Annotated[SegmentRequest, Body(openapi_examples=SEGMENT_EXAMPLE)]
) -> Response[dict[str, Any]]:
    document = admin.create_segment(
        dependencies(), store_id, segment.model_dump(exclude_none=True), clock.now()
    )
    return Response(201, JSON, document)


@app.get(
    "/admin/stores/<store_id>/segments/<segment_id>",
    summary="One segment",
    tags=["segments"],
    responses=answers(200, "The segment", missing="Unknown store or segment"),
)
def get_segment(store_id: StorePath, segment_id: SegmentPath) -> dict[str, Any]:
    return admin.get_segment(dependencies(), store_id, segment_id)


@app.put(
    "/admin/stores/<store_id>/segments/<segment_id>",
    summary="Replace a segment",
    tags=["segments"],
    responses=answers(200, "The segment as saved", body=True, missing="Unknown store or segment"),
)
@json_as_documented
def update_segment(
    store_id: StorePath, segment_id: SegmentPath, segment: Annotated[SegmentRequest, Body()]
) -> dict[str, Any]:
    return admin.update_segment(dependencies(), store_id, segment_id, segment.model_dump(), clock.now())


@app.delete(
    "/admin/stores/<store_id>/segments/<segment_id>",
    summary="Delete a segment no campaign uses",
    tags=["segments"],
    responses=answers(
        204, "Deleted", missing="Unknown store or segment", conflict="A campaign uses the segment"
    ),
)
def delete_segment(store_id: StorePath, segment_id: SegmentPath) -> Response[None]:
    admin.delete_segment(dependencies(), store_id, segment_id)
    return Response(204)


@app.post(
    "/admin/stores/<store_id>/segments/<segment_id>/preview",
    summary="Members now: count and masked sample",
    tags=["segments"],
    responses=answers(200, "`count`, `sample` (masked), `evaluated_at`", missing="Unknown store or segment"),
)
def preview_segment(store_id: StorePath, segment_id: SegmentPath) -> dict[str, Any]:
    document = admin.get_segment(dependencies(), store_id, segment_id)
    return admin.preview(dependencies(), store_id, document["definition"], clock.now())


@app.post(
    "/admin/stores/<store_id>/segments/preview",
    summary="Preview a definition before saving it",
    tags=["segments"],
    responses=answers(200, "`count`, `sample` (masked), `evaluated_at`", body=True),
)
@json_as_documented
def preview_definition(
    store_id: StorePath,
    body: Annotated[SegmentPreviewRequest, Body(openapi_examples=PREVIEW_EXAMPLE)],
) -> dict[str, Any]:
    return admin.preview(dependencies(), store_id, body.definition, clock.now())


# ---------------------------------------------------------------- campaigns


@app.get(
    "/admin/stores/<store_id>/campaigns",
    summary="The store's campaigns",
    tags=["campaigns"],
    responses=answers(200, "The campaigns"),
)
def list_campaigns(store_id: StorePath) -> list[dict[str, Any]]:
    admin.get_store(dependencies(), store_id)
    return dependencies().catalog.documents(store_id, admin.CAMPAIGN)


@app.post(
    "/admin/stores/<store_id>/campaigns",
    summary="Create a campaign (validated, then scheduled or started)",
    tags=["campaigns"],
    responses=answers(201, "The campaign", body=True),
)
@json_as_documented
def create_campaign(
    store_id: StorePath, campaign: Annotated[CampaignDefinition, Body(openapi_examples=CAMPAIGN_EXAMPLE)]
) -> Response[dict[str, Any]]:
    payload = app.current_event.json_body  # as sent: the message is validated by the compliance layer
    document = admin.create_campaign(dependencies(), store_id, payload, clock.now())
    return Response(201, JSON, document)


@app.get(
    "/admin/stores/<store_id>/campaigns/<campaign_id>",
    summary="One campaign with its runs",
    tags=["campaigns"],
    responses=answers(200, "The campaign and its runs", missing="Unknown store or campaign"),
)
def get_campaign(store_id: StorePath, campaign_id: CampaignPath) -> dict[str, Any]:
    return admin.get_campaign(dependencies(), store_id, campaign_id)


@app.put(
    "/admin/stores/<store_id>/campaigns/<campaign_id>",
    summary="Replace a campaign (re-validated)",
    tags=["campaigns"],
    responses=answers(200, "The campaign as saved", body=True, missing="Unknown store or campaign"),
)
@json_as_documented
def update_campaign(
    store_id: StorePath, campaign_id: CampaignPath, campaign: Annotated[CampaignDefinition, Body()]
) -> dict[str, Any]:
    payload = app.current_event.json_body
    return admin.update_campaign(dependencies(), store_id, campaign_id, payload, clock.now())


@app.delete(
    "/admin/stores/<store_id>/campaigns/<campaign_id>",
    summary="Delete a campaign and its schedule",
    tags=["campaigns"],
    responses=answers(204, "Deleted", missing="Unknown store or campaign"),
)
def delete_campaign(store_id: StorePath, campaign_id: CampaignPath) -> Response[None]:
    admin.delete_campaign(dependencies(), store_id, campaign_id)
    return Response(204)


@app.post(
    "/admin/stores/<store_id>/campaigns/<campaign_id>/run",
    summary="Run a campaign now",
    tags=["campaigns"],
    responses=answers(202, "Queued: the run request", missing="Unknown store or campaign"),
)
def run_campaign(store_id: StorePath, campaign_id: CampaignPath) -> Response[dict[str, str]]:
    return Response(202, JSON, admin.run_campaign_now(dependencies(), store_id, campaign_id, clock.now()))


@app.post(
    "/admin/stores/<store_id>/campaigns/<campaign_id>/preview",
    summary="Who a run now would reach: segment members, left out by reason, send jobs it would queue",
    tags=["campaigns"],
    responses=answers(200, "What a run now would do", missing="Unknown store, campaign or its segment"),
)
def preview_campaign(store_id: StorePath, campaign_id: CampaignPath) -> dict[str, Any]:
    return admin.preview_campaign(dependencies(), store_id, campaign_id, clock.now())


# ---------------------------------------------------------------- automations


@app.get(
    "/admin/stores/<store_id>/automations",
    summary="The store's automations",
    tags=["automations"],
    responses=answers(200, "The automations"),
)
def list_automations(store_id: StorePath) -> list[dict[str, Any]]:
    from nudge.automations.definitions import AUTOMATION

    admin.get_store(dependencies(), store_id)
    return dependencies().catalog.documents(store_id, AUTOMATION)


@app.post(
    "/admin/stores/<store_id>/automations",
    summary="Create an automation: trigger, steps (delay + message), exit conditions, re-entry",
    tags=["automations"],
    responses=answers(201, "The automation", body=True),
)
@json_as_documented
def create_automation(
    store_id: StorePath,
    automation: Annotated[AutomationDefinition, Body(openapi_examples=AUTOMATION_EXAMPLE)],
) -> Response[dict[str, Any]]:
    payload = app.current_event.json_body  # as sent: each step's message is validated by the compliance layer
    document = admin.create_automation(dependencies(), store_id, payload, clock.now())
    return Response(201, JSON, document)


@app.get(
    "/admin/stores/<store_id>/automations/<automation_id>",
    summary="One automation",
    tags=["automations"],
    responses=answers(200, "The automation", missing="Unknown store or automation"),
)
def get_automation(store_id: StorePath, automation_id: AutomationPath) -> dict[str, Any]:
    return admin.get_automation(dependencies(), store_id, automation_id)


@app.put(
    "/admin/stores/<store_id>/automations/<automation_id>",
    summary="Replace an automation (re-validated); status paused stops its due steps",
    tags=["automations"],
    responses=answers(200, "The automation as saved", body=True, missing="Unknown store or automation"),
)
@json_as_documented
def update_automation(
    store_id: StorePath, automation_id: AutomationPath, automation: Annotated[AutomationDefinition, Body()]
) -> dict[str, Any]:
    payload = app.current_event.json_body
    return admin.update_automation(dependencies(), store_id, automation_id, payload, clock.now())


@app.delete(
    "/admin/stores/<store_id>/automations/<automation_id>",
    summary="Delete an automation",
    tags=["automations"],
    responses=answers(204, "Deleted", missing="Unknown store or automation"),
)
def delete_automation(store_id: StorePath, automation_id: AutomationPath) -> Response[None]:
    admin.delete_automation(dependencies(), store_id, automation_id)
    return Response(204)


@app.get(
    "/admin/stores/<store_id>/automation-templates",
    summary="Ready-made automations (review request, cart reminder, …) written for this store",
    tags=["templates"],
    responses=answers(200, "The automations by template name, with their default parameters"),
)
def automation_templates(store_id: StorePath) -> dict[str, Any]:
    return admin.automation_templates(dependencies(), store_id)


@app.post(
    "/admin/stores/<store_id>/automation-templates/<template>",
    summary="Install a ready-made automation, optionally with adjusted parameters",
    tags=["templates"],
    responses=answers(201, "The automation", body=True, missing="Unknown store or template"),
)
@json_as_documented
def install_automation_template(
    store_id: StorePath,
    template: TemplatePath,
    body: Annotated[
        TemplateInstallRequest,
        Body(openapi_examples=_example("Paused, adjusted", {"params": {"days": 5}, "status": "paused"})),
    ],
) -> Response[dict[str, Any]]:
    document = admin.install_automation_template(
        dependencies(), store_id, template, body.model_dump(exclude_unset=True), clock.now()
    )
    return Response(201, JSON, document)


@app.post(
    "/admin/stores/<store_id>/repurchase-cycles/learn",
    summary="Learn repurchase cycles per product from the store's orders (for repurchase reminders)",
    tags=["automations"],
    responses=answers(200, "The cycles learned"),
)
def learn_repurchase_cycles(store_id: StorePath) -> dict[str, Any]:
    profiles = profile_repository().store_profiles(store_id)
    return admin.learn_repurchase_cycles(dependencies(), store_id, profiles, clock.now())


# ---------------------------------------------------------------- reports


@app.get(
    "/admin/stores/<store_id>/reports/<kind>/<source_id>",
    summary="A campaign's or automation's report: suppressed, deferred, sent, delivered, clicked, converted",
    tags=["reports"],
    responses=answers(200, "The report", missing="Unknown store, or nothing by that id"),
)
def source_report(store_id: StorePath, kind: ReportKind, source_id: SourcePath) -> dict[str, Any]:
    return _report(store_id, kind, source_id)[1]


@app.get(
    "/admin/stores/<store_id>/reports/<kind>/<source_id>/page",
    summary="The same report as a page",
    tags=["reports"],
    responses=answers(
        200, "The report as HTML", missing="Unknown store, or nothing by that id", media_type="text/html"
    ),
)
def source_report_page(store_id: StorePath, kind: ReportKind, source_id: SourcePath) -> Response[str]:
    name, data = _report(store_id, kind, source_id)
    return Response(200, "text/html; charset=utf-8", sources.report_html(name, data))


def _report(store_id: str, kind: str, source_id: str) -> tuple[str, dict[str, Any]]:
    from nudge.adapters.ledger import send_ledger

    deps = dependencies()
    admin.get_store(deps, store_id)
    return sources.source_report(
        store_id, kind, source_id, send_ledger(), profile_repository(), deps.catalog
    )


@app.get(
    "/admin/stores/<store_id>/customers/<customer_id>/why",
    summary="Why this customer was (or was not) sent each message: segment, consent, night window, "
    "frequency, dedupe, gateway result",
    tags=["customers"],
    responses=answers(200, "The decision chain, message by message"),
)
def why(store_id: StorePath, customer_id: CustomerPath) -> dict[str, Any]:
    from nudge.adapters.ledger import SEND_RECORD_TTL, send_ledger

    now = clock.now()
    records = send_ledger().recent(store_id, customer_id, since=now - SEND_RECORD_TTL)
    return admin.why(dependencies(), store_id, customer_id, records, now)


@app.get(
    "/admin/openapi.json",
    summary="This API's OpenAPI document",
    tags=["documentation"],
    responses=answers(200, "The OpenAPI 3.1 document", params=False, missing=None),
)
def openapi() -> dict[str, Any]:
    return openapi_document()


# ---------------------------------------------------------------- errors


def _refusal(error: NudgeError) -> Response[Any]:
    return Response(error.status, JSON, error.as_dict())


@app.exception_handler(NudgeError)
def refuse(error: NudgeError) -> Response[Any]:
    logger.info("admin request refused", extra={"status": error.status, "detail": str(error)})
    return _refusal(error)


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response[Any]:
    return _refusal(InvalidPayload("request is not valid", [_problem(item) for item in error.errors()]))


def _problem(item: dict[str, Any]) -> FieldError:
    loc = tuple(item.get("loc") or ())
    if item.get("type") == "json_invalid":
        detail = (item.get("ctx") or {}).get("error", "")
        return FieldError("body", f"not valid JSON ({detail} at character {loc[-1] if loc else 0})")
    # The first part says where the value was (body, path): the field's own path names it.
    return FieldError(field_path(loc[1:]), str(item.get("msg", "invalid")))


@app.not_found
def no_route(_: NotFoundError) -> Response[Any]:
    method, path = app.current_event.http_method, app.current_event.path
    # The documented path that names it most literally (…/segments/preview before …/segments/{segment_id}).
    route = min(
        (r for r in _routes() if r.pattern.fullmatch(path)), key=lambda r: r.path.count("{"), default=None
    )
    if route is None:
        return _refusal(NotFound(f"no admin route {method} {path}"))
    if method in route.methods:
        # Documented, yet not routed: a path value has a character Powertools does not route (a control
        # character, say), which no id has.
        values = zip(route.path.split("/"), path.split("/"), strict=True)
        unroutable = [
            name[1:-1] for name, value in values if name.startswith("{") and not _ROUTABLE.fullmatch(value)
        ]
        problems = [FieldError(name, "has a character no id has") for name in unroutable or ["path"]]
        return _refusal(InvalidPayload("request is not valid", problems))
    allowed = ", ".join(sorted(route.methods))
    refused = MethodNotAllowed(f"{path} answers {allowed}, not {method}")
    return Response(refused.status, JSON, refused.as_dict(), headers={"Allow": allowed})


# The characters Powertools routes a path value with (api_gateway.py's _SAFE_URI and _UNSAFE_URI, and \w).
_ROUTABLE = re.compile(r"[\w\-._~()'!*:@,;=+&$%<> \[\]{}|^]+")


class _Route(NamedTuple):
    path: str
    pattern: re.Pattern[str]
    methods: frozenset[str]


@cache
def _routes() -> list[_Route]:
    """The documented paths as patterns, with their methods (405's Allow header)."""
    out = []
    for path, operations in openapi_document()["paths"].items():
        pattern = "/".join("[^/]+" if part.startswith("{") else re.escape(part) for part in path.split("/"))
        out.append(_Route(path, re.compile(pattern), frozenset(method.upper() for method in operations)))
    return out


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
