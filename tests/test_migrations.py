"""The migrations are the schema: they build it, take it down again, and match the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from service.migrate import downgrade, upgrade
from tests.conftest import TABLES


def test_upgrade_downgrade_round_trip(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    downgrade(db_url, "base")
    assert not set(TABLES) & set(sa.inspect(engine).get_table_names())
    upgrade(db_url)
    assert set(TABLES) <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


def test_models_and_migrations_agree(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == [], "the models changed without a migration: " + repr(diff)
