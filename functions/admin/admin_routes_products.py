"""The admin API's product routes: the store's product catalog as the platforms' product webhooks left it
(nudge.products; docs/products.md). Read only: the catalog is written by the platforms, not by a marketer.

Both are a store's routes (`{store_id}` in the path): a caller administers them for the stores its IAM
principal's `nudge:stores` tag names (admin_access decides before the route runs)."""

from typing import Annotated, Any

from admin_contract import StorePath, answers
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from nudge.adapters.wiring import product_catalog, store_dependencies
from nudge.store_settings import get_store

router = APIGatewayHttpRouter()

ProductPath = Annotated[
    str, Path(min_length=1, max_length=200, description="The product's id on the store's platform")
]
Limit = Annotated[int, Query(ge=1, le=100, description="At most this many products (default 50)")]
After = Annotated[
    str | None,
    Query(min_length=1, max_length=200, description="After this product id (the last page's `next`)"),
]


@router.get(
    "/admin/stores/<store_id>/products",
    summary="The store's product catalog, by product id, a page at a time",
    description=(
        "Each product as the platforms last described it (name, price, sale price, stock, selling, display, "
        "sold out, categories), with `available` (a customer can buy it now), `effective_price` (what a "
        "customer pays) and `updated_at` (the platform's time of the last change). `next`: the `after` of "
        "the next page, null at the end. No personal data: who waits for a product is not shown."
    ),
    tags=["products"],
    responses=answers(200, "A page of products"),
)
def list_products(store_id: StorePath, limit: Limit = 50, after: After = None) -> dict[str, Any]:
    get_store(store_dependencies().stores, store_id)
    return product_catalog().page(store_id, after, limit)


@router.get(
    "/admin/stores/<store_id>/products/<product_id>",
    summary="One product of the store's catalog",
    tags=["products"],
    responses=answers(200, "The product", missing="Unknown store or product"),
)
def get_product(store_id: StorePath, product_id: ProductPath) -> dict[str, Any]:
    get_store(store_dependencies().stores, store_id)
    return product_catalog().product(store_id, product_id)
