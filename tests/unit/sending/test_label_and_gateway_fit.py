"""A brand-message ad whose layout has no text of its own still reads "(광고)" first, and a layout the
store's gateway would refuse is refused at save, naming the field."""

from typing import Any

from compliance.message import Message, labelled, validate_message
from nudge.sending.gateway import gateway_problems
from tests.unit.compliance.helpers import STORE

IMAGE = "img_" + "a" * 32
LINK = "https://dogday.example/event"


def _wide_items(count: int, header: str = "이번 주 베스트") -> dict[str, Any]:
    return {
        "message_class": "advertising",
        "channel": "brand_message",
        "format": "WIDE_ITEM_LIST",
        "title": header,
        "items": [{"title": f"상품 {i}", "image": IMAGE, "link_mo": LINK} for i in range(count)],
        "targeting": "I",
    }


def _feed() -> dict[str, Any]:
    card = {"header": "간식", "text": "오늘만 특가", "image": {"id": IMAGE}, "buttons": [
        {"name": "보기", "type": "WL", "link_mo": LINK}]}  # fmt: skip
    return {
        "message_class": "advertising",
        "channel": "brand_message",
        "format": "CAROUSEL_FEED",
        "cards": [card, {**card, "header": "장난감"}],
        "targeting": "I",
    }


def test_a_wide_item_list_ad_reads_the_label_first_in_its_header() -> None:
    shown = labelled(Message.model_validate(_wide_items(4)))
    assert shown.title == "(광고) 이번 주 베스트"


def test_a_carousel_ad_reads_the_label_first_in_its_first_cards_header_only() -> None:
    shown = labelled(Message.model_validate(_feed()))
    assert [card.header for card in shown.cards] == ["(광고) 간식", "장난감"]


def test_the_label_counts_in_the_header_limit_at_save() -> None:
    fits = "가" * 15  # 15 + "(광고) " = 20, the WIDE_ITEM_LIST header limit
    assert [p.field for p in validate_message(_wide_items(4, fits), STORE)] == []
    problems = validate_message(_wide_items(4, fits + "가"), STORE)
    assert [p.field for p in problems] == ["title"]


def test_an_informational_or_content_message_is_shown_as_written() -> None:
    text = Message.model_validate(
        {"message_class": "advertising", "channel": "brand_message", "content": "봄 신상", "targeting": "I"}
    )
    assert labelled(text) is text


def test_a_wide_item_list_through_solapi_needs_four_items_and_through_nhn_three_do() -> None:
    three = _wide_items(3)
    assert gateway_problems(three, "nhn") == []
    [problem] = gateway_problems(three, "solapi")
    assert problem.field == "items" and "4 items" in problem.message
    assert gateway_problems(_wide_items(4), "solapi") == []
    assert gateway_problems({"not": "a message"}, "solapi") == []  # validate_message tells that one
