"""registry: api keys, employers, vacancies, seekers

Revision ID: 0001_registry
Revises: (none)
Create Date: 2026-11-23 15:51:53.833622
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_registry"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "api_key",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key_key_hash")),
    )
    op.create_table(
        "employer",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("owner_key_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("credit_code", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column(
            "credit_code_warning", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True
        ),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("staff_count", sa.Integer(), nullable=False),
        sa.Column("disabled_staff", sa.Integer(), nullable=False),
        sa.Column("severe_disabled_staff", sa.Integer(), nullable=False),
        sa.Column("average_annual_wage", sa.Float(), nullable=True),
        sa.Column("established_posts", sa.Integer(), nullable=True),
        sa.Column(
            "accessibility",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employer")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_employer_credit_code")),
    )
    with op.batch_alter_table("employer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_employer_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_employer_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_employer_owner_key_id"), ["owner_key_id"], unique=False
        )

    op.create_table(
        "seeker",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("owner_key_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("name_enc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("id_number_enc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("id_number_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("certificate_enc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("phone_enc", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("hukou", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("education", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("graduation_date", sa.Date(), nullable=True),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("experience_years", sa.Float(), nullable=True),
        sa.Column(
            "abilities_assessed",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.Column("assessor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column(
            "required_accommodations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "preferences",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("hard_to_employ", sa.Boolean(), nullable=False),
        sa.Column("poverty_monitoring", sa.Boolean(), nullable=False),
        sa.Column("consent_sensitive_data", sa.Boolean(), nullable=False),
        sa.Column("consent_share_with_employers", sa.Boolean(), nullable=False),
        sa.Column("consent_recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "consent_recorded_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        ),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seeker")),
        sa.UniqueConstraint("id_number_hash", name=op.f("uq_seeker_id_number_hash")),
        sa.UniqueConstraint(
            "owner_key_id", "external_id", name=op.f("uq_seeker_owner_key_id_external_id")
        ),
    )
    with op.batch_alter_table("seeker", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seeker_category"), ["category"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_seeker_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_seeker_owner_key_id"), ["owner_key_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_seeker_status"), ["status"], unique=False)

    op.create_table(
        "vacancy",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("owner_key_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("employer_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("occupation_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "demands",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "accommodations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("work_mode", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("employment_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("salary_min", sa.Integer(), nullable=False),
        sa.Column("salary_max", sa.Integer(), nullable=False),
        sa.Column("education_min", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("openings", sa.Integer(), nullable=False),
        sa.Column("targeted", sa.Boolean(), nullable=False),
        sa.Column(
            "priority_groups",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("public_welfare", sa.Boolean(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employer.id"], name=op.f("fk_vacancy_employer_id_employer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancy")),
        sa.UniqueConstraint(
            "owner_key_id", "external_id", name=op.f("uq_vacancy_owner_key_id_external_id")
        ),
    )
    with op.batch_alter_table("vacancy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vacancy_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_vacancy_employer_id"), ["employer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vacancy_status"), ["status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("vacancy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vacancy_status"))
        batch_op.drop_index(batch_op.f("ix_vacancy_employer_id"))
        batch_op.drop_index(batch_op.f("ix_vacancy_district_code"))

    op.drop_table("vacancy")
    with op.batch_alter_table("seeker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seeker_status"))
        batch_op.drop_index(batch_op.f("ix_seeker_owner_key_id"))
        batch_op.drop_index(batch_op.f("ix_seeker_district_code"))
        batch_op.drop_index(batch_op.f("ix_seeker_category"))

    op.drop_table("seeker")
    with op.batch_alter_table("employer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employer_owner_key_id"))
        batch_op.drop_index(batch_op.f("ix_employer_kind"))
        batch_op.drop_index(batch_op.f("ix_employer_district_code"))

    op.drop_table("employer")
    op.drop_table("api_key")
