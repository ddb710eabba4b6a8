"""Builders for the compliance tests: a store, recipients, messages and store-zone instants."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from compliance import Consent, Message, Recipient, StoreSettings

SEOUL = ZoneInfo("Asia/Seoul")
LONG_AGO = datetime(2025, 1, 2, 3, 0, tzinfo=UTC)
GRANTED = Consent(granted_at=LONG_AGO, source="signup-form")

STORE = StoreSettings(
    name="멍멍몰",
    contact_phone="02-1234-5678",
    optout_080_number="080-123-4567",
    mn_targeting_approved=True,
)


def store(**changes: Any) -> StoreSettings:
    return StoreSettings.model_validate({**STORE.model_dump(), **changes})


def kst(hour: int, minute: int = 0, second: int = 0, day: int = 23, month: int = 6) -> datetime:
    """A UTC instant given as Seoul wall-clock time (2026-06-23 by default, a Tuesday)."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=SEOUL).astimezone(UTC)


def local(at: datetime, zone: ZoneInfo = SEOUL) -> datetime:
    return at.astimezone(zone)


def recipient(**changes: Any) -> Recipient:
    """A recipient with every consent (SMS, Kakao, push, e-mail), a channel friend, no night consent."""
    fields: dict[str, Any] = {
        "key": "customer-1",
        "consents": {channel: GRANTED for channel in ("sms", "kakao", "push", "email")},
        "channel_friend": True,
    }
    fields.update(changes)
    return Recipient(**fields)


def ad_sms(content: str = "강아지 간식 전품목 20% 할인 쿠폰이 도착했어요!", **changes: Any) -> Message:
    return Message(message_class="advertising", channel="sms", content=content, **changes)


def brand(
    content: str = "장바구니에 담아두신 상품이 곧 품절돼요! 지금 확인해 보세요.", **changes: Any
) -> Message:
    return Message(message_class="advertising", channel="brand_message", content=content, **changes)


def alimtalk(
    content: str = "#{고객명}님, 주문하신 상품이 발송되었습니다. 송장번호: #{송장번호}", **changes: Any
) -> Message:
    fields: dict[str, Any] = {"template_code": "ORDER_SHIPPED_01", "template_approved": True}
    fields.update(changes)
    return Message(message_class="informational", channel="alimtalk", content=content, **fields)


SHIPPING_VARS = {"고객명": "홍길동", "송장번호": "123456789012"}
