"""Writing and reading audit entries. Entries are written in the same transaction as the change they describe."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from checkout_engine.admin.roles import Principal
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import audit_log
from checkout_engine.observability import request_id


def record(
    conn: sa.Connection,
    *,
    principal: Principal,
    action: str,
    target: tuple[str, str],
    reason: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    target_type, target_id = target
    conn.execute(
        audit_log.insert(),
        dict(
            at=utcnow(),
            actor=principal.name,
            role=principal.role.label,
            action=action,
            target_type=target_type,
            target_id=target_id,
            reason=reason,
            before=before,
            after=after,
            request_id=request_id.current(),
        ),
    )


def entries_for(conn: sa.Connection, target_type: str, target_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(audit_log)
        .where(audit_log.c.target_type == target_type, audit_log.c.target_id == target_id)
        .order_by(audit_log.c.id)
    ).mappings()
    return [dict(row) for row in rows]
