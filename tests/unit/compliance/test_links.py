"""Links and variables a message carries, checked before anything is scheduled.

- A web link is `https://` (or `http://`, which Kakao documents for linkMo/linkPc and image links: NHN
  error codes -3006, -3310, -3326, -3327) with a host, and nothing that hides another scheme: no
  whitespace, control or invisible character anywhere, no backslash, no credentials before the host,
  schemes read without regard to case (`invalid_link`).
- An app link (an AL button's scheme_android / scheme_ios) may be the app's own scheme, never a forbidden one.
- Every link field of every format is checked, and a stored message with such a link is suppressed.
- A `#{variable}` stands only where the sender fills it, and (when the caller says which names its source
  can fill) is one of them or declares a fallback (`unfillable_variable`).
"""

from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance import (
    Button,
    Card,
    Coupon,
    Image,
    Item,
    Message,
    Outcome,
    Reason,
    Tail,
    app_link_problem,
    decide,
    validate_message,
    web_link_problem,
)
from compliance.links import FORBIDDEN_SCHEMES
from compliance.message import prepared

from .helpers import STORE, alimtalk, brand, kst, recipient

PAGE = "https://dogday.example/event/dogday"

WEB_LINKS = [
    PAGE,
    "http://dogday.example/event",
    "https://dogday.example:8443/event?utm_source=nudge#top",
    "https://도그데이.한국/이벤트",
    "https://dogday.example/orders/#{order_id}",
    "https://m.dogday.example",
]


@pytest.mark.parametrize("link", WEB_LINKS)
def test_web_links_are_accepted(link: str) -> None:
    assert web_link_problem(link) is None
    assert app_link_problem(link) is None  # an app button may open a web page too


REFUSED_WEB = [
    ("javascript:alert(1)", "javascript: links are not allowed"),
    ("JaVaScRiPt:alert(1)", "javascript: links are not allowed"),
    (" javascript:alert(1)", "SPACE (U+0020)"),
    ("java\tscript:alert(1)", "U+0009"),
    ("\u200bjavascript:alert(1)", "ZERO WIDTH SPACE"),
    ("\x00javascript:alert(1)", "U+0000"),
    ("javascript\n:alert(1)", "U+000A"),
    ("data:text/html,<script>alert(1)</script>", "data: links are not allowed"),
    ("vbscript:msgbox(1)", "vbscript: links are not allowed"),
    ("file:///etc/passwd", "file: links are not allowed"),
    ("ftp://dogday.example/x", "ftp: links are not allowed"),
    ("/event/dogday", "not a relative or schemeless link"),
    ("//evil.example/event", "not a relative or schemeless link"),
    ("dogday.example/event", "not a relative or schemeless link"),
    ("#{checkout_url}", "a variable cannot be the start of a link"),
    ("https:evil.example", "has no host"),
    ("https:///evil.example", "has no host"),
    ("https://#{host}/event", "has no host"),
    ("HTTPS://dogday.example", "lower case"),
    ("https://dogday.example@evil.example", "before '@'"),
    ("https://dogday.example\\@evil.example", "backslash"),
    ("https:/\\evil.example", "backslash"),
    ("https://dogday.example:port/x", "not a valid address"),
    ("https://[dogday.example/x", "not a valid address"),
    ("https://dogday.example/a b", "SPACE"),
    ("https://dogday.example/\u202eexe.gpj", "RIGHT-TO-LEFT OVERRIDE"),
    ("", "is empty"),
]


@pytest.mark.parametrize(("link", "said"), REFUSED_WEB, ids=[repr(r[0]) for r in REFUSED_WEB])
def test_anything_else_is_refused_as_a_web_link_saying_why(link: str, said: str) -> None:
    problem = web_link_problem(link)
    assert problem is not None and said in problem


@pytest.mark.parametrize("link", ["dogdayapp://event/1", "kakao1a2b://open?x=1", "market://details?id=x"])
def test_an_app_link_may_use_the_apps_own_scheme(link: str) -> None:
    assert app_link_problem(link) is None
    assert web_link_problem(link) is not None


@pytest.mark.parametrize(
    "link",
    ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "intent://scan#Intent;S.browser_fallback_url=javascript:x;end",
     "data:text/html,x", "file:///sdcard/x", "content://contacts/people", " dogdayapp://x", "dogdayapp://a b",
     "dogdayapp:", "event/1", "https://dogday.example\\@evil.example"],
)  # fmt: skip
def test_an_app_link_never_uses_a_forbidden_scheme_or_hides_one(link: str) -> None:
    assert app_link_problem(link) is not None


# --- properties: however a dangerous scheme is dressed, it is refused ---------------------------------

HIDING = st.sampled_from(
    [" ", "\t", "\n", "\r", "\x00", "\x0b", "\x0c", "\x1f", "\x7f", "\u00a0", "\u200b", "\u200e", "\u2028",
     "\u202e", "\u3000", "\ufeff"]
)  # fmt: skip


@st.composite
def disguised(draw: st.DrawFn) -> str:
    """A forbidden scheme (or a schemeless web address) with its letters in any case and characters a
    browser would drop or skip inserted anywhere."""
    scheme = draw(st.sampled_from(sorted(FORBIDDEN_SCHEMES)))
    text = "".join(c.upper() if draw(st.booleans()) else c for c in f"{scheme}:alert(1)")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(HIDING) + text[at:]
    return text


@settings(max_examples=400, deadline=None)
@given(disguised())
def test_a_forbidden_scheme_is_refused_however_it_is_written(link: str) -> None:
    assert web_link_problem(link) is not None
    assert app_link_problem(link) is not None


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40), HIDING, st.sampled_from(["", "https:", "//"])
)
def test_a_hidden_character_anywhere_refuses_the_link(tail: str, hidden: str, head: str) -> None:
    link = f"{head}{PAGE[len(head) :] if head else PAGE}{tail}"
    at = len(link) // 2
    assert web_link_problem(link[:at] + hidden + link[at:]) is not None


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(lambda s, rest: f"{s}{rest}", st.sampled_from(["https://", "http://", "HTTPS://", "//"]),
                  st.text(max_size=40)),
    )
)  # fmt: skip
def test_an_accepted_web_link_is_exactly_what_a_browser_opens_as_one(link: str) -> None:
    """What the rule accepts, a browser reads the same way (the WHATWG URL parser strips leading and
    trailing C0 controls and spaces and drops tabs and newlines anywhere first): an http(s) scheme, a host,
    nothing to strip."""
    if web_link_problem(link) is not None:
        return
    assert link.startswith(("https://", "http://"))
    assert link == link.strip("".join(map(chr, range(0x21)))) and not any(c in link for c in "\t\n\r")
    assert urlsplit(link).scheme in ("https", "http") and urlsplit(link).hostname


# --- every link field of a message ------------------------------------------------------------------------

BAD = "javascript:alert(1)"
IMG_ID = "img_" + "c" * 32
CARD = Card(header="카드", text="설명", buttons=(Button(name="보기", link_mo=PAGE),))


def _fields(message: Message) -> list[tuple[str, Reason]]:
    return [(p.field, p.code) for p in validate_message(message, STORE) if p.code is Reason.INVALID_LINK]


LINK_FIELDS: list[tuple[str, dict[str, Any]]] = [
    ("buttons[0].link_mo", {"buttons": (Button(name="보기", link_mo=BAD),)}),
    ("buttons[0].link_pc", {"buttons": (Button(name="보기", link_mo=PAGE, link_pc=BAD),)}),
    ("buttons[0].scheme_android", {"buttons": (Button(name="앱", type="AL", scheme_android=BAD),)}),
    ("buttons[0].scheme_ios", {"buttons": (Button(name="앱", type="AL", scheme_ios=BAD),)}),
    ("coupon.link_mo", {"coupon": Coupon(title="10% 할인 쿠폰", description="오늘까지", link_mo=BAD)}),
    (
        "coupon.scheme_ios",
        {"coupon": Coupon(title="10% 할인 쿠폰", description="a", link_mo=PAGE, scheme_ios=BAD)},
    ),
    ("image.link", {"format": "IMAGE", "image": Image(id=IMG_ID, link=BAD)}),
    ("video_url", {"video_url": BAD}),
    ("items[1].link_mo", {"items": (Item(title="a", link_mo=PAGE), Item(title="b", link_mo=BAD))}),
    ("items[0].scheme_android", {"items": (Item(title="a", link_mo=PAGE, scheme_android=BAD),)}),
    ("cards[1].image.link", {"cards": (CARD, CARD.model_copy(update={"image": Image(id=IMG_ID, link=BAD)}))}),
    ("cards[0].buttons[0].link_mo", {"cards": (Card(buttons=(Button(name="보기", link_mo=BAD),)),)}),
    ("cards[0].coupon.link_pc", {"cards": (Card(coupon=Coupon(title="a", description="b", link_pc=BAD)),)}),
    ("intro.image.link", {"intro": Card(image=Image(id=IMG_ID, link=BAD))}),
    ("intro.buttons[0].link_pc", {"intro": Card(buttons=(Button(name="보기", link_mo=PAGE, link_pc=BAD),))}),
    ("tail.link_mo", {"tail": Tail(link_mo=BAD)}),
    ("tail.scheme_ios", {"tail": Tail(link_mo=PAGE, scheme_ios=BAD)}),
]


def test_a_channel_coupon_link_is_accepted_only_in_a_coupon() -> None:
    """Kakao's channel coupon is given as `alimtalk=coupon://…` in a coupon's scheme field (NHN-BM "coupon"):
    accepted there, refused as any other app link."""
    coupon = Coupon(title="10% 할인 쿠폰", description="a", scheme_android="alimtalk=coupon://c1")
    assert _fields(brand(coupon=coupon)) == []
    button = Button(name="앱", type="AL", scheme_android="alimtalk=coupon://c1")
    assert _fields(brand(buttons=(button,))) == [("buttons[0].scheme_android", Reason.INVALID_LINK)]


@pytest.mark.parametrize(("field", "changes"), LINK_FIELDS, ids=[f[0] for f in LINK_FIELDS])
def test_every_link_field_is_checked_and_named(field: str, changes: dict[str, Any]) -> None:
    assert _fields(brand(**changes)) == [(field, Reason.INVALID_LINK)]


def test_alimtalk_button_links_are_checked_too() -> None:
    message = alimtalk(buttons=(Button(name="배송 조회", link_mo="JaVaScRiPt:alert(1)"),))
    assert _fields(message) == [("buttons[0].link_mo", Reason.INVALID_LINK)]


def test_a_message_saved_with_an_unsafe_link_is_suppressed_when_it_is_sent() -> None:
    message = brand(targeting="I", buttons=(Button(name="보기", link_mo=BAD),))
    decision = decide(message, recipient(), STORE, kst(12))
    assert decision.outcome is Outcome.SUPPRESS
    assert decision.reasons == (Reason.INVALID_MESSAGE, Reason.INVALID_LINK)


# --- variables ----------------------------------------------------------------------------------------------


def _variables(message: Message, names: set[str] | None = None) -> list[tuple[str, str]]:
    return [
        (p.field, p.message)
        for p in validate_message(message, STORE, variables=names)
        if p.code is Reason.UNFILLABLE_VARIABLE
    ]


def test_a_variable_its_source_cannot_fill_is_refused_naming_it_and_its_field() -> None:
    message = brand("#{name}님, #{coupon_code} 쿠폰이 도착했어요", title="#{고객명}님께")
    problems = _variables(message, {"name"})
    assert [field for field, _ in problems] == ["content", "title"]
    assert "'coupon_code'" in problems[0][1] and "name" in problems[0][1] and "'고객명'" in problems[1][1]


def test_a_declared_fallback_or_a_fillable_name_is_accepted() -> None:
    message = brand("#{name}님, #{nickname|회원}님 전용 #{coupon_code|}쿠폰", fallback_text="#{name}님")
    assert _variables(message, {"name"}) == []


def test_without_the_sources_names_only_the_places_are_checked() -> None:
    """`decide` validates a stored message without knowing its source: a name it cannot fill is then the
    send's `missing_variable`, as before."""
    assert _variables(brand("#{coupon_code} 쿠폰")) == []


def test_an_alimtalk_templates_other_parts_are_filled_and_checked() -> None:
    button = Button(name="주문 보기", link_mo="https://dogday.example/orders/#{order_id}")
    message = alimtalk("#{name}님, 주문이 접수되었습니다.", extra_info="#{송장번호}", buttons=(button,))
    assert prepared(message).variables == (
        "name",
        "송장번호",
        "order_id",
    )  # the gateway's template parameters
    assert [field for field, _ in _variables(message, {"name"})] == ["extra_info", "buttons[0].link_mo"]
    assert _variables(message, {"name", "order_id", "송장번호"}) == []


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("buttons[0].link_mo", {"buttons": (Button(name="보기", link_mo="https://dogday.example/#{path}"),)}),
        ("coupon.description", {"coupon": Coupon(title="10% 할인 쿠폰", description="#{name}님 전용")}),
        ("tail.link_mo", {"tail": Tail(link_mo="https://dogday.example/#{path}")}),
        ("items[0].title", {"format": "WIDE_ITEM_LIST", "items": (Item(title="#{product_id}"),)}),
        ("cards[0].text", {"cards": (Card(text="#{name}님께", buttons=CARD.buttons),)}),
    ],
    ids=["brand_message_link", "coupon", "tail", "item", "card"],
)
def test_a_variable_where_nothing_fills_it_is_refused_whatever_its_name(
    field: str, changes: dict[str, Any]
) -> None:
    """Only the text (and an AlimTalk template's parts) is filled: anywhere else the raw `#{...}` would reach
    the customer, so it is refused even without the source's names, and a stored one is suppressed."""
    message = brand(**changes)
    assert [f for f, _ in _variables(message)] == [field]
    assert Reason.UNFILLABLE_VARIABLE in decide(message, recipient(), STORE, kst(12)).reasons
