"""Stores and their secrets (nudge.ports.StoreDirectory, SecretStore)."""

from typing import TYPE_CHECKING

from nudge.ports import SecretStore, StoreDirectory
from nudge.stores import Store


class InMemoryStores:
    def __init__(self, stores: list[Store]) -> None:
        self.stores = {s.store_id: s for s in stores}

    def get(self, store_id: str) -> Store | None:
        return self.stores.get(store_id)

    def all(self) -> list[Store]:
        return list(self.stores.values())


class InMemorySecrets:
    def __init__(self, secrets: dict[tuple[str, str], str]) -> None:
        self.secrets = secrets

    def get(self, store_id: str, name: str) -> str | None:
        return self.secrets.get((store_id, name))


if TYPE_CHECKING:  # mypy holds each fake to the Protocols it stands in for
    _stores: StoreDirectory = InMemoryStores([])
    _secrets: SecretStore = InMemorySecrets({})
