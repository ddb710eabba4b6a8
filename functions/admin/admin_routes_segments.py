"""The admin API's segment routes: the ready-made segments, a store's segments and their live previews."""

from typing import Annotated, Any

from admin_contract import ITEM_ID, SegmentPath, StorePath, answers, example, json_as_documented
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from nudge import clock
from nudge.adapters.wiring import segment_dependencies as dependencies
from nudge.http import JSON
from nudge.segments import service as segments
from nudge.segments.templates import DOG_DAY, friendtalk_segments, promotion_recipes

router = APIGatewayHttpRouter()


class SegmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    segment_id: Annotated[str, Field(pattern=ITEM_ID)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: str = ""
    definition: dict[str, Any]  # the segment language: docs/segments.md


class SegmentPreviewRequest(BaseModel):
    definition: dict[str, Any]


_DEFINITION = {
    "include": [
        {"field": "traffic.last_visit", "within_days": 0},
        {"field": "content.page_views", "path": "/event/dogday", "within_days": 0, "op": ">=", "value": 3},
    ],
    "exclude": [{"field": "purchase.last", "within_days": 7}],
}
SEGMENT_EXAMPLE = example(
    "Seed 001's recipe 3: the promotion page seen 3 times today, no purchase in 7 days",
    {"segment_id": "promo-repeat", "name": "기획전 3회 이상 조회", "definition": _DEFINITION},
)
PREVIEW_EXAMPLE = example("Recipe 3, before it is saved", {"definition": _DEFINITION})


@router.get(
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


@router.get(
    "/admin/stores/<store_id>/segments",
    summary="The store's segments",
    tags=["segments"],
    responses=answers(200, "The segments (one saved nested too deep: `definition` null, `problems` named)"),
)
def list_segments(store_id: StorePath) -> list[dict[str, Any]]:
    return segments.list_segments(dependencies(), store_id)


@router.post(
    "/admin/stores/<store_id>/segments",
    summary="Create a segment",
    tags=["segments"],
    responses=answers(201, "The segment", body=True, conflict="The segment_id is taken"),
)
@json_as_documented(router)
def create_segment(
    store_id: StorePath, segment: Annotated[SegmentRequest, Body(openapi_examples=SEGMENT_EXAMPLE)]
) -> Response[dict[str, Any]]:
    payload = segment.model_dump(exclude_none=True)
    return Response(201, JSON, segments.create_segment(dependencies(), store_id, payload, clock.now()))


@router.get(
    "/admin/stores/<store_id>/segments/<segment_id>",
    summary="One segment",
    tags=["segments"],
    responses=answers(
        200,
        "The segment. One saved before groups' nesting was limited, nested deeper: `definition` null and "
        "`problems` naming the group (replace or delete it)",
        missing="Unknown store or segment",
    ),
)
def get_segment(store_id: StorePath, segment_id: SegmentPath) -> dict[str, Any]:
    return segments.get_segment(dependencies(), store_id, segment_id)


@router.put(
    "/admin/stores/<store_id>/segments/<segment_id>",
    summary="Replace a segment",
    tags=["segments"],
    responses=answers(200, "The segment as saved", body=True, missing="Unknown store or segment"),
)
@json_as_documented(router)
def update_segment(
    store_id: StorePath, segment_id: SegmentPath, segment: Annotated[SegmentRequest, Body()]
) -> dict[str, Any]:
    return segments.update_segment(dependencies(), store_id, segment_id, segment.model_dump(), clock.now())


@router.delete(
    "/admin/stores/<store_id>/segments/<segment_id>",
    summary="Delete a segment no campaign uses",
    tags=["segments"],
    responses=answers(
        204, "Deleted", missing="Unknown store or segment", conflict="A campaign uses the segment"
    ),
)
def delete_segment(store_id: StorePath, segment_id: SegmentPath) -> Response[None]:
    segments.delete_segment(dependencies(), store_id, segment_id)
    return Response(204)


@router.post(
    "/admin/stores/<store_id>/segments/<segment_id>/preview",
    summary="Members now: count and masked sample",
    tags=["segments"],
    responses=answers(200, "`count`, `sample` (masked), `evaluated_at`", missing="Unknown store or segment"),
)
def preview_segment(store_id: StorePath, segment_id: SegmentPath) -> dict[str, Any]:
    return segments.preview_saved(dependencies(), store_id, segment_id, clock.now())


@router.post(
    "/admin/stores/<store_id>/segments/preview",
    summary="Preview a definition before saving it",
    tags=["segments"],
    responses=answers(200, "`count`, `sample` (masked), `evaluated_at`", body=True),
)
@json_as_documented(router)
def preview_definition(
    store_id: StorePath,
    body: Annotated[SegmentPreviewRequest, Body(openapi_examples=PREVIEW_EXAMPLE)],
) -> dict[str, Any]:
    return segments.preview(dependencies(), store_id, body.definition, clock.now())
