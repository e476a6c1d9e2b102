"""idempotency leases: a claim left by a dead process can be taken over

Revision ID: 0005_idempotency_lease
Revises: 0004_privacy
Create Date: 2026-12-03 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_idempotency_lease"
down_revision: str | None = "0004_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimant", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
    # Claims made before leases existed have no process renewing them: already expired.
    op.execute("UPDATE idempotency_record SET lease_expires_at = created_at")
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.alter_column(
            "lease_expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("claimant")
