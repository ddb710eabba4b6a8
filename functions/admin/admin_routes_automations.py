"""The admin API's automation routes: a store's automations, the ready-made ones, repurchase cycles."""

from typing import Annotated, Any, Literal

from admin_contract import AutomationPath, StorePath, TemplatePath, answers, example, json_as_documented
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict

from nudge import clock
from nudge.adapters.wiring import automation_setup_dependencies as dependencies
from nudge.adapters.wiring import message_preview_dependencies
from nudge.automations import service as automations
from nudge.automations.definitions import AutomationDefinition
from nudge.http import JSON
from nudge.sending.preview import MessagePreviewRequest

router = APIGatewayHttpRouter()


class TemplateInstallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: dict[str, Any] = {}  # nudge.automations.templates.TemplateParams: days, at, hours, link …
    status: Literal["active", "paused"] = "active"


AUTOMATION_EXAMPLE = example(
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
                    "content": "#{name}님, 주문하신 상품은 잘 받으셨나요? 사용 후기를 남겨 주세요.",
                },
            }
        ],
        "exit": {"when": ["order_canceled"]},
        "reentry": {"policy": "once_per_business_key"},
    },
)
INSTALL_EXAMPLE = example("Paused, adjusted", {"params": {"days": 5}, "status": "paused"})
STEP_PREVIEW_EXAMPLE = example(
    "A shipping notice for one customer, with the tracking number to show",
    {"customer_id": "m-1001", "event": {"송장번호": "601234567890"}},
)
StepPath = Annotated[int, Path(ge=0, le=99, description="The step's index in the automation (0: the first)")]


@router.get(
    "/admin/stores/<store_id>/automations",
    summary="The store's automations",
    tags=["automations"],
    responses=answers(200, "The automations"),
)
def list_automations(store_id: StorePath) -> list[dict[str, Any]]:
    return automations.list_automations(dependencies(), store_id)


@router.post(
    "/admin/stores/<store_id>/automations",
    summary="Create an automation: trigger, steps (delay + message), exit conditions, re-entry",
    tags=["automations"],
    responses=answers(201, "The automation", body=True),
)
@json_as_documented(router)
def create_automation(
    store_id: StorePath,
    automation: Annotated[AutomationDefinition, Body(openapi_examples=AUTOMATION_EXAMPLE)],
) -> Response[dict[str, Any]]:
    # As sent: each step's message is validated by the compliance layer.
    payload = router.current_event.json_body
    document = automations.create_automation(dependencies(), store_id, payload, clock.now())
    return Response(201, JSON, document)


@router.get(
    "/admin/stores/<store_id>/automations/<automation_id>",
    summary="One automation",
    tags=["automations"],
    responses=answers(200, "The automation", missing="Unknown store or automation"),
)
def get_automation(store_id: StorePath, automation_id: AutomationPath) -> dict[str, Any]:
    return automations.get_automation(dependencies(), store_id, automation_id)


@router.put(
    "/admin/stores/<store_id>/automations/<automation_id>",
    summary="Replace an automation (re-validated); status paused stops its due steps",
    tags=["automations"],
    responses=answers(200, "The automation as saved", body=True, missing="Unknown store or automation"),
)
@json_as_documented(router)
def update_automation(
    store_id: StorePath, automation_id: AutomationPath, automation: Annotated[AutomationDefinition, Body()]
) -> dict[str, Any]:
    payload = router.current_event.json_body
    return automations.update_automation(dependencies(), store_id, automation_id, payload, clock.now())


@router.delete(
    "/admin/stores/<store_id>/automations/<automation_id>",
    summary="Delete an automation",
    tags=["automations"],
    responses=answers(204, "Deleted", missing="Unknown store or automation"),
)
def delete_automation(store_id: StorePath, automation_id: AutomationPath) -> Response[None]:
    automations.delete_automation(dependencies(), store_id, automation_id)
    return Response(204)


@router.get(
    "/admin/stores/<store_id>/automation-templates",
    summary="Ready-made automations (review request, cart reminder, …) written for this store",
    tags=["templates"],
    responses=answers(200, "The automations by template name, with their default parameters"),
)
def automation_templates(store_id: StorePath) -> dict[str, Any]:
    return automations.automation_templates(dependencies(), store_id)


@router.post(
    "/admin/stores/<store_id>/automation-templates/<template>",
    summary="Install a ready-made automation, optionally with adjusted parameters",
    tags=["templates"],
    responses=answers(201, "The automation", body=True, missing="Unknown store or template"),
)
@json_as_documented(router)
def install_automation_template(
    store_id: StorePath,
    template: TemplatePath,
    body: Annotated[TemplateInstallRequest, Body(openapi_examples=INSTALL_EXAMPLE)],
) -> Response[dict[str, Any]]:
    payload = body.model_dump(exclude_unset=True)
    deps = dependencies()
    document = automations.install_automation_template(deps, store_id, template, payload, clock.now())
    return Response(201, JSON, document)


@router.post(
    "/admin/stores/<store_id>/repurchase-cycles/learn",
    summary="Learn repurchase cycles per product from the store's orders (for repurchase reminders)",
    tags=["automations"],
    responses=answers(200, "The cycles learned"),
)
def learn_repurchase_cycles(store_id: StorePath) -> dict[str, Any]:
    return automations.learn_repurchase_cycles(dependencies(), store_id, clock.now())


@router.post(
    "/admin/stores/<store_id>/automations/<automation_id>/steps/<step>/preview",
    summary="A step's message as one customer would get it now, and whether it would be sent",
    description=(
        "The step's message filled for the customer (kind, title, text with the ad label, buttons, each "
        "variable's value and where it came from, any missing one) and the compliance decision now, with "
        "its reasons; personal data masked. The values the trigger's event gives come from `event` "
        "(by English or Korean name), else the customer's most recent order (order.* triggers), else the "
        "variables table's examples, listed in `examples`. Nothing is sent or recorded."
    ),
    tags=["automations"],
    responses=answers(
        200, "The message for the customer", body=True, missing="Unknown store, automation, step or customer"
    ),
)
@json_as_documented(router)
def preview_automation_step(
    store_id: StorePath,
    automation_id: AutomationPath,
    step: StepPath,
    request: Annotated[MessagePreviewRequest, Body(openapi_examples=STEP_PREVIEW_EXAMPLE)],
) -> dict[str, Any]:
    payload = router.current_event.json_body
    from nudge.automations.preview import preview_step  # loaded when a preview is asked for

    return preview_step(message_preview_dependencies(), store_id, automation_id, step, payload, clock.now())
