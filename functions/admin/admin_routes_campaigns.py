"""The admin API's campaign routes: a store's campaigns, run now or previewed (a run, or the message for one
customer)."""

from typing import Annotated, Any

from admin_contract import CampaignPath, StorePath, answers, example, json_as_documented
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from nudge import clock
from nudge.adapters.wiring import campaign_dependencies as dependencies
from nudge.adapters.wiring import message_preview_dependencies
from nudge.campaigns import service as campaigns
from nudge.campaigns.definitions import CampaignDefinition
from nudge.errors import FieldError, InvalidPayload
from nudge.http import JSON
from nudge.sending.preview import MessagePreviewRequest

router = APIGatewayHttpRouter()

MESSAGE_PREVIEW_EXAMPLE = example("The message as one customer would get it", {"customer_id": "m-1001"})

CAMPAIGN_EXAMPLE = example(
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


@router.get(
    "/admin/stores/<store_id>/campaigns",
    summary="The store's campaigns",
    tags=["campaigns"],
    responses=answers(200, "The campaigns"),
)
def list_campaigns(store_id: StorePath) -> list[dict[str, Any]]:
    return campaigns.list_campaigns(dependencies(), store_id)


@router.post(
    "/admin/stores/<store_id>/campaigns",
    summary="Create a campaign (validated, then scheduled or started)",
    tags=["campaigns"],
    responses=answers(201, "The campaign", body=True),
)
@json_as_documented(router)
def create_campaign(
    store_id: StorePath, campaign: Annotated[CampaignDefinition, Body(openapi_examples=CAMPAIGN_EXAMPLE)]
) -> Response[dict[str, Any]]:
    payload = router.current_event.json_body  # as sent: the message is validated by the compliance layer
    document = campaigns.create_campaign(dependencies(), store_id, payload, clock.now())
    return Response(201, JSON, document)


@router.get(
    "/admin/stores/<store_id>/campaigns/<campaign_id>",
    summary="One campaign with its runs",
    tags=["campaigns"],
    responses=answers(200, "The campaign and its runs", missing="Unknown store or campaign"),
)
def get_campaign(store_id: StorePath, campaign_id: CampaignPath) -> dict[str, Any]:
    return campaigns.get_campaign(dependencies(), store_id, campaign_id)


@router.put(
    "/admin/stores/<store_id>/campaigns/<campaign_id>",
    summary="Replace a campaign (re-validated)",
    tags=["campaigns"],
    responses=answers(200, "The campaign as saved", body=True, missing="Unknown store or campaign"),
)
@json_as_documented(router)
def update_campaign(
    store_id: StorePath, campaign_id: CampaignPath, campaign: Annotated[CampaignDefinition, Body()]
) -> dict[str, Any]:
    payload = router.current_event.json_body
    return campaigns.update_campaign(dependencies(), store_id, campaign_id, payload, clock.now())


@router.delete(
    "/admin/stores/<store_id>/campaigns/<campaign_id>",
    summary="Delete a campaign and its schedule",
    tags=["campaigns"],
    responses=answers(204, "Deleted", missing="Unknown store or campaign"),
)
def delete_campaign(store_id: StorePath, campaign_id: CampaignPath) -> Response[None]:
    campaigns.delete_campaign(dependencies(), store_id, campaign_id)
    return Response(204)


@router.post(
    "/admin/stores/<store_id>/campaigns/<campaign_id>/run",
    summary="Run a campaign now",
    tags=["campaigns"],
    responses=answers(
        202,
        "Queued: the run request",
        missing="Unknown store or campaign",
        conflict="The campaign is paused (its AlimTalk template is no longer approved): save it again",
    ),
)
def run_campaign(store_id: StorePath, campaign_id: CampaignPath) -> Response[dict[str, str]]:
    return Response(202, JSON, campaigns.run_campaign_now(dependencies(), store_id, campaign_id, clock.now()))


@router.post(
    "/admin/stores/<store_id>/campaigns/<campaign_id>/preview",
    summary="Who a run now would reach; with a customer_id, the message as that customer would get it",
    description=(
        "Without a body: the segment's members, those left out by reason and the send jobs a run now would "
        'queue. With `{"customer_id": …}`: the message as that customer would get it now (kind, title, '
        "text with the ad label, buttons, each variable's value and where it came from, any missing one) "
        "and whether the sender would send it now, with the compliance reasons; personal data masked. "
        "Nothing is sent or recorded."
    ),
    tags=["campaigns"],
    responses=answers(
        200,
        "What a run now would do, or the message for the customer",
        body=True,
        missing="Unknown store, campaign, its segment or the customer",
    ),
)
def preview_campaign(
    store_id: StorePath,
    campaign_id: CampaignPath,
    request: Annotated[MessagePreviewRequest | None, Body(openapi_examples=MESSAGE_PREVIEW_EXAMPLE)] = None,
) -> dict[str, Any]:
    if request is None:
        if (router.current_event.body or "").strip() not in ("", "null"):  # a body, but no preview request
            raise InvalidPayload(
                "a message preview takes {\"customer_id\": …}",
                [FieldError("body", "must be a JSON object with customer_id, or absent")],
            )
        return campaigns.preview_campaign(dependencies(), store_id, campaign_id, clock.now())
    payload = router.current_event.json_body  # as sent: read strictly (nudge.sending.preview)
    from nudge.campaigns.preview import preview_message  # loaded when a preview is asked for

    return preview_message(message_preview_dependencies(), store_id, campaign_id, payload, clock.now())
