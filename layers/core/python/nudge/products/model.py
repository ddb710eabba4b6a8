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

    @property
    def effective_price(self) -> Decimal | None:
        if self.sale_price is not None and (self.price is None or self.sale_price < self.price):
            return self.sale_price
        return self.price

    @property
    def updated(self) -> datetime:
        return self.updated_at
