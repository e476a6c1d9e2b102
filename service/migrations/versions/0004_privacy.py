"""privacy: consent, audit, erasure

Revision ID: 0004_privacy
Revises: 0003_idempotency
Create Date: 2026-12-01 21:09:11.106727
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_privacy"
down_revision: str | None = "0003_idempotency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


AUDIT_TABLES = ("audit_event", "audit_subject")

# The audit log is append-only in the database itself, not only by convention.  (A later
# batch migration that recreates these tables on SQLite must recreate the triggers.)
SQLITE_TRIGGER = """CREATE TRIGGER {table}_append_only_{op} BEFORE {op} ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"""
PG_FUNCTION = """CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"""
PG_TRIGGER = """CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION audit_append_only()"""
PG_NO_TRUNCATE = """CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"""


def _append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in AUDIT_TABLES:
            op.execute(PG_TRIGGER.format(table=table))
            op.execute(PG_NO_TRUNCATE.format(table=table))
    else:
        for table in AUDIT_TABLES:
            for operation in ("UPDATE", "DELETE"):
                op.execute(SQLITE_TRIGGER.format(table=table, op=operation))


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("resource_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("resource_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("subject_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_key_id"), ["key_id"], unique=False)

    op.create_table(
        "erased_seeker",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("erased_month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("registered_month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column(
            "registered_by_role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("sex", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("age_band", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("hukou", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("education", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column(
            "priority_groups",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erased_seeker")),
    )
    with op.batch_alter_table("erased_seeker", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erased_seeker_district_code"), ["district_code"], unique=False
        )

    op.create_table(
        "audit_subject",
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("seeker_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["audit_event.id"], name=op.f("fk_audit_subject_event_id_audit_event")
        ),
        sa.PrimaryKeyConstraint("event_id", "seeker_id", name=op.f("pk_audit_subject")),
    )
    with op.batch_alter_table("audit_subject", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_subject_seeker_id"), ["seeker_id"], unique=False)

    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seeker_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("sensitive_data", sa.Boolean(), nullable=False),
        sa.Column("share_with_employers", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["seeker_id"], ["seeker.id"], name=op.f("fk_consent_record_seeker_id_seeker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
    )
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_record_seeker_id"), ["seeker_id"], unique=False
        )

    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("resource", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_idempotency_record_resource"), ["resource"], unique=False
        )

    # Keys act for an owner: their own id, or the owner of the key they replace.
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owner_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
    op.execute("UPDATE api_key SET owner_id = id")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.alter_column(
            "owner_id", existing_type=sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        )
        batch_op.create_index(batch_op.f("ix_api_key_owner_id"), ["owner_id"], unique=False)

    _append_only()
    # Seekers registered before this revision: their current consent opens the history.
    op.execute(
        "INSERT INTO consent_record (seeker_id, sensitive_data, share_with_employers, "
        "recorded_at, recorded_by) SELECT id, consent_sensitive_data, "
        "consent_share_with_employers, consent_recorded_at, consent_recorded_by "
        "FROM seeker"
    )


def downgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_owner_id"))
        batch_op.drop_column("owner_id")

    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_record_resource"))
        batch_op.drop_column("resource")

    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_record_seeker_id"))

    op.drop_table("consent_record")
    with op.batch_alter_table("audit_subject", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_subject_seeker_id"))

    op.drop_table("audit_subject")
    with op.batch_alter_table("erased_seeker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erased_seeker_district_code"))

    op.drop_table("erased_seeker")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_key_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))

    op.drop_table("audit_event")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_append_only()")
