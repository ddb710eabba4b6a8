"""An upload checked before it is kept, and what the admin API answers about an image.

`POST /admin/stores/{store_id}/images` takes `{"name": "sale.jpg", "data": "<base64>"}`. Refused, naming
`data`: text that is not base64, more than formats.IMAGE_UPLOAD_MAX_BYTES (Kakao's 5 MB, the most any use
accepts), bytes that are not a JPEG, PNG or GIF header Nudge can read, and an image no use accepts (a GIF,
a 300-pixel-wide PNG). An image that fits some uses only is kept: the answer lists the uses it meets and,
for the others, why not (compliance.images). API Gateway and Lambda cap a request at 6 MB, and base64
makes 5 MB of image about 6.7 MB of JSON: docs/images.md says how large an image can in practice be sent.
"""

import base64
import binascii
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance import formats
from compliance.images import ImageFacts, fitness, mms_image, read_facts, referenced_images
from compliance.message import Message
from nudge.errors import FieldError, InvalidPayload, NotFound, field_errors
from nudge.images.model import ImageRecord, ImageStore

# A file name as the marketer knows it: no path, no control characters.
ImageName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^/\\\x00-\x1f\x7f]+$")]


class ImageUpload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ImageName
    data: Annotated[str, Field(min_length=1, description="the image file's bytes, base64-encoded")]


def upload(images: ImageStore, store_id: str, payload: Any, now: datetime) -> ImageRecord:
    """Keep the image the payload carries, or InvalidPayload naming the field."""
    try:
        request = ImageUpload.model_validate(payload)
    except ValidationError as exc:
        raise InvalidPayload("image is not valid", field_errors(exc)) from exc
    data = _decoded(request.data)
    limit = formats.IMAGE_UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise _bad(f"the image is {len(data):,} bytes; Nudge keeps images of at most {limit:,} bytes (5 MB)")
    facts = read_facts(data)
    if facts is None:
        raise _bad("not a JPEG, PNG or GIF image Nudge can read")
    meets, problems = fitness(facts)
    if not meets:
        raise _bad(f"no message can use this image ({facts.describe()}): " + "; ".join(problems.values()))
    return images.put(store_id, request.name, data, now)


def _decoded(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("not base64 (the file's bytes, base64-encoded, without a data: prefix)") from None


def _bad(message: str) -> InvalidPayload:
    return InvalidPayload("image is not valid", [FieldError("data", message)])


def get(images: ImageStore, store_id: str, image_id: str) -> ImageRecord:
    record = images.get(store_id, image_id)
    if record is None:
        raise NotFound(f"no image {image_id!r} in this store")
    return record


def describe(record: ImageRecord) -> dict[str, Any]:
    """The admin API's view of an image: its facts, the uses it meets and why not the others."""
    meets, problems = fitness(record.facts)
    return {
        "image_id": record.image_id,
        "name": record.name,
        "format": record.facts.format,
        "width": record.facts.width,
        "height": record.facts.height,
        "size": record.facts.size,
        "created_at": record.created_at.astimezone(UTC).isoformat(),
        "uses": meets,
        "problems": problems,
    }


# --- Messages that name images, when they are saved -----------------------------------------------------


def facts_for(
    images: ImageStore | None, store_id: str, definitions: Iterable[Mapping[str, Any]]
) -> dict[str, ImageFacts]:
    """The facts of every image these message definitions name that the store uploaded, for
    `validate_message(…, images=…)`: an id absent from the answer is `unknown_image`. Without an image store
    none is known, so a message naming an image is refused rather than saved unchecked."""
    ids: list[str] = []
    for definition in definitions:
        message = _parsed(definition)
        if message is not None:
            ids += referenced_images(message)
    if images is None or not ids:
        return {}
    return images.facts_of(store_id, dict.fromkeys(ids))


def with_mms_image(definition: Mapping[str, Any], facts: Mapping[str, ImageFacts]) -> dict[str, Any]:
    """The definition as saved: `mms_image` set by Nudge (the image's id when it meets the MMS rule, so a
    fallback may be an MMS), whatever the client sent for it."""
    message = _parsed(definition)
    return stamped(definition, mms_image(message, facts) if message is not None else None)


def stamped(definition: Mapping[str, Any], image: str | None) -> dict[str, Any]:
    """The definition with Nudge's `mms_image` (or without one), never the client's."""
    saved = {key: value for key, value in definition.items() if key != "mms_image"}
    return saved if image is None else {**saved, "mms_image": image}


def _parsed(definition: Mapping[str, Any]) -> Message | None:
    try:
        return Message.model_validate(definition)
    except ValidationError:
        return None  # validate_message names its problems
