"""Staff API keys: created with a role, shown once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from checkout_engine.admin.roles import Principal, Role
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import api_keys
from checkout_engine.errors import Conflict, NotFound
from checkout_engine.ids import new_id

KEY_PREFIX = "ce_sk_"
KEY_BYTES = 32  # 256 bits


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    role: Role
    key_prefix: str
    created_at: datetime
    revoked_at: datetime | None


def _hash(key: str) -> str:
    # A fast hash is enough: the key is 256 random bits, not a password a person chose.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create(conn: sa.Connection, *, name: str, role: Role) -> tuple[ApiKey, str]:
    """A new key; the plain key is returned once and never stored."""
    if conn.execute(sa.select(api_keys.c.id).where(api_keys.c.name == name)).first() is not None:
        raise Conflict(f"An API key named {name!r} already exists.", code="api_key_exists")
    plain = KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)
    record = ApiKey(new_id("key"), name, role, plain[: len(KEY_PREFIX) + 4], utcnow(), None)
    conn.execute(
        api_keys.insert().values(
            id=record.id,
            name=name,
            role=role.label,
            key_hash=_hash(plain),
            key_prefix=record.key_prefix,
            created_at=record.created_at,
        )
    )
    return record, plain


def revoke(conn: sa.Connection, name: str) -> None:
    revoked = conn.execute(
        api_keys.update()
        .where(api_keys.c.name == name, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(api_keys.c.id)
    ).first()
    if revoked is None:
        raise NotFound(f"No active API key named {name!r}.", code="api_key_not_found")


def listed(conn: sa.Connection) -> list[ApiKey]:
    rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at))
    return [ApiKey(r.id, r.name, Role.parse(r.role), r.key_prefix, r.created_at, r.revoked_at) for r in rows]


def authenticate(conn: sa.Connection, key: str) -> Principal | None:
    row = conn.execute(
        sa.select(api_keys.c.name, api_keys.c.role).where(
            api_keys.c.key_hash == _hash(key), api_keys.c.revoked_at.is_(None)
        )
    ).first()
    return Principal(f"key:{row.name}", Role.parse(row.role)) if row else None
