"""The admin API's image routes: the pictures a store's messages show, uploaded once and named by id
(nudge.images; docs/images.md).

Both are a store's routes (`{store_id}` in the path): a caller administers them for the stores its IAM
principal's `nudge:stores` tag names (admin_access decides before the route runs). An upload travels as JSON,
the file base64-encoded: API Gateway's HTTP API and Lambda take at most 6 MB of request, so an image of about
4.4 MB is the largest that arrives (docs/images.md)."""

from typing import Annotated, Any

from admin_contract import StorePath, answers, example, json_as_documented
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from compliance import formats
from nudge import clock
from nudge.adapters.wiring import image_store, store_dependencies
from nudge.http import JSON
from nudge.images import service as images
from nudge.images.service import ImageUpload
from nudge.store_settings import get_store

router = APIGatewayHttpRouter()

ImagePath = Annotated[
    str, Path(pattern=formats.IMAGE_ID, description="The image's id (img_ and 32 hex digits of its SHA-256)")
]

# A 500×250 grey PNG: it fits the IMAGE, WIDE, first wide-item and carousel uses, not the square wide items
# nor an MMS (a JPEG); the answer says so.
_EXAMPLE_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAfQAAAD6CAAAAABywOqSAAADRElEQVR4nO3OQQEAMAyEMKRX+lxwjxEF4fId1oH4WAfiYx2Ij3Ug"
    "PtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2I"
    "j3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4WAfi"
    "Yx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4"
    "WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+"
    "1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiP"
    "dSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+Jj"
    "HYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhY"
    "B+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7W"
    "gfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91"
    "ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMd"
    "iI91ID7WgfhYB+JjHYiPdSA+1oH4WAfiYx2Ij3UgPtaB+FgH4mMdiI91ID7WgfgezDoyTQr2bLUAAAAASUVORK5CYII="
)
IMAGE_EXAMPLE = example("A 500×250 PNG banner", {"name": "summer-sale.png", "data": _EXAMPLE_PNG})


@router.post(
    "/admin/stores/<store_id>/images",
    summary="Upload an image for the store's messages",
    description=(
        "The file's bytes, base64-encoded, and its name. Refused (400 naming `data`) when `data` is not "
        "base64, the image is over 5 MB, it is not a JPEG, PNG or GIF Nudge can read, or no message could "
        "use it. The answer lists the `uses` the image meets (Kakao's imageType names, and `MMS`) and, for "
        "the others, why not. The same bytes uploaded again are the same image (its id names them)."
    ),
    tags=["images"],
    responses=answers(201, "The image, the uses it meets and why not the others", body=True),
)
@json_as_documented(router)
def upload_image(
    store_id: StorePath, image: Annotated[ImageUpload, Body(openapi_examples=IMAGE_EXAMPLE)]
) -> Response[dict[str, Any]]:
    get_store(store_dependencies().stores, store_id)
    record = images.upload(image_store(), store_id, router.current_event.json_body, clock.now())
    return Response(201, JSON, images.describe(record))


@router.get(
    "/admin/stores/<store_id>/images",
    summary="The store's images, oldest first",
    tags=["images"],
    responses=answers(200, "The images"),
)
def list_images(store_id: StorePath) -> list[dict[str, Any]]:
    get_store(store_dependencies().stores, store_id)
    return [images.describe(record) for record in image_store().list(store_id)]


@router.get(
    "/admin/stores/<store_id>/images/<image_id>",
    summary="One image: its size and the uses it meets",
    tags=["images"],
    responses=answers(200, "The image", missing="Unknown store or image"),
)
def get_image(store_id: StorePath, image_id: ImagePath) -> dict[str, Any]:
    get_store(store_dependencies().stores, store_id)
    return images.describe(images.get(image_store(), store_id, image_id))
