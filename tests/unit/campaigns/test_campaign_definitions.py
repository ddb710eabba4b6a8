"""A campaign is checked whole when it is saved: its message by the compliance layer, its segment, its
send mode — and every problem is reported at once, naming the field."""

from datetime import UTC, date, datetime
from typing import Any

import pytest

from nudge.campaigns.definitions import Recurring, Reserved, schedule_of, validate_campaign
from nudge.errors import InvalidPayload
from nudge_local.runtime.stores import DOGDAY

NOW = datetime(2026, 3, 17, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
STORE = DOGDAY.store
AD_BRAND_MESSAGE = {
    "message_class": "advertising",
    "channel": "brand_message",
    "content": "#{name}님, 도그데이 기획전이 시작됐어요! 최대 30% 할인",
    "buttons": [{"name": "기획전 보기", "type": "WL", "link_mo": "https://dogday.example/event/dogday"}],
    "targeting": "I",
    "promotion_group": "dogday-2026",
}


def _campaign(**changes: Any) -> dict[str, Any]:
    base = {
        "name": "도그데이 기획전 알림",
        "segment_id": "all-members",
        "message": AD_BRAND_MESSAGE,
        "send": {"mode": "reserved", "at": "2026-03-18T10:00:00+09:00"},
        "tracking": {"landing_url": "https://dogday.example/event/dogday", "campaign_code": "DOGDAY01"},
    }
    return {**base, **changes}


def _validate(payload: dict[str, Any], segments: tuple[str, ...] = ("all-members",)) -> Any:
    return validate_campaign(payload, STORE, lambda s: s in segments, NOW, "cmp_test")


def test_a_reserved_brand_message_campaign_is_accepted_and_scheduled_in_the_store_zone() -> None:
    campaign = _validate(_campaign())
    spec = schedule_of(campaign, STORE)
    assert spec is not None and spec.one_time
    assert spec.expression == "at(2026-03-18T10:00:00)" and spec.timezone == "Asia/Seoul"


def test_a_recurring_campaign_runs_on_its_cron_between_start_and_end_dates() -> None:
    payload = _campaign(
        send={"mode": "recurring", "cron": "0 10 ? * * *", "start": "2026-03-18", "end": "2026-03-24"}
    )
    campaign = _validate(payload)
    assert isinstance(campaign.send, Recurring) and campaign.send.end == date(2026, 3, 24)
    spec = schedule_of(campaign, STORE)
    assert spec is not None and spec.expression == "cron(0 10 ? * * *)" and not spec.one_time
    assert spec.start is None  # Scheduler refuses a StartDate in the past; runs before it are skipped
    assert spec.end == datetime(2026, 3, 24, 15, 0, tzinfo=UTC)  # the end of 24 March in Seoul


def test_every_problem_is_reported_at_once_naming_its_field() -> None:
    message = {
        **AD_BRAND_MESSAGE,
        "buttons": [{"name": f"버튼{i}", "type": "WL", "link_mo": "https://x.example"} for i in range(6)],
    }
    payload = _campaign(
        segment_id="no-such-segment",
        message=message,
        send={"mode": "recurring", "cron": "0 25 ? * * *", "start": "2026-03-24", "end": "2026-03-18"},
    )
    with pytest.raises(InvalidPayload) as caught:
        _validate(payload)
    fields = {f.field for f in caught.value.fields}
    assert {"segment_id", "send.cron", "send.end"} <= fields
    assert any(f.startswith("message.buttons[5]") for f in fields), fields


def test_a_reserved_time_in_the_past_is_refused() -> None:
    with pytest.raises(InvalidPayload) as caught:
        _validate(_campaign(send={"mode": "reserved", "at": "2026-03-17T09:00:00+09:00"}))
    assert [f.field for f in caught.value.fields] == ["send.at"]


def test_an_unknown_send_mode_names_the_field() -> None:
    with pytest.raises(InvalidPayload) as caught:
        _validate(_campaign(send={"mode": "whenever"}))
    assert caught.value.fields[0].field.startswith("send")


def test_informational_channel_with_promotional_words_is_refused_by_the_compliance_layer() -> None:
    message = {
        "message_class": "informational",
        "channel": "sms",
        "content": "주문하신 상품이 발송되었습니다. 30% 할인 쿠폰 증정!",
    }
    with pytest.raises(InvalidPayload) as caught:
        _validate(_campaign(message=message))
    assert any(f.field.startswith("message") for f in caught.value.fields)


def test_reserved_mode_keeps_the_instant() -> None:
    campaign = _validate(_campaign())
    assert isinstance(campaign.send, Reserved)
    assert campaign.send.at == datetime(2026, 3, 18, 1, 0, tzinfo=UTC)
