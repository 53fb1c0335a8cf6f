"""The schema comes from Alembic revisions, and they agree with the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from predictions.extensions import db

from ..conftest import make_test_app


@pytest.fixture
def empty_database(database_url, tmp_path):
    """An empty database: a file for SQLite, the session's private schema for PostgreSQL."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/migrated.db"
    return database_url


def test_upgrade_empty_database_to_head_matches_models(empty_database):
    app = make_test_app(empty_database)
    runner = app.test_cli_runner()
    try:
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        check = runner.invoke(args=["db", "check"])
        assert check.exit_code == 0, check.output
        # `db check` exits non-zero on any difference; compare_metadata names them.
        with app.app_context(), db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        seeded = runner.invoke(args=["questions", "seed"])
        assert "us-russia-relations: loaded" in seeded.output
    finally:
        downgrade = runner.invoke(args=["db", "downgrade", "base"])
        assert downgrade.exit_code == 0, downgrade.output
        with app.app_context():
            db.engine.dispose()
