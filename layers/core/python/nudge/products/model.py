"""A product as a platform describes it, normalized: the shape every platform adapter gives the catalog."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from nudge.profiles.events import Money, NonEmpty, UtcDatetime


def _https(value: str | None) -> str | None:
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError("must be a full http(s):// address")
    return value


Address = Annotated[str | None, Field(max_length=2048), AfterValidator(_https)]


class ProductRecord(BaseModel):
    """What a platform says about one product at `updated_at`. Fields a platform did not send are None and
    leave the catalog's value as it was (a stock-only update keeps the name and the price)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store_id: NonEmpty
    product_id: NonEmpty  # the id carts and orders use: Cafe24's product_no, Shopify's product id
    updated_at: UtcDatetime  # when the platform changed it (order-safe: an older record never wins)
    source: NonEmpty  # "cafe24:90002", "cafe24:api", "shopify:products/update", ...
    name: Annotated[str, Field(min_length=1, max_length=250)] | None = None
    price: Money | None = None  # the selling price
    sale_price: Money | None = None  # a discounted price, when one applies (below `price`)
    image_url: Address = None
    url: Address = None
    category_ids: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] | None = None
    stock: Annotated[int, Field(ge=0)] | None = None  # units left (None: the platform does not track it)
    selling: bool | None = None
    display: bool | None = None
    sold_out: bool | None = None  # the platform's own flag (Cafe24 90150); else derived from `stock`
    # Shopify: the inventory items of the product's variants. An inventory_levels/update names only its item
    # (INVENTORY_ITEM records), so the catalog keeps which product each item belongs to.
    inventory_items: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] | None = None

    @property
    def effective_price(self) -> Decimal | None:
        if self.sale_price is not None and (self.price is None or self.sale_price < self.price):
            return self.sale_price
        return self.price

    @property
    def updated(self) -> datetime:
        return self.updated_at

    @property
    def is_sold_out(self) -> bool:
        """The platform's flag when it sent one; otherwise no units left (a product whose stock is not
        tracked is never sold out)."""
        if self.sold_out is not None:
            return self.sold_out
        return self.stock == 0

    @property
    def available(self) -> bool:
        """A customer can buy it now: not sold out, on sale, shown in the store (None: not said, so not
        held against it)."""
        return not self.is_sold_out and self.selling is not False and self.display is not False

    def merged(self, newer: "ProductRecord") -> "ProductRecord":
        """This product as `newer` says it now: the fields `newer` sent replace these, the others stay. A
        record that sends the stock without the sold-out flag lets the stock decide again (a flag of an
        older record would otherwise outlive a restock)."""
        sent = newer.model_dump(exclude_none=True)
        if newer.stock is not None and newer.sold_out is None:
            sent["sold_out"] = None
        return self.model_copy(update=sent)

    @property
    def inventory_item(self) -> str | None:
        """The Shopify inventory item an INVENTORY_ITEM record is about (None: a record of a product)."""
        prefix, _, item = self.product_id.partition(":")
        return item if prefix == INVENTORY_ITEM and item else None


# An inventory level names only its inventory item (Shopify's inventory_levels/update): such a record's
# product_id is "inventory-item:{id}", and the catalog finds the product the item belongs to.
INVENTORY_ITEM = "inventory-item"


def inventory_item_record(
    store_id: str, inventory_item_id: str, available: int, updated_at: datetime, source: str
) -> ProductRecord:
    """What an inventory level says: units available at one location of the item's product."""
    return ProductRecord(
        store_id=store_id,
        product_id=f"{INVENTORY_ITEM}:{inventory_item_id}",
        updated_at=updated_at,
        source=source,
        stock=max(available, 0),
    )
