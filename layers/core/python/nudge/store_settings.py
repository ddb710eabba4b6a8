"""What the admin API does with a store itself: read its settings (every admin operation starts here: an
unknown store is a 404), replace them (validated before anything is written) and set its secrets."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from compliance.links import web_link_problem
from nudge.errors import FieldError, InvalidPayload, NotFound, field_errors
from nudge.ports import ProfileRepository, StoreDirectory
from nudge.stores import Store, gateway_url_problem


class StoreSettings(StoreDirectory, Protocol):
    def put(self, store: Store) -> None: ...


# (store_id, name, value): write one store secret; secrets are never read back out.
SecretWriter = Callable[[str, str, str], None]


@dataclass(frozen=True, slots=True)
class StoreDependencies:
    stores: StoreSettings
    profiles: ProfileRepository  # a member import writes the store's first profiles
    write_secret: SecretWriter
    # The deployment's own gateway address (GatewayBaseUrl: the local runtime's emulator; empty in AWS), the
    # one address besides the providers' hosts a store's gateway.base_url may name.
    deployment_gateway: str | None = None


def get_store(stores: StoreDirectory, store_id: str) -> Store:
    store = stores.get(store_id)
    if store is None:
        raise NotFound(f"unknown store {store_id!r}")
    return store


def put_store(
    stores: StoreSettings, store_id: str, payload: Any, deployment_gateway: str | None = None
) -> Store:
    data = {**payload, "store_id": store_id} if isinstance(payload, dict) else payload
    try:
        store = Store.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload("store settings are not valid", field_errors(exc)) from exc
    if store.login_return_url is not None:
        problem = web_link_problem(store.login_return_url.replace("{url}", ""))
        if problem is not None:
            raise InvalidPayload("store settings are not valid", [FieldError("login_return_url", problem)])
    account = store.gateway
    if account is not None and account.base_url is not None:
        problem = gateway_url_problem(account.provider, account.base_url, deployment_gateway)
        if problem is not None:
            raise InvalidPayload("store settings are not valid", [FieldError("gateway.base_url", problem)])
    stores.put(store)
    return store


def put_secret(deps: StoreDependencies, store_id: str, name: str, value: str) -> None:
    get_store(deps.stores, store_id)
    deps.write_secret(store_id, name, value)
