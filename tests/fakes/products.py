"""The product catalog's storage (nudge.products.service.ProductStore) in memory, with the DynamoDB adapter's
semantics: a version-checked write, reads that copy, watchers keyed by product, kind and customer."""

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nudge.products.service import StoredProduct, Watcher

if TYPE_CHECKING:
    from nudge.products.service import ProductStore


@dataclass
class InMemoryProductStore:
    products: dict[tuple[str, str], StoredProduct] = field(default_factory=dict)
    # (store, product, kind, customer) -> the watcher
    watching: dict[tuple[str, str, str, str], Watcher] = field(default_factory=dict)
    items: dict[tuple[str, str], str] = field(default_factory=dict)  # (store, inventory item) -> product
    # Simulates another writer changing the product between its read and its write, this many times.
    interleaved_writes: int = 0
    reads: int = 0  # get_many calls (a BatchGetItem each in DynamoDB)
    writes: int = 0

    def get_many(
        self, store_id: str, product_ids: Collection[str], *, consistent: bool = False
    ) -> dict[str, StoredProduct]:
        self.reads += 1
        return {p: found for p in product_ids if (found := self.products.get((store_id, p))) is not None}

    def put(self, store_id: str, product: StoredProduct, expected_version: int) -> bool:
        key = (store_id, product.product.product_id)
        if self.interleaved_writes:
            self.interleaved_writes -= 1
            stored = self.products.get(key)
            if stored is not None:
                self.products[key] = StoredProduct(stored.product, stored.version + 1, stored.change)
        current = self.products.get(key)
        if (current.version if current else 0) != expected_version:
            return False
        self.products[key] = product
        self.writes += 1
        return True

    def page(self, store_id: str, after: str | None, limit: int) -> tuple[list[StoredProduct], str | None]:
        ids = sorted(p for s, p in self.products if s == store_id and (after is None or p > after))
        chosen = ids[:limit]
        return [self.products[(store_id, p)] for p in chosen], (chosen[-1] if len(ids) > limit else None)

    def watchers(self, store_id: str, product_id: str) -> list[Watcher]:
        return [w for (s, p, _, _), w in self.watching.items() if s == store_id and p == product_id]

    def watch(self, store_id: str, watchers: list[Watcher]) -> None:
        for w in watchers:
            self.watching[(store_id, w.product_id, w.kind, w.customer_id)] = w

    def forget_customer(self, store_id: str, customer_id: str) -> int:
        keys = [k for k in self.watching if k[0] == store_id and k[3] == customer_id]
        for key in keys:
            del self.watching[key]
        return len(keys)

    def inventory_owners(self, store_id: str, item_ids: Collection[str]) -> dict[str, str]:
        return {i: p for i in item_ids if (p := self.items.get((store_id, i))) is not None}

    def own_inventory(self, store_id: str, product_id: str, item_ids: Collection[str]) -> None:
        for item in item_ids:
            self.items[(store_id, item)] = product_id


if TYPE_CHECKING:  # mypy holds the fake to the Protocol it stands in for
    _store: ProductStore = InMemoryProductStore()
