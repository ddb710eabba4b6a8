"""Ingest: platform webhooks, the storefront tracker and member imports, written to profiles."""
