"""Rich brand messages and MMS on the wire: each gateway's body per chatBubbleType (kakao-rich-messages.md
§1.1, §2.2), the uploads (§1.3, §1.5, §2.3), the emulators refusing what the real services refuse, and the
sender uploading each image once per gateway account and naming it for every recipient."""

import base64
import json
from typing import Any

import httpx
import pytest

from nudge.adapters.gateways.nhn import NhnGateway
from nudge.adapters.gateways.solapi import SolapiGateway
from nudge.sending.gateway import (
    CardPart,
    CommercePart,
    CouponPart,
    Link,
    LinkSet,
    Outbound,
    Picture,
    Rejected,
    SmsPart,
    VideoPart,
    WideItem,
)
from nudge.sending.service import process
from nudge_local.gateway.emulator import GatewayEmulator, NhnAccount, SolapiAccount
from tests.fakes.pictures import gif, jpeg, png
from tests.unit.sending.world import NOON, World

BUY = Link("구매", "WL", "https://dogday.example/p/1")
SHOP = LinkSet("https://dogday.example/shop")


def _brand(bubble: str, **parts: Any) -> Outbound:
    return Outbound("s1", "01012345678", "BRAND_MESSAGE", parts.pop("text", "(광고) 봄 신상"), True,
                    "02-1234-5678", bubble=bubble, targeting="I", **parts)  # fmt: skip


def _nhn(client: httpx.Client | None = None) -> NhnGateway:
    return NhnGateway(
        "acct",
        client or httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))),
        kakao_url="https://kakao.example",
        sms_url="https://sms.example",
        kakao_appkey="KAPP",
        kakao_secret="KSECRET",
        sender_key="SENDERKEY",
        sms_appkey="SAPP",
        sms_secret="SSECRET",
    )


def _solapi(client: httpx.Client | None = None) -> SolapiGateway:
    return SolapiGateway("acct", client or httpx.Client(), base_url="https://api.solapi.example",
                         api_key="KEY", api_secret="SECRET", pf_id="PF")  # fmt: skip


def _bms(message: Outbound) -> dict[str, Any]:
    [item] = _solapi().body(message)["messages"]
    assert item["type"] == "BMS_FREE"
    bms: dict[str, Any] = item["kakaoOptions"]["bms"]
    return bms


# ---------------------------------------------------------------- the bodies, per chatBubbleType


def test_an_image_bubble_names_its_uploaded_image_and_where_a_tap_leads() -> None:
    message = _brand(
        "IMAGE", image=Picture("https://cdn.example/a.png", "https://t.example/r/x0"), buttons=(BUY,)
    )
    body = _nhn().request(message)[2]
    assert body["content"] == "(광고) 봄 신상"
    assert body["image"] == {"imageUrl": "https://cdn.example/a.png", "imageLink": "https://t.example/r/x0"}
    [item] = _solapi().body(message)["messages"]
    assert item["text"] == "(광고) 봄 신상"
    assert item["kakaoOptions"]["bms"]["imageId"] == "https://cdn.example/a.png"
    assert item["kakaoOptions"]["bms"]["imageLink"] == "https://t.example/r/x0"


def test_a_wide_bubble_has_no_image_link_on_solapi_which_refuses_one() -> None:
    message = _brand("WIDE", image=Picture("ST01W", "https://t.example/r/x0"))
    assert _nhn().request(message)[2]["image"] == {"imageUrl": "ST01W", "imageLink": "https://t.example/r/x0"}
    assert "imageLink" not in _bms(message) and _bms(message)["imageId"] == "ST01W"


def test_a_wide_item_list_is_nhns_item_list_and_solapis_main_and_sub_items() -> None:
    items = (
        WideItem("메인", Picture("M"), LinkSet("https://dogday.example/1")),
        *(WideItem(f"서브{i}", Picture("N"), LinkSet("https://dogday.example/2")) for i in range(3)),
    )
    message = _brand(
        "WIDE_ITEM_LIST",
        header="이번 주 베스트",
        items=items,
        coupon=CouponPart("10% 할인 쿠폰", "봄맞이", SHOP),
    )
    body = _nhn().request(message)[2]
    assert "content" not in body and body["header"] == "이번 주 베스트"
    assert body["item"]["list"][0] == {"title": "메인", "imageUrl": "M", "linkMo": "https://dogday.example/1"}
    assert len(body["item"]["list"]) == 4
    assert body["coupon"] == {
        "title": "10% 할인 쿠폰",
        "description": "봄맞이",
        "linkMo": "https://dogday.example/shop",
    }
    bms = _bms(message)
    assert bms["mainWideItem"] == {"title": "메인", "imageId": "M", "linkMobile": "https://dogday.example/1"}
    assert [s["imageId"] for s in bms["subWideItemList"]] == ["N", "N", "N"]
    assert bms["coupon"]["linkMobile"] == "https://dogday.example/shop"


def test_a_carousel_feed_sends_its_cards_and_its_more_link() -> None:
    cards = tuple(
        CardPart(f"카드{i}", "설명", Picture(f"F{i}", "https://t.example/r/x1"), (BUY,)) for i in range(2)
    )
    message = _brand("CAROUSEL_FEED", text="", cards=cards, tail=SHOP)
    body = _nhn().request(message)[2]
    assert "content" not in body and "buttons" not in body
    assert body["carousel"]["list"][0] == {
        "header": "카드0", "message": "설명", "imageUrl": "F0", "imageLink": "https://t.example/r/x1",
        "buttons": [{"ordering": 1, "type": "WL", "name": "구매", "linkMo": "https://dogday.example/p/1"}],
    }  # fmt: skip
    assert body["carousel"]["tail"] == {"linkMo": "https://dogday.example/shop"}
    [item] = _solapi().body(message)["messages"]
    assert "text" not in item  # a carousel has no body text: Solapi takes only `carousel`
    card = item["kakaoOptions"]["bms"]["carousel"]["list"][1]
    assert card["content"] == "설명" and card["imageId"] == "F1"
    assert card["buttons"] == [{"linkType": "WL", "name": "구매", "linkMobile": "https://dogday.example/p/1"}]


def test_a_carousel_commerce_sends_its_head_its_products_and_their_prices() -> None:
    price = CommercePart("상품", 10000, 8000, 20, None, "무료배송")
    cards = tuple(CardPart(picture=Picture(f"C{i}"), buttons=(BUY,), commerce=price) for i in range(2))
    intro = CardPart("추천", "골라봤어요", Picture("H", "https://dogday.example/i"))
    message = _brand("CAROUSEL_COMMERCE", text="", cards=cards, intro=intro)
    carousel = _nhn().request(message)[2]["carousel"]
    assert carousel["head"] == {
        "header": "추천",
        "content": "골라봤어요",
        "imageUrl": "H",
        "linkMo": "https://dogday.example/i",
    }
    assert carousel["list"][0]["commerce"] == {
        "title": "상품",
        "regularPrice": 10000,
        "discountPrice": 8000,
        "discountRate": 20,
    }
    assert carousel["list"][0]["additionalContent"] == "무료배송"
    head = _bms(message)["carousel"]["head"]
    assert head == {
        "header": "추천",
        "content": "골라봤어요",
        "imageId": "H",
        "linkMobile": "https://dogday.example/i",
    }


def test_a_commerce_bubble_and_a_premium_video() -> None:
    commerce = _brand(
        "COMMERCE", text="", image=Picture("I"), buttons=(BUY,), commerce=CommercePart("상품", 10000)
    )
    body = _nhn().request(commerce)[2]
    assert body["image"] == {"imageUrl": "I"} and body["commerce"] == {"title": "상품", "regularPrice": 10000}
    assert "content" not in body
    video = _brand(
        "PREMIUM_VIDEO", header="신상 영상", video=VideoPart("https://tv.kakao.com/v/1", Picture("T"))
    )
    assert _nhn().request(video)[2]["video"] == {"videoUrl": "https://tv.kakao.com/v/1", "thumbnailUrl": "T"}
    assert _bms(video)["video"] == {"videoUrl": "https://tv.kakao.com/v/1", "imageId": "T"}


def test_an_mms_names_its_attachment_on_nhn_and_its_image_on_solapi() -> None:
    mms = Outbound("s9", "01012345678", "MMS", "(광고)도그데이몰\n봄 신상\n무료수신거부 080-123-4567", True,
                   "02-1234-5678", title="봄 신상", image=Picture("4711"))  # fmt: skip
    url, _, body = _nhn().request(mms)
    assert url == "https://sms.example/sms/v3.0/appKeys/SAPP/sender/ad-mms"
    assert body["attachFileIdList"] == [4711] and body["title"] == "봄 신상"
    [item] = _solapi().body(mms)["messages"]
    assert (item["type"], item["subject"], item["imageId"]) == ("MMS", "봄 신상", "4711")


def test_an_mms_fallback_is_nudges_to_send_on_both_gateways() -> None:
    part = SmsPart("MMS", "(광고)도그데이몰\n봄\n무료수신거부 080-123-4567", None, True, "02-1234-5678")
    message = _brand("IMAGE", image=Picture("I"), fallback=part)
    assert not _nhn().carries_fallback(message)
    assert "resendParameter" not in _nhn().request(message)[2]["recipientList"][0]
    alimtalk = Outbound("s1", "01012345678", "ALIMTALK", "…", False, "02-1234-5678", fallback=part)
    assert not _solapi().carries_fallback(alimtalk)
    assert _solapi().body(alimtalk)["messages"][0]["kakaoOptions"]["disableSms"] is True


# ---------------------------------------------------------------- the emulators


def _emulator() -> GatewayEmulator:
    return GatewayEmulator(
        lambda: NOON,  # Kakao's night block never applies
        nhn=[NhnAccount("KAPP", "KSECRET", "SAPP", "SSECRET", "SENDERKEY", {"0212345678"})],
        solapi=[SolapiAccount("KEY", "SECRET", "PF", {"0212345678"})],
    )


def _gateways(emulator: GatewayEmulator) -> tuple[NhnGateway, SolapiGateway]:
    client = httpx.Client(transport=emulator.transport())
    return _nhn(client), _solapi(client)


def test_an_uploaded_image_reaches_the_phone_and_the_outbox_shows_it() -> None:
    emulator = _emulator()
    nhn, solapi = _gateways(emulator)
    url = nhn.upload_image("IMAGE", "spring.png", png(800, 400))
    nhn.send(_brand("IMAGE", image=Picture(url, "https://dogday.example/e")))
    file_id = solapi.upload_image("IMAGE", "spring.png", png(800, 400))
    solapi.send(_brand("IMAGE", image=Picture(file_id)))
    first, second = emulator.outbox
    assert first["image"]["ref"] == url and first["image"]["link"] == "https://dogday.example/e"
    assert (first["image"]["type"], first["image"]["width"], first["image"]["height"]) == ("IMAGE", 800, 400)
    assert second["image"]["ref"] == file_id and second["image"]["type"] == "BMS"
    assert [u.wire_type for u in emulator.uploads] == ["IMAGE", "BMS"]


@pytest.mark.parametrize(
    ("provider", "message", "code"),
    [
        ("nhn", _brand("IMAGE"), "-3319"),  # image field require imageUrl
        ("solapi", _brand("IMAGE"), "1010"),  # 필수 입력 값 미입력
        ("nhn", _brand("IMAGE", image=Picture("https://mud-kage.kakao.com/dn/never.png")), "-8002"),
        ("solapi", _brand("IMAGE", image=Picture("ST01NEVER")), "1034"),  # imageId가 존재하지 않습니다
        ("nhn", _brand("CAROUSEL_FEED", text="", cards=(CardPart("a", "b", None, (BUY,)),) * 2), "-3319"),
        ("nhn", _brand("TEXT", coupon=CouponPart("반값 쿠폰", "설명", SHOP)), "-3315"),
        (
            "solapi",
            _brand("COMMERCE", text="", image=None, commerce=CommercePart("상품", 1), buttons=(BUY,)),
            "1010",
        ),
    ],
)
def test_a_bubble_missing_its_image_or_with_an_unknown_one_is_refused_with_the_real_code(
    provider: str, message: Outbound, code: str
) -> None:
    emulator = _emulator()
    nhn, solapi = _gateways(emulator)
    with pytest.raises(Rejected) as refused:
        (nhn if provider == "nhn" else solapi).send(message)
    assert refused.value.code == code
    assert emulator.outbox == []


def test_an_image_uploaded_for_another_place_is_refused_there() -> None:
    emulator = _emulator()
    nhn, solapi = _gateways(emulator)
    wide = nhn.upload_image("WIDE_IMAGE", "w.png", png(800, 600))
    cards = tuple(CardPart(f"카드{i}", "설명", Picture(wide), (BUY,)) for i in range(2))
    with pytest.raises(Rejected) as refused:
        nhn.send(_brand("CAROUSEL_FEED", text="", cards=cards))
    assert refused.value.code == "-8002"  # NHN: a carousel feed takes carousel-feed images
    wide_id = solapi.upload_image("WIDE_IMAGE", "w.png", png(800, 600))
    with pytest.raises(Rejected) as refused:
        solapi.send(_brand("IMAGE", image=Picture(wide_id)))
    assert refused.value.code == "1011"


@pytest.mark.parametrize(
    ("use", "data", "nhn_code"),
    [
        ("MAIN_WIDE_ITEMLIST_IMAGE", png(800, 800), "-8001"),  # 2:1 only
        ("NORMAL_WIDE_ITEMLIST_IMAGE", png(800, 400), "-8001"),  # 1:1 only
        ("IMAGE", png(400, 300), "-8001"),  # under 500 px wide
        ("WIDE_IMAGE", png(800, 1000), "-8001"),  # taller than wide
        ("IMAGE", gif(800, 400), "-4009"),  # jpg or png only
    ],
)
def test_an_image_of_the_wrong_shape_or_format_is_refused_at_upload(
    use: str, data: bytes, nhn_code: str
) -> None:
    emulator = _emulator()
    nhn, solapi = _gateways(emulator)
    with pytest.raises(Rejected) as refused:
        nhn.upload_image(use, "x.png", data)
    assert refused.value.code == nhn_code
    with pytest.raises(Rejected) as refused:
        solapi.upload_image(use, "x.png", data)
    assert refused.value.code == "ValidationError"
    assert emulator.uploads == []


def test_mms_pictures_are_jpgs_within_each_gateways_limits() -> None:
    emulator = _emulator()
    nhn, solapi = _gateways(emulator)
    for data, code in (
        (jpeg(800, 600, 310_000), "-2005"),
        (jpeg(1200, 800), "-2005"),
        (png(800, 600), "-2003"),
    ):
        with pytest.raises(Rejected) as refused:
            nhn.upload_image("MMS", "x.jpg", data)
        assert refused.value.code == code
    with pytest.raises(Rejected):
        solapi.upload_image("MMS", "x.jpg", jpeg(800, 600, 210_000))  # Solapi: at most 200 KB
    file_id = nhn.upload_image("MMS", "spring.jpg", jpeg(800, 600, 250_000))  # NHN: up to 300 KB
    text = "(광고)도그데이몰\n봄 신상\n무료수신거부 080-123-4567"
    nhn.send(
        Outbound("m1", "01012345678", "MMS", text, True, "02-1234-5678", title="봄", image=Picture(file_id))
    )
    [mms] = emulator.outbox
    assert (
        mms["kind"] == "MMS" and mms["images"][0]["ref"] == file_id and mms["images"][0]["bytes"] == 250_000
    )
    with pytest.raises(Rejected) as refused:
        nhn.send(Outbound("m2", "01012345678", "MMS", text, True, "02-1234-5678", image=Picture("999")))
    assert refused.value.code == "-2004"  # File is expired or does not exist.


def test_nhns_mms_upload_is_json_with_the_bytes_in_base64_and_a_create_user() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {"header": {"isSuccessful": True, "resultCode": 0, "resultMessage": "SUCCESS"},
                "body": {"data": {"fileId": 77, "fileName": "a.jpg"}}}  # fmt: skip
        return httpx.Response(200, json=body)

    gateway = _nhn(httpx.Client(transport=httpx.MockTransport(answer)))
    data = jpeg(800, 600)
    assert gateway.upload_image("MMS", "a.jpg", data) == "77"
    [request] = seen
    assert str(request.url) == "https://sms.example/sms/v3.0/appKeys/SAPP/attachfile/binaryUpload"
    sent = json.loads(request.content)
    assert base64.b64decode(sent["fileBody"]) == data and sent["fileName"] == "a.jpg" and sent["createUser"]


# ---------------------------------------------------------------- the sender


def _image_campaign(world: World, store_id: str, image: str) -> str:
    message = {
        "message_class": "advertising", "channel": "brand_message", "format": "IMAGE", "targeting": "I",
        "content": "#{name}님, 봄 신상이 나왔어요", "image": {"id": image, "link": "https://dogday.example/spring"},
    }  # fmt: skip
    return world.campaign("spring", message, store_id=store_id)


@pytest.mark.parametrize("store_id", ["dogday-mall", "maple-goods"])
def test_an_image_is_uploaded_once_per_gateway_account_and_shown_to_every_recipient(store_id: str) -> None:
    world = World()
    image = world.images.add(store_id, png(800, 400))
    source = _image_campaign(world, store_id, image)
    for customer in ("a", "b", "c"):
        world.customer(customer, store_id=store_id, phone=f"+82101234567{'abc'.index(customer)}")
        assert process(world.job(source, customer, store_id=store_id), world.deps()).state == "sent"
    assert len(world.emulator.uploads) == 1
    refs = {m["image"]["ref"] for m in world.emulator.outbox}
    assert refs == {world.emulator.uploads[0].ref} and len(world.emulator.outbox) == 3
    # The image's link is a tracking link, like a button's.
    assert all(m["image"]["link"].startswith("https://t.nudge.example/r/") for m in world.emulator.outbox)


def test_an_image_deleted_from_the_store_fails_the_send_and_sends_nothing() -> None:
    world = World()
    source = _image_campaign(world, "dogday-mall", "img_" + "0" * 32)
    world.customer("a")
    result = process(world.job(source, "a"), world.deps())
    assert (result.state, result.code) == ("failed", "image_gone")
    assert world.emulator.outbox == [] and world.emulator.uploads == []


def test_an_mms_fallback_is_sent_by_nudge_on_the_report_with_its_picture_uploaded_for_mms() -> None:
    from dataclasses import replace

    from nudge.adapters.gateway_accounts import REPORT_FORMATS
    from nudge.ingest.service import IngestDependencies
    from nudge.reports.delivery import ReportDependencies, receive_report
    from nudge.sending.service import send_fallback
    from nudge_local.runtime.stores import DOGDAY, MAPLE
    from tests.fakes import InMemoryStores, RecordingPublisher

    world = World()
    world.stores = InMemoryStores([DOGDAY.store.model_copy(update={"fallback_mms": True}), MAPLE.store])
    picture = world.images.add("dogday-mall", jpeg(800, 400, 80_000))  # an IMAGE bubble's and an MMS's
    message = {
        "message_class": "advertising", "channel": "brand_message", "format": "IMAGE", "targeting": "I",
        "content": "봄 신상이 나왔어요", "image": {"id": picture}, "mms_image": picture, "fallback_sms": True,
    }  # fmt: skip
    world.customer("c1")
    world.emulator.non_kakao.add("01012345678")
    result = process(world.job(world.campaign("spring", message), "c1"), world.deps())
    record = world.ledger.records[result.send_id]
    assert result.state == "sent" and record.fallback_by_nudge and world.emulator.outbox == []
    ingest = IngestDependencies(world.stores, world.secrets, world.profiles, RecordingPublisher())
    deps = replace(
        ReportDependencies(world.ledger, ingest, REPORT_FORMATS),
        fallback=lambda original: send_fallback(original, world.deps()),
    )
    for report in world.emulator.take_reports():
        receive_report(report.provider, report.headers, report.body, deps, world.now, query=report.query)
    [sent] = world.emulator.outbox
    assert sent["kind"] == "MMS" and sent["text"].startswith("(광고)도그데이몰")
    assert sorted(u.wire_type for u in world.emulator.uploads) == ["IMAGE", "MMS"]
    assert sent["images"][0]["ref"] == next(u.ref for u in world.emulator.uploads if u.use == "MMS")


def _held_by_another(world: World, store_id: str, image: str) -> tuple[str, str, str]:
    """Another sender (a container the same fan-out started) has claimed the upload of `image`."""
    from nudge.sending.service import images_account

    store = world.stores.get(store_id)
    assert store is not None
    key = (images_account(store), "IMAGE", image)
    assert world.gateway_images.claim(*key)
    return key


def test_a_sender_waits_for_the_upload_another_sender_is_making_and_uploads_nothing() -> None:
    from dataclasses import replace

    world = World()
    image = world.images.add("dogday-mall", png(800, 400))
    source = _image_campaign(world, "dogday-mall", image)
    world.customer("a")
    key = _held_by_another(world, "dogday-mall", image)
    waits: list[float] = []

    store = world.stores.get("dogday-mall")
    assert store is not None
    other = world.deps().gateway_for(store)
    kept: list[str] = []

    def sleep(seconds: float) -> None:  # meanwhile the other sender's upload lands, and its ref is kept
        waits.append(seconds)
        if not kept:
            ref = other.upload_image("IMAGE", f"{image}.png", png(800, 400))
            kept.append(world.gateway_images.remember(*key, ref))

    assert process(world.job(source, "a"), replace(world.deps(), sleep=sleep)).state == "sent"
    assert len(world.emulator.uploads) == 1 and waits == [0.5]  # the other's upload only
    assert [m["image"]["ref"] for m in world.emulator.outbox] == kept


def test_a_sender_uploads_itself_when_the_other_uploads_claim_never_delivers() -> None:
    world = World()
    image = world.images.add("dogday-mall", png(800, 400))
    source = _image_campaign(world, "dogday-mall", image)
    world.customer("a")
    _held_by_another(world, "dogday-mall", image)  # its holder died
    assert process(world.job(source, "a"), world.deps()).state == "sent"
    assert len(world.emulator.uploads) == 1 and world.sleeps == [0.5, 1.0, 2.0, 4.0]
