"""Nobody outside can damage a customer's data (finding 7, second half): what a marketer saves through the
admin API is what a customer's phone gets, so a message is refused at save — 400 naming the field, nothing
written — when it carries a link that is not a web address (`javascript:`, `data:`, a relative or
schemeless link, a space or control character hidden in it) or a `#{variable}` that nothing Nudge knows at
send time can fill (every send of it would be suppressed `missing_variable`), unless the message declares
a fallback for it (`#{name|고객}`).

Before the fix each of these was saved (201) and every send then suppressed, or sent with the link."""

import base64
import json
from datetime import datetime
from typing import Any

import pytest

from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import AUTH, KST, call
from tests.fakes.pictures import png

START = datetime(2026, 3, 18, 9, 0, tzinfo=KST)
BASE = "/admin/stores/dogday-mall"
PAGE = "https://dogday.example/event/dogday"


@pytest.fixture(scope="module")
def runtime() -> Any:
    with LocalRuntime(start=START) as rt:
        status, body = call(
            rt,
            "POST",
            f"{BASE}/segments",
            {"segment_id": "everyone", "name": "모두",
             "definition": {"include": [{"field": "traffic.last_visit", "within_days": 30}]}},
        )  # fmt: skip
        assert status == 201, body
        yield rt


def brand_message(**changes: Any) -> dict[str, Any]:
    return {
        "message_class": "advertising",
        "channel": "brand_message",
        "targeting": "I",
        "content": "#{name}님, 도그데이 기획전이 오늘 마감돼요!",
        "buttons": [{"name": "기획전 보기", "type": "WL", "link_mo": PAGE}],
        **changes,
    }


def campaign(message: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "name": "도그데이 마감",
        "segment_id": "everyone",
        "message": message,
        "send": {"mode": "reserved", "at": "2026-03-20T10:00:00+09:00"},
        **changes,
    }


def automation(event: str, message: dict[str, Any]) -> dict[str, Any]:
    return {"name": "넛지", "status": "paused", "trigger": {"event": event},
            "steps": [{"delay": {"hours": 1}, "message": message}]}  # fmt: skip


def refused(runtime: LocalRuntime, method: str, path: str, body: Any) -> list[dict[str, str]]:
    """The fields of a 400, after checking nothing new was saved."""
    listing = path if method == "POST" else path.rsplit("/", 1)[0]
    before = call(runtime, "GET", listing)[1]
    status, answer = call(runtime, method, path, body)
    assert status == 400, answer
    assert call(runtime, "GET", listing)[1] == before
    fields: list[dict[str, str]] = answer["fields"]
    return fields


def saved(runtime: LocalRuntime, path: str, body: Any) -> dict[str, Any]:
    status, answer = call(runtime, "POST", path, body)
    assert status == 201, answer
    kind = "campaigns" if path.endswith("campaigns") else "automations"
    call(runtime, "DELETE", f"{path}/{answer[kind[:-1] + '_id']}")
    return dict(answer)


# --------------------------------------------------------------------------------------- links

UNSAFE_LINKS = [
    "javascript:alert(document.cookie)",
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "\u200bjavascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "/event/dogday",
    "//evil.example/event",
    "dogday.example/event/dogday",
    "https://dogday.example/event dogday",
    "https://dogday.example/event\ndogday",
    "https:/\\evil.example",
    "https://dogday.example@evil.example/event",
    "#{checkout_url}",
]


@pytest.mark.parametrize("link", UNSAFE_LINKS, ids=repr)
def test_a_campaign_button_link_that_is_no_web_address_is_refused(runtime: LocalRuntime, link: str) -> None:
    message = brand_message(buttons=[{"name": "기획전 보기", "type": "WL", "link_mo": link}])
    fields = refused(runtime, "POST", f"{BASE}/campaigns", campaign(message))
    assert {f["field"] for f in fields} == {"message.buttons[0].link_mo"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"buttons": [{"name": "보기", "type": "WL", "link_mo": PAGE, "link_pc": "javascript:x"}]},
            "message.buttons[0].link_pc",
        ),
        (
            {"coupon": {"title": "10% 할인 쿠폰", "description": "오늘까지", "link_mo": "javascript:x"}},
            "message.coupon.link_mo",
        ),
        (
            {"buttons": [{"name": "앱에서 보기", "type": "AL", "scheme_android": "javascript:alert(1)"}]},
            "message.buttons[0].scheme_android",
        ),
        (
            {"buttons": [{"name": "앱에서 보기", "type": "AL", "scheme_ios": "myapp://event dogday"}]},
            "message.buttons[0].scheme_ios",
        ),
    ],
    ids=["link_pc", "coupon", "app_link_javascript", "app_link_space"],
)
def test_every_link_a_message_carries_is_checked(
    runtime: LocalRuntime, changes: dict[str, Any], field: str
) -> None:
    fields = refused(runtime, "POST", f"{BASE}/campaigns", campaign(brand_message(**changes)))
    assert [f["field"] for f in fields] == [field]


def test_an_image_link_is_checked_too(runtime: LocalRuntime) -> None:
    picture = base64.b64encode(png(800, 400)).decode()
    status, _, body = runtime.http(
        "POST", f"{BASE}/images", AUTH, json.dumps({"name": "banner.png", "data": picture}).encode()
    )
    assert status == 201
    image = {"id": json.loads(body)["image_id"], "link": "data:image/png;base64,AAAA"}
    message = brand_message(format="IMAGE", image=image)
    fields = refused(runtime, "POST", f"{BASE}/campaigns", campaign(message))
    assert [f["field"] for f in fields] == ["message.image.link"]


def test_web_and_app_links_are_accepted(runtime: LocalRuntime) -> None:
    buttons = [
        {"name": "기획전 보기", "type": "WL", "link_mo": PAGE, "link_pc": "http://dogday.example/event"},
        {"name": "앱에서 보기", "type": "AL", "scheme_android": "dogdayapp://event/dogday",
         "scheme_ios": "dogdayapp://event/dogday"},
    ]  # fmt: skip
    saved(runtime, f"{BASE}/campaigns", campaign(brand_message(buttons=buttons)))


def test_a_landing_url_with_a_hidden_space_is_refused(runtime: LocalRuntime) -> None:
    body = campaign(brand_message(), tracking={"landing_url": "https://dogday.example/event dogday"})
    fields = refused(runtime, "POST", f"{BASE}/campaigns", body)
    assert [f["field"] for f in fields] == ["tracking.landing_url"]


def test_an_automation_step_link_that_is_no_web_address_is_refused(runtime: LocalRuntime) -> None:
    message = brand_message(
        buttons=[{"name": "장바구니 보기", "type": "WL", "link_mo": "JaVaScRiPt:alert(1)"}]
    )
    fields = refused(runtime, "POST", f"{BASE}/automations", automation("cart.updated", message))
    assert [f["field"] for f in fields] == ["steps[0].message.buttons[0].link_mo"]


def test_a_template_link_that_is_no_web_address_is_refused_naming_the_parameter(
    runtime: LocalRuntime,
) -> None:
    path = f"{BASE}/automation-templates/cart_reminder"
    before = call(runtime, "GET", f"{BASE}/automations")[1]
    status, answer = call(runtime, "POST", path, {"params": {"link": "https://dogday.example/cart\tx"}})
    assert status == 400, answer
    assert [f["field"] for f in answer["fields"]] == ["params.link"]
    assert call(runtime, "GET", f"{BASE}/automations")[1] == before


def test_a_store_login_form_with_a_hidden_space_is_refused(runtime: LocalRuntime) -> None:
    status, settings = call(runtime, "GET", BASE)
    assert status == 200
    body = {k: v for k, v in settings.items() if k != "store_id"}
    body["login_return_url"] = "https://dogday.example/member/login.html?returnUrl={url} "
    status, answer = call(runtime, "PUT", BASE, body)
    assert status == 400, answer
    assert [f["field"] for f in answer["fields"]] == ["login_return_url"]
    assert call(runtime, "GET", BASE)[1] == settings


# --------------------------------------------------------------------------------------- variables


@pytest.mark.parametrize(
    ("message", "field", "name"),
    [
        (brand_message(content="#{coupon_code} 쿠폰이 도착했어요!"), "message.content", "coupon_code"),
        (brand_message(content="주문 #{order_id}의 후기를 남겨 주세요"), "message.content", "order_id"),
        (brand_message(title="#{닉네임}님께", format="PREMIUM_VIDEO", content="영상",
                       video_url="https://tv.kakao.com/v/1", buttons=[]), "message.title", "닉네임"),
    ],
    ids=["unknown_name", "an_order_variable_in_a_campaign", "title"],
)  # fmt: skip
def test_a_campaign_variable_nothing_can_fill_is_refused(
    runtime: LocalRuntime, message: dict[str, Any], field: str, name: str
) -> None:
    fields = refused(runtime, "POST", f"{BASE}/campaigns", campaign(message))
    assert [f["field"] for f in fields] == [field]
    assert name in fields[0]["message"]


def test_a_campaign_variable_with_a_fallback_or_from_the_profile_is_saved(runtime: LocalRuntime) -> None:
    saved(runtime, f"{BASE}/campaigns", campaign(brand_message(content="#{name}님, 오늘 마감!")))
    saved(runtime, f"{BASE}/campaigns", campaign(brand_message(content="#{nickname|고객}님, 오늘 마감!")))


def test_an_automation_variable_its_trigger_does_not_give_is_refused(runtime: LocalRuntime) -> None:
    message = brand_message(content="#{name}님, 주문(#{order_id}) 상품을 장바구니에 담아 두셨어요")
    fields = refused(runtime, "POST", f"{BASE}/automations", automation("cart.updated", message))
    assert [f["field"] for f in fields] == ["steps[0].message.content"]
    assert "order_id" in fields[0]["message"]


def test_an_alimtalk_template_variable_nothing_can_fill_is_refused(runtime: LocalRuntime) -> None:
    message = {
        "message_class": "informational",
        "channel": "alimtalk",
        "template_code": "ORDER_SHIPPED",
        "template_approved": True,
        "content": "#{name}님, 주문 #{order_id} 상품이 출발했어요. 송장번호: #{송장번호} 적립금: #{적립금}",
    }
    # 송장번호 is the tracking number's Korean name (nudge.sending.variables); 적립금 nothing fills.
    fields = refused(runtime, "POST", f"{BASE}/automations", automation("order.shipped", message))
    assert [f["field"] for f in fields] == ["steps[0].message.content"]
    assert fields[0]["message"].startswith("#{적립금}")


def test_an_automation_variable_its_trigger_gives_is_saved(runtime: LocalRuntime) -> None:
    message = brand_message(content="#{name}님, 장바구니에 #{cart_items}개, #{cart_amount}원 담으셨어요")
    saved(runtime, f"{BASE}/automations", automation("cart.updated", message))


def test_every_ready_made_automation_still_installs(runtime: LocalRuntime) -> None:
    status, templates = call(runtime, "GET", f"{BASE}/automation-templates")
    assert status == 200
    for name in templates:
        status, answer = call(
            runtime, "POST", f"{BASE}/automation-templates/{name}",
            {"params": {"link": PAGE}, "status": "paused"},
        )  # fmt: skip
        assert status == 201, (name, answer)
        call(runtime, "DELETE", f"{BASE}/automations/{answer['automation_id']}")
