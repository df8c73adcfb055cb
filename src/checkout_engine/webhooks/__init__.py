"""Webhook ingestion: verify the signature on the raw body, store, deduplicate, process in a worker."""
