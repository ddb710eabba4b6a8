"""A store's gateway address is one of its gateway's own hosts, over https: every message and the
gateway secret go there. The admin API refuses any other before the store is written; the sender refuses
to use one that got into the table some other way."""

from typing import Any

import pytest

from nudge.adapters.gateway_accounts import gateway_for
from nudge.adapters.gateways.transport import PRODUCTION
from nudge.errors import InvalidPayload
from nudge.store_settings import put_store
from nudge.stores import GATEWAY_HOSTS, Store, gateway_url_problem

LOCAL_EMULATOR = "http://gateway.nudge.local"


class Stores:
    def __init__(self) -> None:
        self.items: dict[str, Store] = {}

    def get(self, store_id: str) -> Store | None:
        return self.items.get(store_id)

    def put(self, store: Store) -> None:
        self.items[store.store_id] = store


class Secrets:
    def __init__(self) -> None:
        self.read: list[str] = []

    def get(self, store_id: str, name: str) -> str:
        self.read.append(name)
        return "secret"


def settings(provider: str, base_url: str) -> dict[str, Any]:
    return {"name": "도그데이몰", "platforms": ["nudge"],
            "gateway": {"provider": provider, "account_id": "acct", "base_url": base_url}}  # fmt: skip


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        ("nhn", "https://kakaotalk-bizmessage.api.nhncloudservice.com"),
        ("nhn", "https://api-sms.cloud.toast.com/"),
        ("nhn", "https://sms.api.nhncloudservice.com:443"),
        ("solapi", "https://api.solapi.com"),
    ],
)
def test_the_gateways_own_hosts_are_accepted(provider: str, url: str) -> None:
    assert gateway_url_problem(provider, url) is None
    stores = Stores()
    put_store(stores, "dogday-mall", settings(provider, url))
    assert stores.items["dogday-mall"].gateway.base_url == url  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        ("nhn", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
        ("nhn", "http://kakaotalk-bizmessage.api.nhncloudservice.com"),  # not https
        ("nhn", "https://api.solapi.com"),  # another provider's host
        ("solapi", "https://api.solapi.com.attacker.example"),
        ("solapi", "https://api.solapi.com@attacker.example"),
        ("solapi", "https://attacker.example#@api.solapi.com"),
        ("solapi", "https://attacker.example\\@api.solapi.com"),
        ("solapi", "https://api.solapi.com:8443"),
        ("solapi", "https://api.solapi.com/messages?to=elsewhere"),
        ("solapi", "https://API.SOLAPI.COM"),
        ("solapi", "https://api.solapi.com."),
        ("solapi", "https://localhost"),
        ("solapi", LOCAL_EMULATOR),  # the local emulator, where no deployment names it (AWS)
    ],
)
def test_any_other_address_is_refused_naming_the_field_writing_nothing(provider: str, url: str) -> None:
    stores = Stores()
    with pytest.raises(InvalidPayload) as refused:
        put_store(stores, "dogday-mall", settings(provider, url))
    assert [f.field for f in refused.value.fields] == ["gateway.base_url"]
    assert stores.items == {}


def test_the_deployments_own_gateway_is_accepted_where_the_deployment_names_it() -> None:
    """GatewayBaseUrl: the local runtime's emulator; empty in AWS, where nothing but the hosts is taken."""
    stores = Stores()
    put_store(stores, "dogday-mall", settings("nhn", LOCAL_EMULATOR), deployment_gateway=LOCAL_EMULATOR)
    assert stores.items["dogday-mall"].gateway.base_url == LOCAL_EMULATOR  # type: ignore[union-attr]
    assert gateway_url_problem("nhn", "http://gateway.nudge.local.attacker.example", LOCAL_EMULATOR)


def test_the_production_addresses_are_among_the_hosts_a_store_may_name() -> None:
    assert all(gateway_url_problem(key.split("-")[0], url) is None for key, url in PRODUCTION.items())
    assert set(GATEWAY_HOSTS) == {"nhn", "solapi"}


def test_the_sender_reads_no_secret_and_calls_nothing_for_a_store_written_around_the_check() -> None:
    data = settings("nhn", "http://169.254.169.254")
    store = Store.model_validate({**data, "store_id": "dogday-mall"})  # as a table item could hold it
    secrets = Secrets()
    with pytest.raises(ValueError, match=r"gateway\.base_url"):
        gateway_for(store, secrets, client=None)  # type: ignore[arg-type]
    assert secrets.read == []
    # Where the deployment names its own gateway (the local runtime), that address is used for every store.
    assert gateway_for(store, secrets, client=None, base_url=LOCAL_EMULATOR) is not None  # type: ignore[arg-type]
