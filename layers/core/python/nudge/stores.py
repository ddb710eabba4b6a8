"""A store: who it is, where its webhooks come from, and the settings every rule reads."""

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from compliance.settings import StoreSettings

STORE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
StoreId = Annotated[str, Field(pattern=STORE_ID_PATTERN)]
PlatformName = Literal["cafe24", "shopify", "nudge"]

# The messaging gateways' production addresses: NHN Cloud's KakaoTalk Bizmessage and SMS APIs, Solapi's API.
# A store's messages and its gateway secrets go there (nudge.adapters.gateways.transport.PRODUCTION).
GATEWAY_PRODUCTION: dict[str, str] = {
    "nhn-kakao": "https://kakaotalk-bizmessage.api.nhncloudservice.com",
    "nhn-sms": "https://api-sms.cloud.toast.com",
    "solapi": "https://api.solapi.com",
}
# The only hosts a store's `gateway.base_url` may name, by provider: the production ones, and NHN Cloud's SMS
# API under the domain its API guide documents (TOAST-DOCS/SMS ko/api-guide.md: sms.api.nhncloudservice.com).
# Anything else would receive every message of the store and its gateway secret (X-Secret-Key, Solapi's
# HMAC): an instance metadata address, someone's server.
GATEWAY_HOSTS: dict[str, frozenset[str]] = {
    "nhn": frozenset(
        {
            str(urlsplit(GATEWAY_PRODUCTION["nhn-kakao"]).hostname),
            str(urlsplit(GATEWAY_PRODUCTION["nhn-sms"]).hostname),
            "sms.api.nhncloudservice.com",
        }
    ),
    "solapi": frozenset({str(urlsplit(GATEWAY_PRODUCTION["solapi"]).hostname)}),
}
_PROVIDER_NAMES = {"nhn": "NHN Cloud", "solapi": "Solapi"}
# An origin and nothing else: https, a host in lower case, at most the default port and a final slash. No
# credentials, path, query or fragment, no backslash or space: nothing two URL parsers could read apart.
_GATEWAY_ORIGIN = re.compile(r"https://([a-z0-9.-]+)(?::443)?/?")
_BASE_URL_TEXT = "Where the gateway answers; absent: the provider's production address. Only " + "; ".join(
    f"{_PROVIDER_NAMES[provider]}: " + ", ".join(f"https://{host}" for host in sorted(hosts))
    for provider, hosts in GATEWAY_HOSTS.items()
)


def gateway_url_problem(provider: str, url: str, deployment_gateway: str | None = None) -> str | None:
    """Why `url` may not be the address of a `provider` gateway account, or None if it may: https on one of
    GATEWAY_HOSTS[provider], or exactly the deployment's own gateway address (`deployment_gateway`: the
    template parameter GatewayBaseUrl, which the local runtime sets to its emulator and which is empty in
    AWS). The one check both the admin API (before a store is written) and the sender (before a gateway is
    called) make."""
    if deployment_gateway and url.rstrip("/") == deployment_gateway.rstrip("/"):
        return None
    hosts = GATEWAY_HOSTS.get(provider, frozenset())
    allowed = ", ".join(f"https://{host}" for host in sorted(hosts))
    name = _PROVIDER_NAMES.get(provider, provider)
    found = _GATEWAY_ORIGIN.fullmatch(url)
    if found is None:
        return f"must be https://{{host}} with nothing after it, the host one of {name}'s: {allowed}"
    if found.group(1) not in hosts:
        return f"{found.group(1)} is not a {name} host; one of {allowed}"
    return None


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
    # Where the gateway answers; None = the provider's production address (GATEWAY_PRODUCTION). Only one of
    # the provider's own hosts (GATEWAY_HOSTS; gateway_url_problem), checked before a store is written.
    base_url: Annotated[str, Field(pattern=r"^https?://", description=_BASE_URL_TEXT)] | None = None


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


# The secrets a store may have, by what they authenticate (a platform's webhooks, the tracker's members).
# Kept in SSM Parameter Store as SecureString parameters at {STORE_SECRETS_PATH}/{store_id}/{name}; never in
# the template or a table.
SECRET_NAMES: dict[str, str] = {
    "cafe24": "cafe24-api-key",
    "shopify": "shopify-client-secret",
    "nudge": "nudge-signing-secret",
    # Not a platform: the storefront tracker's member tokens (nudge.ingest.identity) are made with it.
    "tracker": "tracker-identity-secret",
}

# The gateway secrets, in the same place as the webhook secrets ({STORE_SECRETS_PATH}/{store_id}/{name}).
GATEWAY_SECRET_NAMES: dict[str, str] = {
    "nhn-kakao": "nhn-kakao-secret-key",  # X-Secret-Key of the KakaoTalk Bizmessage appKey
    "nhn-sms": "nhn-sms-secret-key",  # X-Secret-Key of the SMS appKey
    "solapi": "solapi-api-secret",  # the HMAC-SHA256 key of the Solapi API key
    # NHN's X-Toast-Webhook-Signature value; Solapi's report URL's `signature` query parameter.
    "report-signature": "gateway-report-signature",
}
