"""What the admin API does with a store itself: read its settings (every admin operation starts here: an
unknown store is a 404), replace them (validated before anything is written) and set its secrets."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from nudge.errors import InvalidPayload, NotFound, field_errors
from nudge.ports import ProfileRepository, StoreDirectory
from nudge.stores import Store


class StoreSettings(StoreDirectory, Protocol):
    def put(self, store: Store) -> None: ...


# (store_id, name, value): write one store secret; secrets are never read back out.
SecretWriter = Callable[[str, str, str], None]


@dataclass(frozen=True, slots=True)
class StoreDependencies:
    stores: StoreSettings
    profiles: ProfileRepository  # a member import writes the store's first profiles
    write_secret: SecretWriter


def get_store(stores: StoreDirectory, store_id: str) -> Store:
    store = stores.get(store_id)
    if store is None:
        raise NotFound(f"unknown store {store_id!r}")
    return store


def put_store(stores: StoreSettings, store_id: str, payload: Any) -> Store:
    data = {**payload, "store_id": store_id} if isinstance(payload, dict) else payload
    try:
        store = Store.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload("store settings are not valid", field_errors(exc)) from exc
    stores.put(store)
    return store


def put_secret(deps: StoreDependencies, store_id: str, name: str, value: str) -> None:
    get_store(deps.stores, store_id)
    deps.write_secret(store_id, name, value)
