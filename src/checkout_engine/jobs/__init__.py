"""The job outbox and the worker that drains it."""
