"""An upload checked before it is kept (nudge.images.service), and the saved message's `mms_image`."""

import base64
from datetime import UTC, datetime

import pytest

from compliance.images import image_id
from nudge.errors import InvalidPayload
from nudge.images.service import describe, facts_for, upload, with_mms_image
from tests.fakes.images import InMemoryImages
from tests.fakes.pictures import jpeg, png

NOW = datetime(2026, 3, 18, tzinfo=UTC)


def payload(data: bytes, name: str = "banner.jpg") -> dict[str, str]:
    return {"name": name, "data": base64.b64encode(data).decode()}


def test_an_upload_is_kept_once_and_described_with_its_uses() -> None:
    images = InMemoryImages()
    record = upload(images, "s1", payload(jpeg(800, 400, 5_000)), NOW)
    assert record.image_id == image_id(jpeg(800, 400, 5_000))
    again = upload(images, "s1", payload(jpeg(800, 400, 5_000), "other.jpg"), NOW)
    assert again == record and again.name == "banner.jpg"
    described = describe(record)
    assert described["uses"][0] == "IMAGE" and "NORMAL_WIDE_ITEMLIST_IMAGE" in described["problems"]
    assert images.get("s2", record.image_id) is None  # one store's images are not another's


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"name": "a.jpg", "data": "@@@"}, "not base64"),
        (payload(b"\x00" * 100), "not a JPEG, PNG or GIF"),
        (payload(jpeg(800, 400, 5 * 1024 * 1024 + 1)), "Nudge keeps images of at most 5,242,880 bytes"),
        (payload(png(200, 100)), "no message can use this image (PNG 200×100"),
    ],
    ids=["base64", "unreadable", "over_5_mb", "fits_nothing"],
)
def test_a_bad_upload_names_data(body: dict[str, str], why: str) -> None:
    images = InMemoryImages()
    with pytest.raises(InvalidPayload) as refused:
        upload(images, "s1", body, NOW)
    assert refused.value.fields[0].field == "data" and why in refused.value.fields[0].message
    assert images.list("s1") == []


def test_a_saved_message_carries_nudges_mms_image_never_the_clients() -> None:
    images = InMemoryImages()
    fits = upload(images, "s1", payload(jpeg(800, 400, 50_000)), NOW).image_id
    wide_png = upload(images, "s1", payload(png(800, 400), "b.png"), NOW).image_id
    message = {
        "message_class": "advertising",
        "channel": "brand_message",
        "format": "IMAGE",
        "content": "a",
        "image": {"id": fits},
        "fallback_sms": True,
    }
    facts = facts_for(images, "s1", [message])
    assert with_mms_image(message, facts)["mms_image"] == fits
    lying = {**message, "image": {"id": wide_png}, "mms_image": wide_png}
    assert "mms_image" not in with_mms_image(lying, facts_for(images, "s1", [lying]))
    assert facts_for(None, "s1", [message]) == {}  # no image store: every image unknown
