"""Format limits, validated before anything is scheduled and enforced again on the rendered content.

Sources: NHN-SMS api-guide (SMS 90 / LMS 2,000 / title 40 bytes, EUC-KR); NHN alimtalk-overview and
alimtalk-api-guide v2.3; NHN friendtalkupgrade-api-guide and Solapi bmsConstraints/bmsCoupon (brand
messages); seed 000 and NHN friendtalk-overview (legacy FriendTalk); compliance-rules.md "Formats".
"""

from typing import Any

import pytest

from compliance import (
    Button,
    Card,
    Commerce,
    Coupon,
    Image,
    Item,
    Message,
    Outcome,
    Reason,
    Tail,
    decide,
    sms_bytes,
)
from compliance import validate_message as validate

from .helpers import SHIPPING_VARS, STORE, ad_sms, alimtalk, kst, recipient

NOON = kst(12)
HANGUL_45 = "가" * 45  # 90 bytes
LINK = Button(name="보기", type="WL", link_mo="https://m.example.com")


def info_sms(content: str, **changes: Any) -> Message:
    return Message(message_class="informational", channel="sms", content=content, **changes)


def codes(message: Message) -> list[tuple[str, Reason]]:
    return [(p.field, p.code) for p in validate(message, STORE)]


# --- SMS / LMS --------------------------------------------------------------------------------------------

BYTES = [("ascii", "abc", 3), ("hangul", "가나다", 6), ("mixed", "주문 A1", 7), ("rare_syllable", "똠", 2)]


@pytest.mark.parametrize(("case", "text", "size"), BYTES, ids=[b[0] for b in BYTES])
def test_sms_bytes_counted_in_euc_kr(case: str, text: str, size: int) -> None:
    assert sms_bytes(text) == size, case


SMS_CHOICE = [
    # (rule id, message, expected kind or None, expected reason when refused)
    ("sms_90_bytes_is_sms", info_sms(HANGUL_45), "SMS", None),
    ("sms_91_bytes_becomes_lms", info_sms(HANGUL_45 + "a"), "LMS", None),
    ("explicit_sms_over_90_bytes_is_refused", info_sms(HANGUL_45 + "a", format="SMS"), None, Reason.TOO_LONG),
    ("title_makes_lms", info_sms("짧은 안내", title="배송 안내"), "LMS", None),
    ("lms_2000_bytes", info_sms("가" * 1000), "LMS", None),
    ("lms_2001_bytes_is_refused", info_sms("가" * 1000 + "a"), None, Reason.TOO_LONG),
    ("lms_title_41_bytes_is_refused", info_sms("본문", title="가" * 20 + "a"), None, Reason.TOO_LONG),
    ("emoji_is_an_error_not_a_loss", info_sms("배송 완료 🚚"), None, Reason.UNSUPPORTED_CHARACTER),
    ("emoji_in_title", info_sms("본문", title="안내 😀"), None, Reason.UNSUPPORTED_CHARACTER),
]


@pytest.mark.parametrize(("rule", "message", "kind", "reason"), SMS_CHOICE, ids=[s[0] for s in SMS_CHOICE])
def test_sms_lms_limits(rule: str, message: Message, kind: str | None, reason: Reason | None) -> None:
    """SMS ≤ 90 bytes, LMS body ≤ 2,000 and title ≤ 40 bytes in EUC-KR; never truncated."""
    decision = decide(message, recipient(), STORE, NOON)
    if kind is None:
        assert any(code is reason for _, code in codes(message)), rule
        assert decision.outcome is Outcome.SUPPRESS and reason in decision.reasons
    else:
        assert codes(message) == [], rule
        assert decision.content is not None and decision.content.kind == kind
        assert decision.content.text == message.content  # nothing cut


def test_sms_label_counts_toward_the_limit() -> None:
    """The "(광고)" label and the 080 line are part of the 90 bytes: a short ad becomes an LMS."""
    decision = decide(ad_sms("가" * 30), recipient(), STORE, NOON)
    assert decision.content is not None and decision.content.kind == "LMS"
    assert decision.content.byte_length == sms_bytes(decision.content.text) > 90
    problems = validate(ad_sms("가" * 990), STORE)
    assert [(p.field, p.code) for p in problems] == [("content", Reason.TOO_LONG)]
    assert "with the ad label and opt-out line" in problems[0].message


def test_personalised_sms_over_the_limit_is_suppressed_not_cut() -> None:
    message = info_sms("#{name}님 주문하신 상품이 발송되었습니다.", format="SMS")
    long_name = recipient(variables={"name": "가" * 40})
    decision = decide(message, long_name, STORE, NOON)
    assert decision.outcome is Outcome.SUPPRESS and decision.reasons == (Reason.TOO_LONG,)
    missing = decide(message, recipient(), STORE, NOON)
    assert missing.reasons == (Reason.MISSING_VARIABLE,)


# --- AlimTalk ----------------------------------------------------------------------------------------------

ALIMTALK = [
    ("template_code_required", alimtalk(template_code=None), ("template_code", Reason.MISSING_FIELD)),
    ("max_1000_chars", alimtalk(content="가" * 1001), ("content", Reason.TOO_LONG)),
    (
        "max_700_chars_item_list",
        alimtalk(
            content="가" * 701,
            format="ITEM_LIST",
            title="주문",
            items=(Item(title="상품", description="a"), Item(title="수량", description="1")),
        ),
        ("content", Reason.TOO_LONG),
    ),
    (
        "channel_add_reserve_40",
        alimtalk(
            content="가" * 961, template_message_type="AD", buttons=(Button(name="채널 추가", type="AC"),)
        ),
        ("content", Reason.TOO_LONG),
    ),
    (
        "max_40_variables",
        alimtalk(content=" ".join(f"#{{v{i}}}" for i in range(41))),
        ("content", Reason.TOO_MANY),
    ),
    (
        "no_variable_in_button_name",
        alimtalk(buttons=(Button(name="#{고객명} 배송조회", type="DS"),)),
        ("buttons[0].name", Reason.VARIABLE_IN_BUTTON_NAME),
    ),
    ("max_5_buttons", alimtalk(buttons=(LINK,) * 6), ("buttons[5]", Reason.TOO_MANY)),
    ("button_name_max_14", alimtalk(buttons=(Button(name="가" * 15),)), ("buttons[0].name", Reason.TOO_LONG)),
    (
        "ad_mi_start_with_channel_add",
        alimtalk(template_message_type="MI", buttons=(LINK,)),
        ("buttons[0]", Reason.CHANNEL_ADD_BUTTON_FIRST),
    ),
    (
        "item_list_2_to_10_items",
        alimtalk(format="ITEM_LIST", items=(Item(title="상품"),)),
        ("items", Reason.TOO_FEW),
    ),
]


@pytest.mark.parametrize(("rule", "message", "problem"), ALIMTALK, ids=[a[0] for a in ALIMTALK])
def test_alimtalk_template_rules(rule: str, message: Message, problem: tuple[str, Reason]) -> None:
    """AlimTalk: approved templates; ≤ 1,000 chars (700 item list; AD/MI reserve 40); ≤ 40 `#{}` variables,
    never in button names; ≤ 5 buttons named ≤ 14; AD/MI start with the AC "채널 추가" button."""
    assert codes(message) == [problem], rule


def test_alimtalk_valid_template_passes_and_counts_after_variables() -> None:
    assert (
        codes(alimtalk(template_message_type="AD", buttons=(Button(name="채널 추가", type="AC"), LINK))) == []
    )
    decision = decide(
        alimtalk(content="#{고객명}님 " + "가" * 990), recipient(variables={"고객명": "가" * 20}), STORE, NOON
    )
    assert decision.outcome is Outcome.SUPPRESS and decision.reasons == (Reason.TOO_LONG,)
    decision = decide(alimtalk(), recipient(variables=SHIPPING_VARS), STORE, NOON)
    assert decision.outcome is Outcome.SEND


# --- Brand messages --------------------------------------------------------------------------------------


def bm(format: str = "TEXT", content: str = "신상품 입고 안내", **changes: Any) -> Message:
    return Message(
        message_class="advertising", channel="brand_message", format=format, content=content, **changes
    )


IMG = Image(id="img_" + "a" * 32)
PIC = "img_" + "b" * 32  # a wide item's image: an id, its link is the item's
CARD = Card(header="카드", text="설명", buttons=(LINK,), image=IMG)
PRODUCT = Commerce(title="강아지 사료 2kg", regular_price=30000, discount_price=24000, discount_rate=20)
COMMERCE_CARD = Card(buttons=(LINK,), commerce=PRODUCT, image=IMG)
INTRO = Card(header="여름 특가", text="오늘만", image=IMG)
COUPON = Coupon(title="10% 할인 쿠폰", description="오늘까지", link_mo="https://m.example.com/coupon")
KAKAO_TV = "https://tv.kakao.com/v/123"
ITEM = Item(title="a", image=PIC, link_mo="https://m.example.com/1")
WIDE_ITEMS = (ITEM,) * 3


def wil(items: tuple[Item, ...] = WIDE_ITEMS, content: str = "", **changes: Any) -> Message:
    """A valid WIDE_ITEM_LIST (header, 3 items with an image and a link each) with `changes`."""
    return bm("WIDE_ITEM_LIST", content, **{"title": "이번 주 신상", "items": items, **changes})


BRAND = [
    ("text_max_1300_chars", bm(content="가" * 1300), ("content", Reason.TOO_LONG)),
    ("text_max_99_line_breaks", bm(content="가\n" * 100), ("content", Reason.TOO_LONG)),
    ("text_max_5_buttons", bm(buttons=(LINK,) * 6), ("buttons[5]", Reason.TOO_MANY)),
    (
        "text_max_4_buttons_with_coupon",
        bm(buttons=(LINK,) * 5, coupon=COUPON),
        ("buttons[4]", Reason.TOO_MANY),
    ),
    ("text_button_name_max_14", bm(buttons=(Button(name="가" * 15),)), ("buttons[0].name", Reason.TOO_LONG)),
    ("text_has_no_image", bm(image=IMG), ("image", Reason.INVALID_MESSAGE)),
    ("image_needs_image", bm("IMAGE"), ("image", Reason.MISSING_FIELD)),
    ("wide_max_76_chars", bm("WIDE", "가" * 77, image=IMG), ("content", Reason.TOO_LONG)),
    ("wide_max_5_line_breaks", bm("WIDE", "가\n" * 6, image=IMG), ("content", Reason.TOO_LONG)),
    (
        "wide_max_2_buttons",
        bm("WIDE", image=IMG, buttons=(LINK,) * 3),
        ("buttons[2]", Reason.TOO_MANY),
    ),
    (
        "wide_button_name_max_8",
        bm("WIDE", image=IMG, buttons=(Button(name="가" * 9),)),
        ("buttons[0].name", Reason.TOO_LONG),
    ),
    ("wide_item_list_3_to_4_items", wil(WIDE_ITEMS[:2]), ("items", Reason.TOO_FEW)),
    (
        "wide_item_list_main_title_25",
        wil((ITEM.model_copy(update={"title": "가" * 26}), ITEM, ITEM)),
        ("items[0].title", Reason.TOO_LONG),
    ),
    (
        "wide_item_list_other_titles_30",
        wil((ITEM, ITEM.model_copy(update={"title": "가" * 31}), ITEM)),
        ("items[1].title", Reason.TOO_LONG),
    ),
    (
        "wide_item_list_other_titles_required",
        wil((ITEM, ITEM.model_copy(update={"title": ""}), ITEM)),
        ("items[1].title", Reason.MISSING_FIELD),
    ),
    (
        "wide_item_list_titles_one_line_break",
        wil((ITEM, ITEM, ITEM.model_copy(update={"title": "a\nb\nc"}))),
        ("items[2].title", Reason.TOO_LONG),
    ),
    (
        "wide_item_list_items_need_an_image",
        wil((ITEM, ITEM.model_copy(update={"image": None}), ITEM)),
        ("items[1].image", Reason.MISSING_FIELD),
    ),
    (
        "wide_item_list_items_need_link_mo",
        wil((ITEM, ITEM, ITEM.model_copy(update={"link_mo": None}))),
        ("items[2].link_mo", Reason.MISSING_FIELD),
    ),
    (
        "wide_item_list_items_have_no_description",
        wil((ITEM.model_copy(update={"description": "설명"}), ITEM, ITEM)),
        ("items[0].description", Reason.INVALID_MESSAGE),
    ),
    ("wide_item_list_header_required", wil(title=None), ("title", Reason.MISSING_FIELD)),
    ("wide_item_list_header_20", wil(title="가" * 21), ("title", Reason.TOO_LONG)),
    ("wide_item_list_header_one_line", wil(title="a\nb"), ("title", Reason.TOO_LONG)),
    ("wide_item_list_has_no_content", wil(content="본문"), ("content", Reason.INVALID_MESSAGE)),
    (
        "wide_item_list_button_name_8",
        wil(buttons=(Button(name="가" * 9),)),
        ("buttons[0].name", Reason.TOO_LONG),
    ),
    ("items_only_in_item_lists", bm(items=WIDE_ITEMS), ("items", Reason.INVALID_MESSAGE)),
    ("carousel_feed_2_to_6_cards", bm("CAROUSEL_FEED", "", cards=(CARD,) * 7), ("cards[6]", Reason.TOO_MANY)),
    (
        "carousel_feed_header_20",
        bm("CAROUSEL_FEED", "", cards=(CARD, CARD.model_copy(update={"header": "가" * 21}))),
        ("cards[1].header", Reason.TOO_LONG),
    ),
    (
        "carousel_feed_text_180",
        bm("CAROUSEL_FEED", "", cards=(CARD, CARD.model_copy(update={"text": "가" * 181}))),
        ("cards[1].text", Reason.TOO_LONG),
    ),
    (
        "carousel_feed_card_text_required",
        bm("CAROUSEL_FEED", "", cards=(CARD, CARD.model_copy(update={"text": ""}))),
        ("cards[1].text", Reason.MISSING_FIELD),
    ),
    (
        "carousel_feed_card_needs_image",
        bm("CAROUSEL_FEED", "", cards=(CARD, CARD.model_copy(update={"image": None}))),
        ("cards[1].image", Reason.MISSING_FIELD),
    ),
    (
        "carousel_feed_1_to_2_buttons",
        bm("CAROUSEL_FEED", "", cards=(CARD, CARD.model_copy(update={"buttons": ()}))),
        ("cards[1].buttons", Reason.TOO_FEW),
    ),
    (
        "carousel_feed_wl_al_only",
        bm(
            "CAROUSEL_FEED",
            "",
            cards=(CARD, CARD.model_copy(update={"buttons": (Button(name="a", type="BK"),)})),
        ),
        ("cards[1].buttons[0].type", Reason.INVALID_BUTTON),
    ),
    (
        "carousel_feed_card_coupon_description_12",
        bm(
            "CAROUSEL_FEED",
            "",
            cards=(
                CARD,
                CARD.model_copy(update={"coupon": COUPON.model_copy(update={"description": "가" * 13})}),
            ),
        ),
        ("cards[1].coupon.description", Reason.TOO_LONG),
    ),
    (
        "carousel_feed_has_no_content",
        bm("CAROUSEL_FEED", "본문", cards=(CARD,) * 2),
        ("content", Reason.INVALID_MESSAGE),
    ),
    (
        "carousel_feed_has_no_intro",
        bm("CAROUSEL_FEED", "", cards=(CARD,) * 2, intro=INTRO),
        ("intro", Reason.INVALID_MESSAGE),
    ),
    (
        "carousel_tail_needs_link_mo",
        bm("CAROUSEL_FEED", "", cards=(CARD,) * 2, tail=Tail(link_pc="https://example.com/more")),
        ("tail.link_mo", Reason.MISSING_FIELD),
    ),
    (
        "tail_only_on_carousels",
        bm(tail=Tail(link_mo="https://m.example.com/more")),
        ("tail", Reason.INVALID_MESSAGE),
    ),
    (
        "commerce_title_required",
        bm("COMMERCE", "", image=IMG, buttons=(LINK,), commerce=Commerce(regular_price=1000)),
        ("commerce.title", Reason.MISSING_FIELD),
    ),
    (
        "commerce_price_required",
        bm("COMMERCE", "", image=IMG, buttons=(LINK,), commerce=Commerce(title="사료")),
        ("commerce.regular_price", Reason.MISSING_FIELD),
    ),
    (
        "commerce_title_30",
        bm(
            "COMMERCE",
            "",
            image=IMG,
            buttons=(LINK,),
            commerce=PRODUCT.model_copy(update={"title": "가" * 31}),
        ),
        ("commerce.title", Reason.TOO_LONG),
    ),
    (
        "commerce_needs_a_block",
        bm("COMMERCE", "", image=IMG, buttons=(LINK,)),
        ("commerce", Reason.MISSING_FIELD),
    ),
    (
        "commerce_discount_needs_rate_or_fixed",
        bm(
            "COMMERCE",
            "",
            image=IMG,
            buttons=(LINK,),
            commerce=PRODUCT.model_copy(update={"discount_rate": None}),
        ),
        ("commerce.discount_rate", Reason.INVALID_MESSAGE),
    ),
    (
        "commerce_discount_not_both",
        bm(
            "COMMERCE",
            "",
            image=IMG,
            buttons=(LINK,),
            commerce=PRODUCT.model_copy(update={"discount_fixed": 6000}),
        ),
        ("commerce.discount_rate", Reason.INVALID_MESSAGE),
    ),
    (
        "commerce_rate_needs_discount_price",
        bm(
            "COMMERCE",
            "",
            image=IMG,
            buttons=(LINK,),
            commerce=PRODUCT.model_copy(update={"discount_price": None}),
        ),
        ("commerce.discount_price", Reason.MISSING_FIELD),
    ),
    (
        "commerce_additional_info_34",
        bm(
            "COMMERCE",
            "",
            image=IMG,
            buttons=(LINK,),
            commerce=PRODUCT.model_copy(update={"additional_info": "가" * 35}),
        ),
        ("commerce.additional_info", Reason.TOO_LONG),
    ),
    (
        "commerce_additional_info_one_line_break",
        bm(
            "COMMERCE",
            "",
            image=IMG,
            buttons=(LINK,),
            commerce=PRODUCT.model_copy(update={"additional_info": "a\nb\nc"}),
        ),
        ("commerce.additional_info", Reason.TOO_LONG),
    ),
    (
        "commerce_needs_image",
        bm("COMMERCE", "", buttons=(LINK,), commerce=PRODUCT),
        ("image", Reason.MISSING_FIELD),
    ),
    (
        "commerce_has_no_content",
        bm("COMMERCE", "본문", image=IMG, buttons=(LINK,), commerce=PRODUCT),
        ("content", Reason.INVALID_MESSAGE),
    ),
    ("commerce_1_to_2_buttons", bm("COMMERCE", "", image=IMG, commerce=PRODUCT), ("buttons", Reason.TOO_FEW)),
    ("commerce_only_in_commerce", bm(commerce=PRODUCT), ("commerce", Reason.INVALID_MESSAGE)),
    (
        "carousel_commerce_2_to_6_cards",
        bm("CAROUSEL_COMMERCE", "", cards=(COMMERCE_CARD,)),
        ("cards", Reason.TOO_FEW),
    ),
    (
        "carousel_commerce_1_to_5_with_intro",
        bm("CAROUSEL_COMMERCE", "", intro=INTRO, cards=(COMMERCE_CARD,) * 6),
        ("cards[5]", Reason.TOO_MANY),
    ),
    (
        "carousel_commerce_cards_have_no_text",
        bm("CAROUSEL_COMMERCE", "", cards=(COMMERCE_CARD, COMMERCE_CARD.model_copy(update={"text": "설명"}))),
        ("cards[1].text", Reason.INVALID_MESSAGE),
    ),
    (
        "carousel_commerce_card_needs_commerce",
        bm(
            "CAROUSEL_COMMERCE",
            "",
            cards=(COMMERCE_CARD, COMMERCE_CARD.model_copy(update={"commerce": None})),
        ),
        ("cards[1].commerce", Reason.MISSING_FIELD),
    ),
    (
        "carousel_commerce_intro_text_50",
        bm(
            "CAROUSEL_COMMERCE",
            "",
            intro=INTRO.model_copy(update={"text": "가" * 51}),
            cards=(COMMERCE_CARD,),
        ),
        ("intro.text", Reason.TOO_LONG),
    ),
    (
        "carousel_commerce_intro_header_20",
        bm(
            "CAROUSEL_COMMERCE",
            "",
            intro=INTRO.model_copy(update={"header": "가" * 21}),
            cards=(COMMERCE_CARD,),
        ),
        ("intro.header", Reason.TOO_LONG),
    ),
    (
        "carousel_commerce_intro_needs_image",
        bm("CAROUSEL_COMMERCE", "", intro=INTRO.model_copy(update={"image": None}), cards=(COMMERCE_CARD,)),
        ("intro.image", Reason.MISSING_FIELD),
    ),
    (
        "carousel_commerce_intro_has_no_buttons",
        bm(
            "CAROUSEL_COMMERCE",
            "",
            intro=INTRO.model_copy(update={"buttons": (LINK,)}),
            cards=(COMMERCE_CARD,),
        ),
        ("intro.buttons", Reason.INVALID_MESSAGE),
    ),
    (
        "premium_video_header_20",
        bm("PREMIUM_VIDEO", title="가" * 21, video_url=KAKAO_TV),
        ("title", Reason.TOO_LONG),
    ),
    (
        "premium_video_text_76",
        bm("PREMIUM_VIDEO", "가" * 77, video_url=KAKAO_TV),
        ("content", Reason.TOO_LONG),
    ),
    (
        "premium_video_max_1_button",
        bm("PREMIUM_VIDEO", video_url=KAKAO_TV, buttons=(LINK,) * 2),
        ("buttons[1]", Reason.TOO_MANY),
    ),
    (
        "premium_video_kakao_tv_only",
        bm("PREMIUM_VIDEO", video_url="https://youtube.com/x"),
        ("video_url", Reason.MISSING_FIELD),
    ),
    ("thumbnail_only_for_video", bm(video_thumbnail=PIC), ("video_thumbnail", Reason.INVALID_MESSAGE)),
    (
        "coupon_title_fixed_forms",
        bm(coupon=COUPON.model_copy(update={"title": "여름맞이 특별 쿠폰"})),
        ("coupon.title", Reason.INVALID_COUPON),
    ),
    (
        "coupon_description_12",
        bm(coupon=COUPON.model_copy(update={"description": "가" * 13})),
        ("coupon.description", Reason.TOO_LONG),
    ),
    (
        "coupon_description_no_line_break",
        bm(coupon=COUPON.model_copy(update={"description": "a\nb"})),
        ("coupon.description", Reason.TOO_LONG),
    ),
    (
        "coupon_needs_link_mo",
        bm(coupon=COUPON.model_copy(update={"link_mo": None})),
        ("coupon.link_mo", Reason.MISSING_FIELD),
    ),
    (
        "ac_button_for_m_n_only",
        bm(buttons=(Button(name="채널 추가", type="AC"),)),
        ("buttons[0].type", Reason.INVALID_BUTTON),
    ),
    (
        "bf_button_first",
        bm(buttons=(LINK, Button(name="톡", type="BF"))),
        ("buttons[1].type", Reason.INVALID_BUTTON),
    ),
    (
        "fallback_needs_text_without_content",
        wil(fallback_sms=True),
        ("fallback_text", Reason.MISSING_FIELD),
    ),
]


@pytest.mark.parametrize(("rule", "message", "problem"), BRAND, ids=[b[0] for b in BRAND])
def test_brand_message_limits(rule: str, message: Message, problem: tuple[str, Reason]) -> None:
    """Brand message limits per chat bubble type (compliance-rules.md "Formats")."""
    assert codes(message) == [problem], rule


VALID_BRAND = [
    ("text", bm(content="가" * 1290, buttons=(LINK,) * 5)),
    ("text_with_coupon", bm(buttons=(LINK,) * 4, coupon=COUPON)),
    ("image", bm("IMAGE", image=IMG.model_copy(update={"link": "https://m.example.com/sale"}))),
    ("wide", bm("WIDE", "가" * 70, image=IMG, buttons=(Button(name="가" * 8),) * 2)),
    (
        "wide_item_list",
        wil(
            (ITEM.model_copy(update={"title": "가" * 24 + "\n"}),)
            + (ITEM.model_copy(update={"title": "가" * 30}),) * 3,
            title="가" * 15,  # 20 with the ad label "(광고) " that leads it (message.labelled)
            coupon=COUPON.model_copy(update={"description": "가" * 18}),
        ),
    ),
    ("wide_item_list_main_title_optional", wil((ITEM.model_copy(update={"title": ""}), ITEM, ITEM))),
    (
        "carousel_feed",
        bm("CAROUSEL_FEED", "", cards=(CARD,) * 6, tail=Tail(link_mo="https://m.example.com/more")),
    ),
    ("commerce", bm("COMMERCE", "", image=IMG, buttons=(LINK,), commerce=PRODUCT)),
    (
        "commerce_fixed_discount",
        bm(
            "COMMERCE",
            "",
            image=IMG,
            buttons=(LINK,),
            commerce=PRODUCT.model_copy(update={"discount_rate": None, "discount_fixed": 6000}),
        ),
    ),
    (
        "commerce_regular_price_only",
        bm("COMMERCE", "", image=IMG, buttons=(LINK,), commerce=Commerce(title="사료", regular_price=1)),
    ),
    ("carousel_commerce_with_intro", bm("CAROUSEL_COMMERCE", "", intro=INTRO, cards=(COMMERCE_CARD,) * 5)),
    (
        "premium_video",
        bm("PREMIUM_VIDEO", title="가" * 20, video_url=KAKAO_TV, buttons=(LINK,), video_thumbnail=PIC),
    ),
    ("premium_video_without_text", bm("PREMIUM_VIDEO", "", video_url=KAKAO_TV)),
    ("coupon_forms", bm(coupon=COUPON.model_copy(update={"title": "배송비 할인 쿠폰"}))),
    ("coupon_free", bm(coupon=COUPON.model_copy(update={"title": "아메리카노 무료 쿠폰"}))),
    ("coupon_won", bm(coupon=COUPON.model_copy(update={"title": "5000원 할인 쿠폰"}))),
    ("coupon_up", bm(coupon=COUPON.model_copy(update={"title": "포인트 UP 쿠폰"}))),
    (
        "channel_coupon",
        bm(coupon=COUPON.model_copy(update={"link_mo": None, "scheme_android": "alimtalk=coupon://abc123"})),
    ),
    ("ac_button_with_m", bm(targeting="M", buttons=(Button(name="채널 추가", type="AC"),))),
    ("fallback_with_text", wil(fallback_sms=True, fallback_text="이번 주 신상 보기 https://m.example.com")),
]


@pytest.mark.parametrize(("case", "message"), VALID_BRAND, ids=[v[0] for v in VALID_BRAND])
def test_brand_message_limits_allow_the_maximum(case: str, message: Message) -> None:
    assert codes(message) == [], case


def test_brand_message_label_counts_toward_the_limit() -> None:
    """Where Nudge writes "(광고) " itself, the 1,300 characters include its 5."""
    assert codes(bm(content="가" * 1295)) == []
    assert codes(bm(content="가" * 1296)) == [("content", Reason.TOO_LONG)]


# --- Legacy FriendTalk -----------------------------------------------------------------------------------


def ft(format: str = "TEXT", content: str = "신상품 입고", **changes: Any) -> Message:
    return Message(
        message_class="advertising", channel="friendtalk", format=format, content=content, **changes
    )


FRIENDTALK = [
    ("text_1000_chars", ft(content="가" * 1001), ("content", Reason.TOO_LONG)),
    ("text_5_buttons", ft(buttons=(LINK,) * 6), ("buttons[5]", Reason.TOO_MANY)),
    ("image_400_chars", ft("IMAGE", "가" * 401, image=IMG), ("content", Reason.TOO_LONG)),
    ("image_needs_image", ft("IMAGE"), ("image", Reason.MISSING_FIELD)),
    ("wide_76_chars", ft("WIDE", "가" * 77, image=IMG), ("content", Reason.TOO_LONG)),
    ("wide_2_buttons", ft("WIDE", image=IMG, buttons=(LINK,) * 3), ("buttons[2]", Reason.TOO_MANY)),
    ("carousel_feed_10_items", ft("CAROUSEL_FEED", "", cards=(CARD,) * 11), ("cards[10]", Reason.TOO_MANY)),
    ("premium_video_76", ft("PREMIUM_VIDEO", "가" * 77, video_url=KAKAO_TV), ("content", Reason.TOO_LONG)),
]


@pytest.mark.parametrize(("rule", "message", "problem"), FRIENDTALK, ids=[f[0] for f in FRIENDTALK])
def test_friendtalk_limits(rule: str, message: Message, problem: tuple[str, Reason]) -> None:
    """Legacy FriendTalk (seed 000; NHN friendtalk-overview): text 1,000 + 5 buttons, image 400, wide 76."""
    assert codes(message) == [problem], rule
