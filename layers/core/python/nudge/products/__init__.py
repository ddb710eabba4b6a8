"""The store's product catalog: what a cart line, an order line and a message about a product name.

The front door is nudge.products.service: `CatalogService` (the ingest path's ProductCatalog, the admin API's
read of the catalog, an erasure's `forget_customer`) over a `ProductStore` (nudge.adapters.products in AWS).
The records the platforms give are nudge.products.model's. This module imports neither, so that a handler
that only names a ProductRecord (every webhook translation) loads no more than the model. docs/products.md."""
