"""Tracking links keep what they do not track: an AL button's app links open the app as written; and a
store login form that is no web link (one written around the admin API's check) is not used."""

from compliance.message import Message
from nudge.sending.links import Tracking, destination, rewrite
from nudge_local.runtime.stores import DOGDAY

PAGE = "https://dogday.example/event/dogday"
MESSAGE = Message.model_validate(
    {
        "message_class": "advertising",
        "channel": "brand_message",
        "targeting": "I",
        "content": "기획전이 오늘 마감돼요!",
        "buttons": [
            {"name": "기획전 보기", "type": "WL", "link_mo": PAGE},
            {"name": "앱에서 보기", "type": "AL", "link_mo": PAGE, "scheme_android": "dogdayapp://event",
             "scheme_ios": "dogdayapp://event"},
        ],
    }
)  # fmt: skip


def test_web_links_are_tracked_and_app_links_left_as_they_are() -> None:
    changed, destinations = rewrite(MESSAGE, "a" * 24, "https://t.example", Tracking(), "cmp_1", DOGDAY.store)
    web, app = changed.buttons
    assert web.link_mo == app.link_mo == "https://t.example/r/" + "a" * 24 + "0"
    assert (app.scheme_android, app.scheme_ios) == ("dogdayapp://event", "dogdayapp://event")
    assert destinations[0].startswith(PAGE + "?utm_source=nudge")


def test_a_login_form_that_is_no_web_link_is_not_used() -> None:
    tracking = Tracking(login_required=True)
    assert destination(PAGE, tracking, "cmp_1", "brand_message", DOGDAY.store).startswith(
        "https://dogday.example/member/login.html?returnUrl=https%3A%2F%2F"
    )
    odd = DOGDAY.store.model_copy(
        update={"login_return_url": "https://evil.example\\@dogday.example/?r={url}"}
    )
    assert destination(PAGE, tracking, "cmp_1", "brand_message", odd).startswith(PAGE + "?")
