"""Validation of a message definition before it is ever scheduled: every problem at once, each naming its
field. (compliance-rules.md "Formats": "validated before anything is scheduled".)"""

import pytest

from compliance import MessageInvalid, Problem, Reason, parse_message, validate_message

from .helpers import STORE, store


def test_every_problem_at_once_with_its_field() -> None:
    definition = {
        "message_class": "advertising",
        "channel": "brand_message",
        "format": "TEXT",
        "content": "[광고] 여름 세일 " + "가" * 1300,
        "buttons": [{"name": "보기", "link_mo": "https://m.example.com"}] * 5 + [{"name": "가" * 15}],
        "coupon": {"title": "여름 쿠폰", "description": "오늘까지", "link_mo": "https://m.example.com/c"},
        "targeting": "M",
    }
    problems = validate_message(definition, store(mn_targeting_approved=False))
    assert [str(p) for p in problems] == [
        "content: remove '[광고]': Nudge writes the '(광고)' label itself",
        "content: 1316 characters; brand message TEXT allows at most 1300",
        "buttons[4]: brand message TEXT allows at most 4 buttons with a coupon",
        "buttons[5].name: 15 characters; brand message TEXT button names allow at most 14",
        "coupon.title: coupon titles take one of five forms: 'N원 할인 쿠폰', 'N% 할인 쿠폰', "
        "'배송비 할인 쿠폰', 'OOO 무료 쿠폰', 'OOO UP 쿠폰'",
        "targeting: targeting M needs the channel's M/N approval (gateway code 1028)",
    ]


def test_six_buttons_on_a_text_brand_message() -> None:
    """The issue's own example."""
    definition = {
        "message_class": "advertising",
        "channel": "brand_message",
        "content": "신상품 입고",
        "buttons": [{"name": f"버튼{i}"} for i in range(6)],
    }
    assert [str(p) for p in validate_message(definition)] == [
        "buttons[5]: brand message TEXT allows at most 5 buttons"
    ]


def test_malformed_input_names_the_field() -> None:
    problems = validate_message(
        {
            "message_class": "ad",
            "channel": "sms",
            "buttons": [{"name": "a"}, {"type": "WL"}],
            "adult_only": "maybe",
            "image": {"id": "sale.jpg"},
        }
    )
    fields = {p.field: p.code for p in problems}
    assert fields == {
        "message_class": Reason.INVALID_MESSAGE,
        "image.id": Reason.INVALID_MESSAGE,
        "buttons[1].name": Reason.MISSING_FIELD,
        "adult_only": Reason.INVALID_MESSAGE,
    }


def test_validity_must_be_timezone_aware() -> None:
    problems = validate_message(
        {
            "message_class": "advertising",
            "channel": "sms",
            "content": "a",
            "valid_until": "2026-06-23T08:00:00",
        }
    )
    assert [p.field for p in problems] == ["valid_until"]


def test_parse_message_raises_with_every_problem() -> None:
    with pytest.raises(MessageInvalid) as caught:
        parse_message(
            {"message_class": "informational", "channel": "alimtalk", "content": "쿠폰 도착"}, STORE
        )
    assert {(p.field, p.code) for p in caught.value.problems} == {
        ("content", Reason.PROMOTIONAL_CONTENT_IN_INFORMATIONAL),
        ("template_code", Reason.MISSING_FIELD),
    }
    assert all(isinstance(p, Problem) for p in caught.value.problems)


def test_a_valid_definition_parses() -> None:
    message = parse_message(
        {
            "message_class": "advertising",
            "channel": "sms",
            "content": "간식 20% 할인",
            "promotion_group": "dogday",
        },
        STORE,
    )
    assert message.promotion_group == "dogday" and validate_message(message, STORE) == []


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        (
            {"message_class": "informational", "channel": "brand_message", "content": "배송 안내"},
            "message_class",
        ),
        ({"message_class": "advertising", "channel": "sms", "content": "a", "targeting": "M"}, "targeting"),
        (
            {"message_class": "advertising", "channel": "email", "content": "a", "fallback_sms": True},
            "fallback_sms",
        ),
        ({"message_class": "advertising", "channel": "sms", "content": "a", "format": "RCS"}, "format"),
        (
            {"message_class": "advertising", "channel": "brand_message", "content": "a", "format": "GIF"},
            "format",
        ),
    ],
    ids=[
        "brand_message_is_advertising",
        "targeting_is_brand_only",
        "fallback_is_kakao_only",
        "sms_format",
        "bubble_type",
    ],
)
def test_channel_coherence(definition: dict[str, object], field: str) -> None:
    assert [p.field for p in validate_message(definition)] == [field]
