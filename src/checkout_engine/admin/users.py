"""Staff accounts for the dashboard: an email, a role and an argon2id password hash."""

from __future__ import annotations

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from checkout_engine.admin.roles import Principal, Role
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import staff_users
from checkout_engine.errors import Conflict, Invalid
from checkout_engine.ids import new_id

HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
# Verified when the email is unknown, so a wrong email costs as much time as a wrong password.
_DUMMY_HASH = HASHER.hash("not a real password at all")


def create(conn: sa.Connection, *, email: str, role: Role, password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"A staff password has at least {MIN_PASSWORD_LENGTH} characters.", code="weak_password")
    email = email.strip().lower()
    if conn.execute(sa.select(staff_users.c.id).where(staff_users.c.email == email)).first() is not None:
        raise Conflict(f"A staff account for {email} already exists.", code="staff_user_exists")
    user_id = new_id("usr")
    conn.execute(
        staff_users.insert().values(
            id=user_id, email=email, role=role.label, password_hash=HASHER.hash(password), created_at=utcnow()
        )
    )
    return user_id


def authenticate(conn: sa.Connection, email: str, password: str) -> Principal | None:
    row = conn.execute(
        sa.select(staff_users.c.email, staff_users.c.role, staff_users.c.password_hash).where(
            staff_users.c.email == email.strip().lower(), staff_users.c.disabled_at.is_(None)
        )
    ).first()
    try:
        HASHER.verify(row.password_hash if row else _DUMMY_HASH, password)
    except VerificationError:
        return None
    return Principal(f"user:{row.email}", Role.parse(row.role)) if row else None
