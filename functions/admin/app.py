"""The admin API: stores and their settings, segments (with a live preview), campaigns, automations.

Requests are IAM-signed (API Gateway checks SigV4 before this runs); the OpenAPI document is served at
GET /admin/openapi.json and Swagger UI at GET /admin/swagger.
"""

from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from nudge import admin, campaign_reports, clock, member_import
from nudge.adapters.catalog import catalog
from nudge.adapters.dynamodb import profile_repository, store_directory
from nudge.adapters.scheduler import campaign_scheduler
from nudge.adapters.segment_reader import SegmentReader
from nudge.adapters.sqs import campaign_runs_queue
from nudge.automations import AutomationDefinition
from nudge.campaigns import CampaignDefinition
from nudge.errors import FieldError, Forbidden, InvalidPayload, NudgeError
from nudge.http import JSON, error_response
from nudge.observability import logger as make_logger
from nudge.segments.templates import DOG_DAY, friendtalk_segments, promotion_recipes
from nudge.stores import Store

logger = make_logger()
metrics = Metrics()
app = APIGatewayHttpResolver(enable_validation=True)
app.enable_swagger(path="/admin/swagger", title="Nudge admin API", version="1.0.0")


class SegmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    segment_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: str = ""
    definition: dict[str, Any]  # the segment language: docs/segments.md


class SegmentPreviewRequest(BaseModel):
    definition: dict[str, Any]


class SecretRequest(BaseModel):
    value: Annotated[str, Field(min_length=8, max_length=4096)]


class StoreSettingsRequest(BaseModel):
    """Store settings (nudge.stores.Store without store_id, which is in the path)."""

    model_config = ConfigDict(extra="allow")


class _MemberReader:
    """The whole-store segment read, as the admin operations use it."""

    def members(self, store: Store, segment: Any) -> Any:
        return SegmentReader().members(store, segment)

    def screened_members(self, store: Store, segment: Any, consent_channel: str | None, now: datetime) -> Any:
        return SegmentReader().screened_members(store, segment, consent_channel, now)


@cache
def dependencies() -> admin.AdminDependencies:
    return admin.AdminDependencies(
        stores=store_directory(),
        catalog=catalog(),
        profiles=profile_repository(),
        members=_MemberReader(),
        scheduler=campaign_scheduler(),
        run_requests=campaign_runs_queue(),
    )


# ---------------------------------------------------------------- stores


@app.get("/admin/stores/<store_id>", summary="A store's settings")
def get_store(store_id: str) -> dict[str, Any]:
    return admin.get_store(dependencies(), store_id).model_dump(mode="json")


@app.put("/admin/stores/<store_id>", summary="Create or replace a store's settings")
def put_store(store_id: str, settings: Annotated[StoreSettingsRequest, Body()]) -> dict[str, Any]:
    return admin.put_store(dependencies(), store_id, settings.model_dump()).model_dump(mode="json")


@app.put(
    "/admin/stores/<store_id>/secrets/<name>", summary="Set a webhook secret (write-only, SSM SecureString)"
)
def put_secret(store_id: str, name: str, secret: Annotated[SecretRequest, Body()]) -> Response[Any]:
    from nudge.adapters.ssm import put_secret as write_secret
    from nudge.stores import GATEWAY_SECRET_NAMES, SECRET_NAMES

    admin.get_store(dependencies(), store_id)
    known = sorted({*SECRET_NAMES.values(), *GATEWAY_SECRET_NAMES.values()})
    if name not in known:
        raise InvalidPayload("unknown secret", [FieldError("name", f"one of {known}")])
    write_secret(store_id, name, secret.value)
    return Response(204)


@app.post(
    "/admin/stores/<store_id>/members/import",
    summary="Import existing members (up to 500 per request): profiles, consents with dates, orders",
)
def import_members(store_id: str, page: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    store = admin.get_store(dependencies(), store_id)
    result = member_import.import_members(store, page, dependencies().profiles, clock.now())
    known = len(result.already_known)
    logger.info("members imported", extra={"members_created": result.created, "members_known": known})
    return result.as_dict()


# ---------------------------------------------------------------- segments


@app.get(
    "/admin/segment-templates", summary="Ready-made segments: seed 001's promotion recipes, seed 000's 12"
)
def segment_templates() -> dict[str, Any]:
    from nudge.segments.language import segment_json

    recipes = {name: segment_json(segment) for name, segment in promotion_recipes(DOG_DAY).items()}
    friendtalk = {name: segment_json(segment) for name, segment in friendtalk_segments().items()}
    return {"promotion_recipes": recipes, "friendtalk_segments": friendtalk}


@app.get("/admin/stores/<store_id>/segments", summary="The store's segments")
def list_segments(store_id: str) -> list[dict[str, Any]]:
    admin.get_store(dependencies(), store_id)
    return dependencies().catalog.documents(store_id, admin.SEGMENT)


@app.post("/admin/stores/<store_id>/segments", summary="Create a segment")
def create_segment(store_id: str, segment: Annotated[SegmentRequest, Body()]) -> Response[Any]:
    document = admin.create_segment(
        dependencies(), store_id, segment.model_dump(exclude_none=True), clock.now()
    )
    return Response(201, JSON, document)


@app.get("/admin/stores/<store_id>/segments/<segment_id>", summary="One segment")
def get_segment(store_id: str, segment_id: str) -> dict[str, Any]:
    return admin.get_segment(dependencies(), store_id, segment_id)


@app.put("/admin/stores/<store_id>/segments/<segment_id>", summary="Replace a segment")
def update_segment(
    store_id: str, segment_id: str, segment: Annotated[SegmentRequest, Body()]
) -> dict[str, Any]:
    return admin.update_segment(dependencies(), store_id, segment_id, segment.model_dump(), clock.now())


@app.delete("/admin/stores/<store_id>/segments/<segment_id>", summary="Delete a segment no campaign uses")
def delete_segment(store_id: str, segment_id: str) -> Response[Any]:
    admin.delete_segment(dependencies(), store_id, segment_id)
    return Response(204)


@app.post(
    "/admin/stores/<store_id>/segments/<segment_id>/preview", summary="Members now: count and masked sample"
)
def preview_segment(store_id: str, segment_id: str) -> dict[str, Any]:
    document = admin.get_segment(dependencies(), store_id, segment_id)
    return admin.preview(dependencies(), store_id, document["definition"], clock.now())


@app.post("/admin/stores/<store_id>/segments/preview", summary="Preview a definition before saving it")
def preview_definition(store_id: str, body: Annotated[SegmentPreviewRequest, Body()]) -> dict[str, Any]:
    return admin.preview(dependencies(), store_id, body.definition, clock.now())


# ---------------------------------------------------------------- campaigns


@app.get("/admin/stores/<store_id>/campaigns", summary="The store's campaigns")
def list_campaigns(store_id: str) -> list[dict[str, Any]]:
    admin.get_store(dependencies(), store_id)
    return dependencies().catalog.documents(store_id, admin.CAMPAIGN)


@app.post(
    "/admin/stores/<store_id>/campaigns", summary="Create a campaign (validated, then scheduled or started)"
)
def create_campaign(store_id: str, campaign: Annotated[CampaignDefinition, Body()]) -> Response[Any]:
    payload = app.current_event.json_body  # as sent: the message is validated by the compliance layer
    document = admin.create_campaign(dependencies(), store_id, payload, clock.now())
    return Response(201, JSON, document)


@app.get("/admin/stores/<store_id>/campaigns/<campaign_id>", summary="One campaign with its runs")
def get_campaign(store_id: str, campaign_id: str) -> dict[str, Any]:
    return admin.get_campaign(dependencies(), store_id, campaign_id)


@app.put("/admin/stores/<store_id>/campaigns/<campaign_id>", summary="Replace a campaign (re-validated)")
def update_campaign(store_id: str, campaign_id: str, campaign: Annotated[CampaignDefinition, Body()]) -> dict:
    payload = app.current_event.json_body
    return admin.update_campaign(dependencies(), store_id, campaign_id, payload, clock.now())


@app.delete("/admin/stores/<store_id>/campaigns/<campaign_id>", summary="Delete a campaign and its schedule")
def delete_campaign(store_id: str, campaign_id: str) -> Response[Any]:
    admin.delete_campaign(dependencies(), store_id, campaign_id)
    return Response(204)


@app.post("/admin/stores/<store_id>/campaigns/<campaign_id>/run", summary="Run a campaign now")
def run_campaign(store_id: str, campaign_id: str) -> Response[Any]:
    return Response(202, JSON, admin.run_campaign_now(dependencies(), store_id, campaign_id, clock.now()))


@app.post(
    "/admin/stores/<store_id>/campaigns/<campaign_id>/preview",
    summary="Who a run now would reach: segment members, left out by reason, send jobs it would queue",
)
def preview_campaign(store_id: str, campaign_id: str) -> dict[str, Any]:
    return admin.preview_campaign(dependencies(), store_id, campaign_id, clock.now())


# ---------------------------------------------------------------- automations


@app.get("/admin/stores/<store_id>/automations", summary="The store's automations")
def list_automations(store_id: str) -> list[dict[str, Any]]:
    from nudge.automations import AUTOMATION

    admin.get_store(dependencies(), store_id)
    return dependencies().catalog.documents(store_id, AUTOMATION)


@app.post(
    "/admin/stores/<store_id>/automations",
    summary="Create an automation: trigger, steps (delay + message), exit conditions, re-entry",
)
def create_automation(store_id: str, automation: Annotated[AutomationDefinition, Body()]) -> Response[Any]:
    payload = app.current_event.json_body  # as sent: each step's message is validated by the compliance layer
    document = admin.create_automation(dependencies(), store_id, payload, clock.now())
    return Response(201, JSON, document)


@app.get("/admin/stores/<store_id>/automations/<automation_id>", summary="One automation")
def get_automation(store_id: str, automation_id: str) -> dict[str, Any]:
    return admin.get_automation(dependencies(), store_id, automation_id)


@app.put(
    "/admin/stores/<store_id>/automations/<automation_id>",
    summary="Replace an automation (re-validated); status paused stops its due steps",
)
def update_automation(
    store_id: str, automation_id: str, automation: Annotated[AutomationDefinition, Body()]
) -> dict[str, Any]:
    payload = app.current_event.json_body
    return admin.update_automation(dependencies(), store_id, automation_id, payload, clock.now())


@app.delete("/admin/stores/<store_id>/automations/<automation_id>", summary="Delete an automation")
def delete_automation(store_id: str, automation_id: str) -> Response[Any]:
    admin.delete_automation(dependencies(), store_id, automation_id)
    return Response(204)


class TemplateInstallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: dict[str, Any] = {}  # nudge.automation_templates.TemplateParams: days, at, hours, link …
    status: Literal["active", "paused"] = "active"


@app.get(
    "/admin/stores/<store_id>/automation-templates",
    summary="Ready-made automations (review request, cart reminder, …) written for this store",
)
def automation_templates(store_id: str) -> dict[str, Any]:
    return admin.automation_templates(dependencies(), store_id)


@app.post(
    "/admin/stores/<store_id>/automation-templates/<template>",
    summary="Install a ready-made automation, optionally with adjusted parameters",
)
def install_automation_template(
    store_id: str, template: str, body: Annotated[TemplateInstallRequest, Body()]
) -> Response[Any]:
    document = admin.install_automation_template(
        dependencies(), store_id, template, body.model_dump(exclude_unset=True), clock.now()
    )
    return Response(201, JSON, document)


@app.post(
    "/admin/stores/<store_id>/repurchase-cycles/learn",
    summary="Learn repurchase cycles per product from the store's orders (for repurchase reminders)",
)
def learn_repurchase_cycles(store_id: str) -> dict[str, Any]:
    profiles = profile_repository().store_profiles(store_id)
    return admin.learn_repurchase_cycles(dependencies(), store_id, profiles, clock.now())


# ---------------------------------------------------------------- reports


@app.get(
    "/admin/stores/<store_id>/reports/<kind>/<source_id>",
    summary="A campaign's or automation's report: suppressed, deferred, sent, delivered, clicked, converted",
)
def source_report(store_id: str, kind: str, source_id: str) -> dict[str, Any]:
    return _report(store_id, kind, source_id)[1]


@app.get("/admin/stores/<store_id>/reports/<kind>/<source_id>/page", summary="The same report as a page")
def source_report_page(store_id: str, kind: str, source_id: str) -> Response[Any]:
    name, data = _report(store_id, kind, source_id)
    return Response(200, "text/html; charset=utf-8", campaign_reports.report_html(name, data))


def _report(store_id: str, kind: str, source_id: str) -> tuple[str, dict[str, Any]]:
    from nudge.adapters.ledger import send_ledger

    deps = dependencies()
    admin.get_store(deps, store_id)
    return campaign_reports.source_report(
        store_id, kind, source_id, send_ledger(), deps.profiles, deps.catalog
    )


@app.get(
    "/admin/stores/<store_id>/customers/<customer_id>/why",
    summary="Why this customer was (or was not) sent each message: segment, consent, night window, "
    "frequency, dedupe, gateway result",
)
def why(store_id: str, customer_id: str) -> dict[str, Any]:
    from nudge.adapters.ledger import SEND_RECORD_TTL, send_ledger

    now = clock.now()
    records = send_ledger().recent(store_id, customer_id, since=now - SEND_RECORD_TTL)
    return admin.why(dependencies(), store_id, customer_id, records, now)


@app.get("/admin/openapi.json", summary="This API's OpenAPI document")
def openapi() -> Response[Any]:
    return Response(200, JSON, app.get_openapi_json_schema(title="Nudge admin API", version="1.0.0"))


# ---------------------------------------------------------------- errors


@app.exception_handler(NudgeError)
def refuse(error: NudgeError) -> Response[Any]:
    logger.info("admin request refused", extra={"status": error.status, "detail": str(error)})
    return Response(error.status, JSON, error.as_dict())


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response[Any]:
    fields = []
    for item in error.errors():
        loc = [p for p in item.get("loc", ()) if p != "body"]
        path = "".join(
            f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc)
        )
        fields.append(FieldError(path or "body", item.get("msg", "invalid")))
    return Response(400, JSON, InvalidPayload("request is not valid", fields).as_dict())


def _authorized(event: dict[str, Any]) -> bool:
    """API Gateway's IAM authorizer has checked the signature; refuse anything that did not pass it."""
    return bool((event.get("requestContext") or {}).get("authorizer", {}).get("iam"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    metrics.add_metric(name="AdminRequests", unit=MetricUnit.Count, value=1)
    if not _authorized(event):
        return error_response(Forbidden("admin requests must be IAM-signed"))
    return app.resolve(event, context)
