"""Storefront platforms: each turns its webhook into a `Delivery` of normalized events."""
