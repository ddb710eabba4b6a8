"""The two stores the local runtime starts with, and how to put a store (settings + secrets) in place.

`put_store` is the same two steps a store engineer takes in AWS: the settings item in the stores table
and the webhook secrets as SecureString parameters under STORE_SECRETS_PATH (see README, "Connect a store").
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nudge.adapters.dynamodb import DynamoStoreDirectory
from nudge.stores import GATEWAY_SECRET_NAMES, SECRET_NAMES, GatewayAccount, Store
from nudge_local.gateway.cafe24 import Cafe24App, Cafe24Emulator
from nudge_local.gateway.emulator import GatewayEmulator, NhnAccount, SolapiAccount


@dataclass(frozen=True)
class LocalStore:
    store: Store
    secrets: dict[str, str]  # secret name -> value


DOGDAY = LocalStore(
    Store(
        store_id="dogday-mall",
        name="도그데이몰",
        platforms=["cafe24", "nudge"],
        timezone="Asia/Seoul",
        cafe24_mall_id="dogdaymall",
        tracker_write_key="pk_local_dogday_tracker_0001",
        allowed_origins=["https://dogday.example"],
        login_return_url="https://dogday.example/member/login.html?returnUrl={url}",
        contact_phone="02-1234-5678",
        optout_080_number="080-123-4567",
        gateway=GatewayAccount(
            provider="nhn",
            account_id="nhn-dogday",
            rate_per_second=50,
            kakao_appkey="local-dogday-kakao-appkey",
            sms_appkey="local-dogday-sms-appkey",
            sender_key="local-dogday-sender-key-0000000000000000",
        ),
    ),
    {
        SECRET_NAMES["cafe24"]: "local-cafe24-app-key",
        SECRET_NAMES["nudge"]: "local-nudge-signing-secret",
        SECRET_NAMES["tracker"]: "local-dogday-tracker-identity-secret",
        GATEWAY_SECRET_NAMES["nhn-kakao"]: "local-dogday-kakao-secret",
        GATEWAY_SECRET_NAMES["nhn-sms"]: "local-dogday-sms-secret",
        GATEWAY_SECRET_NAMES["report-signature"]: "local-dogday-webhook-signature",
    },
)

MAPLE = LocalStore(
    Store(
        store_id="maple-goods",
        name="메이플굿즈",
        platforms=["shopify"],
        timezone="Asia/Seoul",
        shopify_shop_domain="maple-goods.myshopify.com",
        tracker_write_key="pk_local_maple_tracker_0001",
        allowed_origins=["https://maple-goods.example"],
        contact_phone="02-9876-5432",
        optout_080_number="080-987-6543",
        gateway=GatewayAccount(
            provider="solapi",
            account_id="solapi-maple",
            rate_per_second=50,
            api_key="LOCALMAPLEAPIKEY",
            pf_id="KA01PF-local-maple",
        ),
    ),
    {
        SECRET_NAMES["shopify"]: "local-shopify-client-secret",
        SECRET_NAMES["tracker"]: "local-maple-tracker-identity-secret",
        GATEWAY_SECRET_NAMES["solapi"]: "local-maple-solapi-secret",
        GATEWAY_SECRET_NAMES["report-signature"]: "local-maple-report-signature",
    },
)

LOCAL_STORES = (DOGDAY, MAPLE)


def put_store(local: LocalStore, stores_table: str, secrets_path: str, dynamodb: Any, ssm: Any) -> None:
    DynamoStoreDirectory(stores_table, client=dynamodb).put(local.store)
    for name, value in local.secrets.items():
        ssm.put_parameter(
            Name=f"{secrets_path.rstrip('/')}/{local.store.store_id}/{name}",
            Value=value,
            Type="SecureString",
            Overwrite=True,
        )


# The AlimTalk templates Kakao approved for the local stores (code -> text with #{variables}).
LOCAL_TEMPLATES = {
    "ORDER_SHIPPED_01": "#{name}님, 주문하신 상품이 발송되었습니다. 송장번호: #{tracking_no}",
    "REVIEW_REQUEST_01": "#{name}님, 받으신 상품은 마음에 드셨나요? 후기를 남겨 주세요.",
}


def _as_registered(content: str) -> str:
    """The text as the store registers it with Kakao: `#{name|고객}` is Nudge's fallback, sent as the value of
    the template's `#{name}` (templateParameter `name`)."""
    return re.sub(r"#\{([^{}|]+)\|[^{}]*\}", r"#{\1}", content)


def approved_templates(store: Store) -> dict[str, str]:
    """What the store registered with Kakao: the examples above and the AlimTalk messages of the
    ready-made automations (nudge.automations.templates) as they are written for this store."""
    from nudge.automations.templates import TEMPLATES, template_definition

    out = dict(LOCAL_TEMPLATES)
    for name in TEMPLATES:
        for step in template_definition(name, store, None).get("steps", []):
            message = step.get("message") or {}
            if message.get("channel") == "alimtalk" and message.get("template_code"):
                out[message["template_code"]] = _as_registered(message["content"])
    return out


def gateway_emulator(
    now: Callable[[], datetime], stores: tuple[LocalStore, ...] = LOCAL_STORES
) -> GatewayEmulator:
    """An emulator that knows the local stores' gateway accounts, keys and approved templates."""
    nhn, solapi = [], []
    for local in stores:
        account, secrets = local.store.gateway, local.secrets
        if account is None:
            continue
        numbers = {(local.store.contact_phone or "").replace("-", "")}
        if account.provider == "nhn":
            nhn.append(
                NhnAccount(
                    kakao_appkey=account.kakao_appkey or "",
                    kakao_secret=secrets[GATEWAY_SECRET_NAMES["nhn-kakao"]],
                    sms_appkey=account.sms_appkey or "",
                    sms_secret=secrets[GATEWAY_SECRET_NAMES["nhn-sms"]],
                    sender_key=account.sender_key or "",
                    send_numbers=numbers,
                    templates=approved_templates(local.store),
                    mn_approved=local.store.mn_targeting_approved,
                    report_signature=secrets.get(GATEWAY_SECRET_NAMES["report-signature"], ""),
                )
            )
        else:
            solapi.append(
                SolapiAccount(
                    api_key=account.api_key or "",
                    api_secret=secrets[GATEWAY_SECRET_NAMES["solapi"]],
                    pf_id=account.pf_id or "",
                    send_numbers=numbers,
                    templates=approved_templates(local.store),
                    mn_approved=local.store.mn_targeting_approved,
                    report_signature=secrets.get(GATEWAY_SECRET_NAMES["report-signature"], ""),
                )
            )
    return GatewayEmulator(now, nhn, solapi)


# The Nudge app as registered with the local Cafe24 (docs/cafe24.md): its credentials go where a deployment's
# do (SSM, {STORE_SECRETS_PATH}/_cafe24-app/…, README "Deploy"); its Redirect URI is the local API's.
LOCAL_CAFE24_APP = Cafe24App(
    client_id="local-nudge-cafe24-client-id",
    client_secret="local-nudge-cafe24-client-secret",
    redirect_uris=("https://localhost/cafe24/callback",),
)


def put_cafe24_app(app: Cafe24App, secrets_path: str, ssm: Any) -> None:
    from nudge.ingest.cafe24_app import APP_SECRETS_ID, CLIENT_ID, CLIENT_SECRET

    for name, value in ((CLIENT_ID, app.client_id), (CLIENT_SECRET, app.client_secret)):
        ssm.put_parameter(
            Name=f"{secrets_path.rstrip('/')}/{APP_SECRETS_ID}/{name}",
            Value=value,
            Type="SecureString",
            Overwrite=True,
        )


def cafe24_emulator(
    now: Callable[[], datetime], stores: tuple[LocalStore, ...] = LOCAL_STORES
) -> Cafe24Emulator:
    """A Cafe24 with the Nudge app registered and the local stores' malls."""
    malls = [local.store.cafe24_mall_id for local in stores if local.store.cafe24_mall_id]
    return Cafe24Emulator(now, [LOCAL_CAFE24_APP], malls)
