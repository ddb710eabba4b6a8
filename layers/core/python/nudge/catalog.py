"""Reading the catalog (a store's saved segments, campaigns, automations …) the one way: each model names
the kind it is filed under and how its saved document becomes one, so an area asks for a model, not for a
kind and a dict, and a missing item is the same NotFound everywhere ("unknown campaign 'x'").

Generic on purpose: the kernel knows no business area, so a model (or an area's narrower view of one, such
as the sender's view of a campaign's message) carries its kind."""

from typing import Any, ClassVar, Protocol, Self, TypeVar

from nudge.errors import NotFound


class CatalogItems(Protocol):
    """The read every catalog offers (nudge.ports.Catalog, and each area's narrower reader)."""

    def get(self, store_id: str, kind: str, item_id: str) -> dict[str, Any] | None: ...


class Stored(Protocol):
    """A model kept in the catalog."""

    catalog_kind: ClassVar[str]

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Self:
        """The model from its saved document; pydantic's ValidationError when it is not one."""
        ...


M = TypeVar("M", bound=Stored)


def unknown(model: type[Stored], item_id: str) -> NotFound:
    """The 404 for an item of this kind that is not there (read, or gone before a write)."""
    return NotFound(f"unknown {model.catalog_kind} {item_id!r}")


def read(catalog: CatalogItems, store_id: str, model: type[M], item_id: str) -> M | None:
    """The item as a model, None when there is none. A document that does not validate raises
    ValidationError: it was validated when saved, so that is a fault, not an answer."""
    document = catalog.get(store_id, model.catalog_kind, item_id)
    return None if document is None else model.from_document(document)


def read_or_404(catalog: CatalogItems, store_id: str, model: type[M], item_id: str) -> M:
    found = read(catalog, store_id, model, item_id)
    if found is None:
        raise unknown(model, item_id)
    return found


def document_or_404(
    catalog: CatalogItems, store_id: str, model: type[Stored], item_id: str
) -> dict[str, Any]:
    """The saved document as it is (what the admin API answers, not re-validated), or NotFound."""
    document = catalog.get(store_id, model.catalog_kind, item_id)
    if document is None:
        raise unknown(model, item_id)
    return document


def exists(catalog: CatalogItems, store_id: str, model: type[Stored], item_id: str) -> bool:
    return catalog.get(store_id, model.catalog_kind, item_id) is not None
