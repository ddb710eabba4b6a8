"""A store: who it is, where its webhooks come from, and the settings every rule reads."""

from functools import cached_property
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from compliance.settings import AdBudget, StoreSettings

STORE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
StoreId = Annotated[str, Field(pattern=STORE_ID_PATTERN)]
PlatformName = Literal["cafe24", "shopify", "nudge"]


class GatewayAccount(BaseModel):
    """The store's messaging-gateway account (its secrets live in SSM, see GATEWAY_SECRET_NAMES)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Literal["nhn", "solapi"]
    # Names the account's rate limit: stores sharing one gateway account share one limit.
    account_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
    rate_per_second: Annotated[int, Field(ge=1, le=10_000)] = 20
    kakao_appkey: str | None = None  # NHN KakaoTalk Bizmessage appKey
    sms_appkey: str | None = None  # NHN SMS appKey
    sender_key: str | None = None  # NHN Kakao sender key (the channel)
    api_key: str | None = None  # Solapi API key
    pf_id: str | None = None  # Solapi Kakao channel id
    # Where the gateway answers; None = the provider's production address
    # (nudge.adapters.gateways.transport.PRODUCTION).
    base_url: Annotated[str, Field(pattern=r"^https?://")] | None = None


class Store(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    store_id: StoreId
    name: Annotated[str, Field(min_length=1, max_length=40)]
    platforms: Annotated[list[PlatformName], Field(min_length=1)]
    timezone: str = "Asia/Seoul"
    # Platform account the webhooks must come from, when the platform says (Cafe24 mall_id, Shopify domain).
    cafe24_mall_id: str | None = None
    shopify_shop_domain: str | None = None
    # The storefront tracker: a public write key (it ships in the page) and the origins allowed to post.
    tracker_write_key: Annotated[str, Field(min_length=16, max_length=128)] | None = None
    allowed_origins: list[Annotated[str, Field(pattern=r"^https?://[^/]+$")]] = []
    # Read by the compliance rules when messages are sent.
    contact_phone: str | None = None
    optout_080_number: Annotated[str, Field(pattern=r"^080-?\d{3,4}-?\d{4}$")] | None = None
    mn_targeting_approved: bool = False  # Kakao approved the channel for brand-message targeting M and N
    ad_budget: AdBudget = AdBudget()
    existing_customer_exemption: bool = False  # off by default (정보통신망법 §50 ① 1)
    # A landing page behind a login goes through the store's login form, which returns to it (seed 001):
    # e.g. "https://dogday.example/member/login.html?returnUrl={url}" ({url} is filled in, URL-encoded).
    login_return_url: Annotated[str, Field(pattern=r"^https://.*\{url\}")] | None = None
    gateway: GatewayAccount | None = None  # no gateway: the store cannot send yet

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def accepts(self, platform: str) -> bool:
        return platform in self.platforms

    @cached_property
    def compliance(self) -> StoreSettings:
        """The part of the settings the compliance layer reads, in its own terms."""
        return StoreSettings(
            name=self.name,
            contact_phone=self.contact_phone,
            optout_080_number=self.optout_080_number,
            mn_targeting_approved=self.mn_targeting_approved,
            timezone=self.timezone,
            ad_budget=self.ad_budget,
            existing_customer_exemption=self.existing_customer_exemption,
        )


# The secrets a store may have, by the platform they authenticate. Kept in SSM Parameter Store as
# SecureString parameters at {STORE_SECRETS_PATH}/{store_id}/{name}; never in the template or a table.
SECRET_NAMES: dict[str, str] = {
    "cafe24": "cafe24-api-key",
    "shopify": "shopify-client-secret",
    "nudge": "nudge-signing-secret",
}

# The gateway secrets, in the same place as the webhook secrets ({STORE_SECRETS_PATH}/{store_id}/{name}).
GATEWAY_SECRET_NAMES: dict[str, str] = {
    "nhn-kakao": "nhn-kakao-secret-key",  # X-Secret-Key of the KakaoTalk Bizmessage appKey
    "nhn-sms": "nhn-sms-secret-key",  # X-Secret-Key of the SMS appKey
    "solapi": "solapi-api-secret",  # the HMAC-SHA256 key of the Solapi API key
    # NHN's X-Toast-Webhook-Signature value; Solapi's report URL's `signature` query parameter.
    "report-signature": "gateway-report-signature",
}
