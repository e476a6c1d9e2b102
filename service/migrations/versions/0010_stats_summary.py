"""stored statistics summaries and the write generation that says they are current

Revision ID: 0010_stats_summary
Revises: 0009_plan_targets
Create Date: 2026-12-04 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_stats_summary"
down_revision: str | None = "0009_plan_targets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stats_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_generation")),
    )
    op.execute("INSERT INTO stats_generation (id, n) VALUES (1, 0)")
    op.create_table(
        "stats_summary",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_stats_summary")),
    )
    with op.batch_alter_table("stats_summary", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stats_summary_computed_at"), ["computed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stats_summary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stats_summary_computed_at"))
    op.drop_table("stats_summary")
    op.drop_table("stats_generation")
