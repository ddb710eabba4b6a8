"""The two stores the local runtime starts with, and how to put a store (settings + secrets) in place.

`put_store` is the same two steps a store engineer takes in AWS: the settings item in the stores table
and the webhook secrets as SecureString parameters under STORE_SECRETS_PATH (see README, "Connect a store").
"""

from dataclasses import dataclass
from typing import Any

from nudge.adapters.dynamodb import DynamoStoreDirectory
from nudge.stores import SECRET_NAMES, Store


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
    ),
    {SECRET_NAMES["cafe24"]: "local-cafe24-app-key", SECRET_NAMES["nudge"]: "local-nudge-signing-secret"},
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
    ),
    {SECRET_NAMES["shopify"]: "local-shopify-client-secret"},
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
