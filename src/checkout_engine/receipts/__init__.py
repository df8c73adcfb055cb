"""Receipts: one message record per paid order (an outbox row a shop connects to its mailer), re-sendable."""
