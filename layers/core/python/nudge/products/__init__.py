"""The store's product catalog: what a cart line, an order line and a message about a product name."""
