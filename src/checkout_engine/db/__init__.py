"""Persistence: table definitions, engines, the unit of work and schema migrations."""
