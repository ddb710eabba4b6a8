"""A store: who it is, where its webhooks come from, and the settings every rule reads."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from compliance.settings import StoreSettings

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


class Store(StoreSettings):
    """A store's settings. The ones every compliance rule reads (its name, contact and 080 numbers, time zone,
    M/N approval, ad budget, the existing-customer exemption) are declared once, on `StoreSettings`, which a
    store is: the compliance layer reads the store itself, never a copy that could go stale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store_id: StoreId
    platforms: Annotated[list[PlatformName], Field(min_length=1)]
    # Platform account the webhooks must come from, when the platform says (Cafe24 mall_id, Shopify domain).
    cafe24_mall_id: str | None = None
    shopify_shop_domain: str | None = None
    # The storefront tracker: a public write key (it ships in the page) and the origins allowed to post.
    tracker_write_key: Annotated[str, Field(min_length=16, max_length=128)] | None = None
    allowed_origins: list[Annotated[str, Field(pattern=r"^https?://[^/]+$")]] = Field(default_factory=list)
    # A landing page behind a login goes through the store's login form, which returns to it (seed 001):
    # e.g. "https://dogday.example/member/login.html?returnUrl={url}" ({url} is filled in, URL-encoded).
    login_return_url: Annotated[str, Field(pattern=r"^https://.*\{url\}")] | None = None
    gateway: GatewayAccount | None = None  # no gateway: the store cannot send yet

    def accepts(self, platform: str) -> bool:
        return platform in self.platforms

    @property
    def compliance(self) -> StoreSettings:
        """The store as the compliance layer reads it."""
        return self


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
