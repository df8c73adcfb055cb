"""Payment attempts by creation time: the pending sweep pages them in the order the provider lists intents.

Revision ID: 9a6e2d4c8b17
Revises: 3f8d2c61a9e4
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9a6e2d4c8b17"
down_revision: str | None = "3f8d2c61a9e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_payment_attempts_created_at", "payment_attempts", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_payment_attempts_created_at", table_name="payment_attempts")
