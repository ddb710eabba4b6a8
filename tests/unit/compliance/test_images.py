"""Images: facts read from a file's header, Kakao's and the carriers' rules per use, and a message's images
checked against the store's uploads (kakao-rich-messages.md §1.3, §3; NHN-BM "업로드 이미지 규격"; NHN-SMS
"첨부 파일 업로드"; Solapi storageService.ts)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance import (
    Card,
    Commerce,
    Image,
    ImageFacts,
    Item,
    Message,
    Reason,
    image_problem,
    image_uses,
    read_facts,
)
from compliance import validate_message as validate
from compliance.images import ImageUse, fitness, image_id, mms_image
from tests.fakes.pictures import gif, jpeg, png

from .helpers import STORE

LINK = "https://m.example.com/sale"


def facts(width: int, height: int, fmt: str = "jpeg", size: int = 50_000) -> ImageFacts:
    return ImageFacts(fmt, width, height, size)


def ids(n: int) -> str:
    return "img_" + f"{n:032x}"


# --- reading the header ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (jpeg(800, 400, 3_000), ImageFacts("jpeg", 800, 400, 3_000)),
        (jpeg(640, 480, 2_500, progressive=True), ImageFacts("jpeg", 640, 480, 2_500)),
        (png(600, 300), ImageFacts("png", 600, 300, len(png(600, 300)))),
        (gif(500, 500), ImageFacts("gif", 500, 500, len(gif(500, 500)))),
    ],
    ids=["jpeg_baseline", "jpeg_progressive", "png", "gif"],
)
def test_facts_are_read_from_the_header(data: bytes, expected: ImageFacts) -> None:
    assert read_facts(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        b"\xff\xd8",
        b"\xff\xd8\xff\xd9",
        jpeg(800, 400)[:24],
        png(10, 10)[:20],
        b"GIF89a\x01",
        b"%PDF-1.7",
    ],
    ids=["empty", "text", "soi_only", "no_frame", "truncated_jpeg", "truncated_png", "truncated_gif", "pdf"],
)
def test_anything_unreadable_has_no_facts(data: bytes) -> None:
    assert read_facts(data) is None


def test_a_zero_sized_picture_has_no_facts() -> None:
    assert read_facts(jpeg(0, 400)) is None and read_facts(png(0, 0)) is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([b"", b"\xff\xd8", b"\x89PNG\r\n\x1a\n", b"GIF89a"]))
def test_garbage_never_raises(tail: bytes, head: bytes) -> None:
    result = read_facts(head + tail)
    assert result is None or (result.width > 0 and result.height > 0 and result.size == len(head + tail))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 4000), st.integers(1, 4000), st.integers(0, 200))
def test_a_truncated_file_never_raises(width: int, height: int, cut: int) -> None:
    data = jpeg(width, height, 400)
    assert read_facts(data[:cut]) in (None, ImageFacts("jpeg", width, height, cut))


def test_the_same_bytes_are_the_same_image() -> None:
    assert image_id(png(600, 300)) == image_id(png(600, 300)) != image_id(png(600, 301))
    assert image_id(b"x").startswith("img_") and len(image_id(b"x")) == 36


# --- the rules per use ----------------------------------------------------------------------------------

RULES = [
    (ImageUse.IMAGE, facts(800, 400), None),
    (ImageUse.IMAGE, facts(800, 1066), None),
    (ImageUse.IMAGE, facts(600, 800), None),  # 3:4, the highest ratio
    (
        ImageUse.IMAGE,
        facts(800, 1200),
        "IMAGE and COMMERCE images need a height/width ratio between 0.5 and 1.333; "
        "this one is 1.5 (800×1200)",
    ),
    (
        ImageUse.IMAGE,
        facts(400, 300),
        "IMAGE and COMMERCE images must be at least 500 pixels wide; this one is 400×300",
    ),
    (
        ImageUse.IMAGE,
        facts(800, 400, "gif"),
        "IMAGE and COMMERCE images must be JPEG or PNG; this one is GIF",
    ),
    (
        ImageUse.IMAGE,
        facts(800, 400, size=5 * 1024 * 1024 + 1),
        "IMAGE and COMMERCE images allow at most 5 MB (5,242,880 bytes); this one is 5,242,881 bytes",
    ),
    (ImageUse.WIDE_IMAGE, facts(800, 600), None),
    (
        ImageUse.WIDE_IMAGE,
        facts(800, 801),
        "WIDE images need a height/width ratio between 0.5 and 1.0; this one is 1.001 (800×801)",
    ),
    (ImageUse.MAIN_WIDE_ITEMLIST_IMAGE, facts(800, 400), None),
    (
        ImageUse.MAIN_WIDE_ITEMLIST_IMAGE,
        facts(800, 401),
        "WIDE_ITEM_LIST first-item images need a height/width ratio of exactly 0.5; "
        "this one is 0.501 (800×401)",
    ),
    (ImageUse.NORMAL_WIDE_ITEMLIST_IMAGE, facts(500, 500), None),
    (
        ImageUse.NORMAL_WIDE_ITEMLIST_IMAGE,
        facts(800, 400),
        "WIDE_ITEM_LIST item images need a height/width ratio of exactly 1.0; this one is 0.5 (800×400)",
    ),
    (
        ImageUse.CAROUSEL_FEED_IMAGE,
        facts(400, 800),
        "CAROUSEL_FEED images must be at least 500 pixels wide; this one is 400×800",
    ),
    (
        ImageUse.CAROUSEL_FEED_IMAGE,
        facts(500, 1000),
        "CAROUSEL_FEED images need a height/width ratio between 0.5 and 1.333; this one is 2.0 (500×1000)",
    ),
    (ImageUse.CAROUSEL_COMMERCE_IMAGE, facts(800, 600, "png"), None),
    (ImageUse.MMS, facts(1000, 1000, size=200 * 1024), None),
    (ImageUse.MMS, facts(640, 480, "png"), "MMS images must be JPEG; this one is PNG"),
    (
        ImageUse.MMS,
        facts(640, 480, size=200 * 1024 + 1),
        "MMS images allow at most 200 KB (204,800 bytes); this one is 204,801 bytes",
    ),
    (ImageUse.MMS, facts(1001, 500), "MMS images allow at most 1000×1000 pixels; this one is 1001×500"),
]


@pytest.mark.parametrize(("use", "image", "problem"), RULES)
def test_each_use_has_its_rule(use: ImageUse, image: ImageFacts, problem: str | None) -> None:
    assert image_problem(image, use) == problem


def test_fitness_lists_the_uses_met_and_why_not_the_others() -> None:
    meets, problems = fitness(facts(800, 400))
    assert meets == [
        "IMAGE",
        "WIDE_IMAGE",
        "MAIN_WIDE_ITEMLIST_IMAGE",
        "CAROUSEL_FEED_IMAGE",
        "CAROUSEL_COMMERCE_IMAGE",
        "MMS",
    ]
    assert set(problems) == {"NORMAL_WIDE_ITEMLIST_IMAGE"}


# --- a message's images ---------------------------------------------------------------------------------


def bm(format: str, **changes: object) -> Message:
    return Message.model_validate(
        {"message_class": "advertising", "channel": "brand_message", "format": format, **changes}
    )


PRODUCT = Commerce(title="사료", regular_price=1000)
BUTTON = {"name": "보기", "link_mo": LINK}


def test_image_uses_name_each_field_and_its_use() -> None:
    wide_list = bm(
        "WIDE_ITEM_LIST",
        title="신상",
        items=[Item(title="a", image=ids(1), link_mo=LINK), Item(title="b", image=ids(2), link_mo=LINK)],
    )
    assert [(n.field, n.image_id, n.use) for n in image_uses(wide_list)] == [
        ("items[0].image", ids(1), ImageUse.MAIN_WIDE_ITEMLIST_IMAGE),
        ("items[1].image", ids(2), ImageUse.NORMAL_WIDE_ITEMLIST_IMAGE),
    ]
    carousel = bm(
        "CAROUSEL_COMMERCE",
        intro=Card(header="h", image=Image(id=ids(3), link=LINK)),
        cards=[Card(image=Image(id=ids(4)), commerce=PRODUCT, buttons=[BUTTON])],
    )
    assert [(n.field, n.use, n.link) for n in image_uses(carousel)] == [
        ("intro.image", ImageUse.CAROUSEL_COMMERCE_IMAGE, LINK),
        ("cards[0].image", ImageUse.CAROUSEL_COMMERCE_IMAGE, None),
    ]
    video = bm("PREMIUM_VIDEO", video_url="https://tv.kakao.com/v/1", video_thumbnail=ids(5))
    assert [(n.field, n.use) for n in image_uses(video)] == [("video_thumbnail", ImageUse.IMAGE)]
    wide = bm("WIDE", content="a", image=Image(id=ids(6)))
    assert [(n.field, n.use) for n in image_uses(wide)] == [("image", ImageUse.WIDE_IMAGE)]
    mms = Message(
        message_class="informational", channel="sms", format="MMS", content="a", image=Image(id=ids(7))
    )
    assert [(n.field, n.use) for n in image_uses(mms)] == [("image", ImageUse.MMS)]


def feed(*images: str) -> Message:
    cards = [Card(header="h", text="t", image=Image(id=i), buttons=[BUTTON]) for i in images]
    return bm("CAROUSEL_FEED", cards=cards)


def test_a_message_with_its_images_facts_names_each_wrong_or_unknown_image() -> None:
    message = feed(ids(1), ids(2), ids(3))
    images = {ids(1): facts(800, 600), ids(2): facts(400, 800)}
    problems = [(p.field, p.code, p.message) for p in validate(message, STORE, images=images)]
    assert problems == [
        (
            "cards[1].image",
            Reason.INVALID_IMAGE,
            "CAROUSEL_FEED images must be at least 500 pixels wide; this one is 400×800",
        ),
        ("cards[2].image", Reason.UNKNOWN_IMAGE, f"image {ids(3)} not uploaded to this store"),
    ]
    assert validate(message, STORE) == []  # without the facts, only the definition


def test_the_ratio_rule_names_the_field() -> None:
    message = feed(ids(1), ids(2))
    images = {ids(1): facts(800, 600), ids(2): facts(500, 1000)}
    assert [str(p) for p in validate(message, STORE, images=images)] == [
        "cards[1].image: CAROUSEL_FEED images need a height/width ratio between 0.5 and 1.333; "
        "this one is 2.0 (500×1000)"
    ]


def test_a_carousel_commerce_intro_has_its_cards_ratio() -> None:
    message = bm(
        "CAROUSEL_COMMERCE",
        intro=Card(header="h", image=Image(id=ids(1))),
        cards=[Card(image=Image(id=ids(2)), commerce=PRODUCT, buttons=[BUTTON])],
    )
    same = {ids(1): facts(800, 600), ids(2): facts(1000, 750)}
    assert validate(message, STORE, images=same) == []
    other = {ids(1): facts(800, 600), ids(2): facts(800, 400)}
    problems = validate(message, STORE, images=other)
    assert [(p.field, p.code) for p in problems] == [("intro.image", Reason.INVALID_IMAGE)]
    assert "0.75 (800×600), cards[0].image is 0.5 (800×400)" in problems[0].message


def test_an_mms_needs_a_jpeg_image_within_the_carriers_rule() -> None:
    def mms(**changes: object) -> Message:
        return Message.model_validate(
            {
                "message_class": "informational",
                "channel": "sms",
                "format": "MMS",
                "content": "배송 안내",
                **changes,
            }
        )

    assert [(p.field, p.code) for p in validate(mms())] == [("image", Reason.MISSING_FIELD)]
    message = mms(image={"id": ids(1)})
    assert validate(message, images={ids(1): facts(640, 480)}) == []
    assert [(p.field, p.code) for p in validate(message, images={ids(1): facts(640, 480, "png")})] == [
        ("image", Reason.INVALID_IMAGE)
    ]
    lms = Message(
        message_class="informational", channel="sms", format="LMS", content="a", image=Image(id=ids(1))
    )
    assert [(p.field, p.code) for p in validate(lms)] == [("image", Reason.INVALID_MESSAGE)]


def test_mms_image_is_the_image_only_when_it_meets_the_mms_rule() -> None:
    message = bm("IMAGE", content="a", image=Image(id=ids(1)))
    assert mms_image(message, {ids(1): facts(800, 400)}) == ids(1)
    assert mms_image(message, {ids(1): facts(800, 400, "png")}) is None
    assert mms_image(message, {}) is None
