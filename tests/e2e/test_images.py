"""A marketer's images over HTTP on the local runtime: uploaded once (the bytes in the images bucket, under
the functions' IAM policies), answered with the uses each meets, and checked when a campaign that shows one
is saved: an IMAGE brand message with a fitting picture is created, one with a picture Kakao would refuse,
or one never uploaded, is refused naming the field (docs/images.md)."""

import base64
from typing import Any

import pytest

from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import call, hold_send_jobs
from tests.e2e.test_admin_and_campaigns import RECIPE_3, START
from tests.fakes.pictures import gif, jpeg, png

BASE = "/admin/stores/dogday-mall"


@pytest.fixture
def runtime() -> Any:
    with LocalRuntime(start=START) as rt:
        hold_send_jobs(rt)
        yield rt


def upload(runtime: LocalRuntime, name: str, data: bytes) -> tuple[int, Any]:
    return call(runtime, "POST", f"{BASE}/images", {"name": name, "data": base64.b64encode(data).decode()})


def campaign(image_id: str) -> dict[str, Any]:
    return {
        "name": "여름 신상 배너",
        "segment_id": "promo-repeat",
        "message": {
            "message_class": "advertising",
            "channel": "brand_message",
            "format": "IMAGE",
            "content": "여름 신상품이 입고되었어요!",
            "image": {"id": image_id, "link": "https://dogday.example/event/summer"},
            "buttons": [
                {"name": "보러 가기", "type": "WL", "link_mo": "https://dogday.example/event/summer"}
            ],
            "targeting": "I",
        },
        "send": {"mode": "reserved", "at": "2026-03-19T10:00:00+09:00"},
    }


def test_an_upload_answers_the_uses_it_meets_and_is_kept_in_the_bucket(runtime: LocalRuntime) -> None:
    banner = jpeg(800, 400, 60_000)
    status, image = upload(runtime, "summer.jpg", banner)
    assert status == 201, image
    assert {k: image[k] for k in ("name", "format", "width", "height", "size")} == {
        "name": "summer.jpg", "format": "jpeg", "width": 800, "height": 400, "size": 60_000,
    }  # fmt: skip
    assert "IMAGE" in image["uses"] and "MMS" in image["uses"]
    assert image["problems"] == {
        "NORMAL_WIDE_ITEMLIST_IMAGE": "WIDE_ITEM_LIST item images need a height/width ratio of exactly 1.0; "
        "this one is 0.5 (800×400)"
    }
    assert call(runtime, "GET", f"{BASE}/images/{image['image_id']}") == (200, image)
    assert call(runtime, "GET", f"{BASE}/images") == (200, [image])
    assert upload(runtime, "again.jpg", banner) == (201, image)  # the same bytes: the same image
    stored = runtime.client("s3").get_object(
        Bucket=runtime.template.buckets["ImagesBucket"].name, Key=f"images/dogday-mall/{image['image_id']}"
    )
    assert stored["Body"].read() == banner


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ("not base64!", "not base64"),
        (base64.b64encode(b"%PDF-1.7 hello").decode(), "not a JPEG, PNG or GIF"),
        (base64.b64encode(gif(800, 400)).decode(), "no message can use this image"),
        (base64.b64encode(png(300, 150)).decode(), "at least 500 pixels wide"),
    ],
    ids=["base64", "unreadable", "gif", "too_narrow"],
)
def test_a_bad_upload_is_refused_naming_data(runtime: LocalRuntime, data: str, why: str) -> None:
    status, body = call(runtime, "POST", f"{BASE}/images", {"name": "x.jpg", "data": data})
    assert status == 400 and body["fields"][0]["field"] == "data" and why in body["fields"][0]["message"]
    assert call(runtime, "GET", f"{BASE}/images") == (200, [])


def test_a_campaign_shows_only_an_uploaded_image_that_fits_its_use(runtime: LocalRuntime) -> None:
    segment = {"segment_id": "promo-repeat", "name": "기획전 반복 조회", "definition": RECIPE_3}
    assert call(runtime, "POST", f"{BASE}/segments", segment)[0] == 201
    good = upload(runtime, "banner.png", png(800, 600))[1]["image_id"]
    tall = upload(runtime, "tall.jpg", jpeg(500, 1000, 50_000))[1]["image_id"]  # kept: an MMS could show it
    status, created = call(runtime, "POST", f"{BASE}/campaigns", campaign(good))
    assert status == 201, created
    assert created["message"]["image"]["id"] == good
    status, refused = call(runtime, "POST", f"{BASE}/campaigns", campaign(tall))
    assert status == 400
    assert refused["fields"] == [
        {
            "field": "message.image",
            "message": "IMAGE and COMMERCE images need a height/width ratio between 0.5 and 1.333; "
            "this one is 2.0 (500×1000)",
        }
    ]
    unknown = "img_" + "0" * 32
    status, refused = call(runtime, "POST", f"{BASE}/campaigns", campaign(unknown))
    assert (status, refused["fields"]) == (
        400,
        [{"field": "message.image", "message": f"image {unknown} not uploaded to this store"}],
    )
