"""The Alembic migrations build exactly the schema the models describe (on SQLite, and on
PostgreSQL when TEST_DATABASE_URL names one, as in CI's second pass)."""

from __future__ import annotations

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import create_app
from app.config import TestConfig
from app.extensions import db


def test_migrations_match_models(tmp_path):
    """Upgrading an empty database gives the models' schema, and downgrading empties it."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'm.sqlite'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                differences = compare_metadata(context, db.metadata)
            assert differences == []
            downgrade(revision="base")
            with db.engine.connect() as connection:
                tables = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
            assert tables == set()
        finally:
            with db.engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.engine.dispose()
