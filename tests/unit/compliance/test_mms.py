"""MMS: an SMS-channel message with a picture, and the MMS a Kakao message with an image falls back to when
the store allows it (StoreSettings.fallback_mms) and the image meets the MMS rule (kakao-rich-messages.md §3:
jpg, ≤200 KB, ≤1000×1000; NHN-SMS "MMS 발송": title 40 / body 2,000 bytes)."""

from typing import Any

from compliance import Content, Image, ImageFacts, Message, Outcome, build_fallback_sms, decide, render
from compliance.images import mms_image

from .helpers import STORE, kst, recipient, store

PICTURE = "img_" + "d" * 32
FITS = {PICTURE: ImageFacts("jpeg", 800, 400, 80_000)}
TOO_BIG = {PICTURE: ImageFacts("jpeg", 800, 400, 300_000)}


def mms(content: str = "여름 신상품이 입고되었어요", **changes: Any) -> Message:
    return Message(
        message_class="advertising",
        channel="sms",
        format="MMS",
        content=content,
        image=Image(id=PICTURE),
        **changes,
    )


def test_an_mms_renders_with_its_image_and_the_ad_label() -> None:
    content = render(mms(title="여름 신상"), STORE, {})
    assert isinstance(content, Content)
    assert (content.kind, content.image_id, content.title) == ("MMS", PICTURE, "여름 신상")
    assert content.text.startswith("(광고)멍멍몰\n") and content.text.endswith("무료수신거부 080-123-4567")


def test_an_mms_text_has_the_lms_limit() -> None:
    decision = decide(mms("가" * 1000), recipient(), STORE, kst(12))
    assert decision.outcome is Outcome.SUPPRESS  # 2,000 bytes of text plus the label: over the limit


def image_brand(facts: dict[str, ImageFacts] | None, **changes: Any) -> Message:
    message = Message(
        message_class="advertising",
        channel="brand_message",
        format="IMAGE",
        content="여름 신상품이 입고되었어요",
        image=Image(id=PICTURE, link="https://m.example.com/new"),
        fallback_sms=True,
        **changes,
    )
    return message.model_copy(update={"mms_image": mms_image(message, facts or {})})


def test_a_kakao_message_falls_back_as_mms_when_the_store_allows_and_the_image_fits() -> None:
    fallback = build_fallback_sms(image_brand(FITS), store(fallback_mms=True))
    assert (fallback.kind, fallback.image_id) == ("MMS", PICTURE)
    assert fallback.text.startswith("(광고)멍멍몰\n")
    decision = decide(image_brand(FITS), recipient(), store(fallback_mms=True), kst(12))
    assert decision.fallback is not None and decision.fallback.kind == "MMS"


def test_otherwise_the_fallback_is_an_sms_or_lms_without_image() -> None:
    for message, settings in (
        (image_brand(FITS), STORE),  # the store did not turn fallback MMS on
        (image_brand(TOO_BIG), store(fallback_mms=True)),  # over the carriers' 200 KB
        (image_brand(None), store(fallback_mms=True)),  # never checked at save
    ):
        fallback = build_fallback_sms(message, settings)
        assert fallback.kind in ("SMS", "LMS") and fallback.image_id is None
