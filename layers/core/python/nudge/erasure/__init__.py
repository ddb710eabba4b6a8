"""Erasing a customer (PIPA): everything that names them, and an audit record that does not."""
