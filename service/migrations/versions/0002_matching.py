"""matching: change log, restricted vacancies

Revision ID: 0002_matching
Revises: 0001_registry
Create Date: 2026-11-23 16:19:51.558913
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_matching"
down_revision: str | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("entity_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_log")),
    )
    with op.batch_alter_table("vacancy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("vacancy", schema=None) as batch_op:
        batch_op.drop_column("restricted")

    op.drop_table("change_log")
