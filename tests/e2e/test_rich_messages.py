"""Rich brand messages and MMS over HTTP in the local runtime: the store uploads its pictures to Nudge
(`POST /admin/stores/{id}/images`), a campaign names them, the sender uploads each to the store's gateway once
and every recipient's message shows it (`GET /_local/outbox`: what the phone got, image included)."""

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from nudge_local.demo import samples
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import KST, call
from tests.fakes.pictures import jpeg, png

START = datetime(2026, 3, 18, 10, 0, tzinfo=KST)
BASE = "/admin/stores/dogday-mall"
RECIPIENTS = 100


@pytest.fixture
def runtime() -> Any:
    with LocalRuntime(start=START) as rt:
        yield rt


def _members(runtime: LocalRuntime, count: int, *, friends: bool) -> None:
    for i in range(count):
        member = f"m{i:03d}"
        joined = samples.cafe24_member_joined(
            member, "김하나", f"010-3000-{i:04d}", START - timedelta(days=30), True, False
        )
        assert runtime.http(joined.method, joined.path, joined.headers, joined.body).status == 200
        if friends:
            friend = samples.nudge_request(
                {"event_id": f"friend-{member}", "type": "member.updated", "occurred_at": START.isoformat(),
                 "customer": {"id": member, "channel_friend": True}},
                START,
            )  # fmt: skip
            assert runtime.http(friend.method, friend.path, friend.headers, friend.body).status == 200


def _image(runtime: LocalRuntime, name: str, data: bytes) -> str:
    status, image = call(
        runtime, "POST", f"{BASE}/images", {"name": name, "data": base64.b64encode(data).decode()}
    )
    assert status == 201, image
    return str(image["image_id"])


def _campaign(runtime: LocalRuntime, name: str, message: dict[str, Any]) -> str:
    status, campaign = call(
        runtime,
        "POST",
        f"{BASE}/campaigns",
        {"name": name, "segment_id": "everyone", "message": message, "send": {"mode": "immediate"}},
    )
    assert status == 201, campaign
    return str(campaign["campaign_id"])


def _outbox(runtime: LocalRuntime) -> list[dict[str, Any]]:
    status, _, raw = runtime.http("GET", "/_local/outbox")
    assert status == 200
    messages: list[dict[str, Any]] = json.loads(raw)["messages"]
    return messages


def _uploads(runtime: LocalRuntime) -> list[dict[str, Any]]:
    uploads: list[dict[str, Any]] = json.loads(runtime.http("GET", "/_local/outbox").body)["uploads"]
    return uploads


def _everyone(runtime: LocalRuntime) -> None:
    segment = {"segment_id": "everyone", "name": "n", "definition": {"include": [{"field": "member.all"}]}}
    assert call(runtime, "POST", f"{BASE}/segments", segment)[0] == 201


def test_an_image_and_a_carousel_reach_every_recipient_with_their_images_each_uploaded_once(
    runtime: LocalRuntime,
) -> None:
    _members(runtime, RECIPIENTS, friends=True)
    _everyone(runtime)
    banner = _image(runtime, "spring.png", png(800, 400))
    card = _image(runtime, "card.png", png(800, 600))
    _campaign(runtime, "봄 신상", {
        "message_class": "advertising", "channel": "brand_message", "format": "IMAGE", "targeting": "I",
        "content": "#{name|고객}님, 봄 신상이 나왔어요", "image": {"id": banner, "link": "https://dogday.example/spring"},
        "buttons": [{"name": "보러 가기", "type": "WL", "link_mo": "https://dogday.example/spring"}],
    })  # fmt: skip
    runtime.run_until_idle()
    cards = [
        {"header": f"신상 {i}", "text": "이번 주 추천", "image": {"id": card},
         "buttons": [{"name": "보기", "type": "WL", "link_mo": f"https://dogday.example/p/{i}"}]}
        for i in range(3)
    ]  # fmt: skip
    carousel = _campaign(runtime, "봄 추천", {
        "message_class": "advertising", "channel": "brand_message", "format": "CAROUSEL_FEED",
        "targeting": "I", "cards": cards, "tail": {"link_mo": "https://dogday.example/spring"},
    })  # fmt: skip
    # The marketer's preview shows the cards as the phone will, the label in the first header.
    status, preview = call(runtime, "POST", f"{BASE}/campaigns/{carousel}/preview", {"customer_id": "m000"})
    assert status == 200 and preview["format"] == "CAROUSEL_FEED", preview
    assert [c["header"] for c in preview["parts"]["cards"]] == ["(광고) 신상 0", "신상 1", "신상 2"]
    assert {c["image"]["id"] for c in preview["parts"]["cards"]} == {card}
    runtime.run_until_idle()
    outbox = _outbox(runtime)
    images = [m for m in outbox if m.get("bubble") == "IMAGE"]
    carousels = [m for m in outbox if m.get("bubble") == "CAROUSEL_FEED"]
    assert len(images) == RECIPIENTS and len(carousels) == RECIPIENTS
    assert len({m["to"] for m in images}) == RECIPIENTS
    uploads = _uploads(runtime)
    assert sorted(u["type"] for u in uploads) == ["CAROUSEL_FEED_IMAGE", "IMAGE"]  # each once
    banner_ref = next(u["ref"] for u in uploads if u["type"] == "IMAGE")
    assert {m["image"]["ref"] for m in images} == {banner_ref}
    assert all((m["image"]["width"], m["image"]["height"]) == (800, 400) for m in images)
    card_ref = next(u["ref"] for u in uploads if u["type"] == "CAROUSEL_FEED_IMAGE")
    assert all([c["image"]["ref"] for c in m["cards"]] == [card_ref] * 3 for m in carousels)
    # A carousel has no text of its own: the ad label leads its first card's header.
    assert [c["header"] for c in carousels[0]["cards"]] == ["(광고) 신상 0", "신상 1", "신상 2"]


def test_an_mms_campaign_reaches_the_phone_with_its_picture(runtime: LocalRuntime) -> None:
    _members(runtime, 3, friends=False)
    _everyone(runtime)
    picture = _image(runtime, "spring.jpg", jpeg(800, 600, 60_000))
    _campaign(runtime, "봄 MMS", {
        "message_class": "advertising", "channel": "sms", "format": "MMS", "title": "봄 신상",
        "content": "#{name|고객}님, 봄 신상이 나왔어요", "image": {"id": picture},
    })  # fmt: skip
    runtime.run_until_idle()
    outbox = _outbox(runtime)
    assert len(outbox) == 3 and {m["kind"] for m in outbox} == {"MMS"}
    [upload] = _uploads(runtime)
    assert upload["type"] == "MMS" and upload["bytes"] == 60_000
    assert all([i["ref"] for i in m["images"]] == [upload["ref"]] for m in outbox)
    assert all(m["text"].startswith("(광고)도그데이몰") for m in outbox)
