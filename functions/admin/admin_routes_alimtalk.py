"""The admin API's AlimTalk template routes: the store's templates as its gateway account has them (with
each one's review status and the last sync), and a sync now."""

from typing import Any

from admin_contract import StorePath, answers
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from nudge import clock
from nudge.adapters.wiring import alimtalk_template_dependencies as dependencies
from nudge.adapters.wiring import alimtalk_template_users as users
from nudge.alimtalk import service as templates

router = APIGatewayHttpRouter()


@router.get(
    "/admin/stores/<store_id>/alimtalk-templates",
    summary="The store's AlimTalk templates, as last synced from its gateway: status, content, variables",
    tags=["templates"],
    responses=answers(200, "The templates and when they were last synced (null: never)"),
)
def list_templates(store_id: StorePath) -> dict[str, Any]:
    return templates.listing(dependencies(), store_id)


@router.post(
    "/admin/stores/<store_id>/alimtalk-templates/sync",
    summary="Sync the store's AlimTalk templates from its gateway now; pause what uses one not approved",
    tags=["templates"],
    responses=answers(
        200,
        "The templates, what changed, and the campaigns and automations paused",
        conflict="The store has no gateway account",
        gateway="The gateway did not give its template list (down, or it refused the store's account)",
    ),
)
def sync_templates(store_id: StorePath) -> dict[str, Any]:
    return templates.sync_now(dependencies(), store_id, clock.now(), users()).as_dict()
