"""model registry: model versions (artifact bytes, metrics, training window) and their
activations; referrals indexed by model version for the registry's monitoring

Revision ID: 0007_model_registry
Revises: 0006_casework
Create Date: 2026-12-03 15:02:32.310643
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_model_registry"
down_revision: str | None = "0006_casework"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_version",
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("window_from", sa.Date(), nullable=True),
        sa.Column("window_to", sa.Date(), nullable=True),
        sa.Column("window_referrals", sa.Integer(), nullable=False),
        sa.Column("window_placements", sa.Integer(), nullable=False),
        sa.Column("window_outcomes", sa.Integer(), nullable=False),
        sa.Column(
            "metrics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("artifact", sa.LargeBinary(), nullable=False),
        sa.Column(
            "bundle_meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_model_version")),
    )
    op.create_table(
        "model_activation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("supersedes", sa.Integer(), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("previous_version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["version"],
            ["model_version.version"],
            name=op.f("fk_model_activation_version_model_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_activation")),
        sa.UniqueConstraint("supersedes", name=op.f("uq_model_activation_supersedes")),
    )
    with op.batch_alter_table("model_activation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_activation_version"), ["version"], unique=False)

    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_model_version", ["model_version", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_model_version")

    with op.batch_alter_table("model_activation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_activation_version"))

    op.drop_table("model_activation")
    op.drop_table("model_version")
