"""The schema comes from Alembic revisions, and they agree with the models."""

import uuid

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from predictions.extensions import db

from ..conftest import POSTGRES_URL, make_test_app, with_schema

FIRST_REVISION = "7897a4e1bec9"


@pytest.fixture
def empty_database(database_url, tmp_path):
    """An empty database: a file for SQLite, a schema of its own for PostgreSQL."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/migrated.db"
        return
    schema = f"migrate_{uuid.uuid4().hex[:12]}"
    url = make_url(POSTGRES_URL)
    conninfo = {
        "host": url.host,
        "port": url.port or 5432,
        "user": url.username,
        "dbname": url.database,
    }
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield with_schema(POSTGRES_URL, schema)
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def migrated_app(empty_database):
    app = make_test_app(empty_database)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def run(app, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output


def test_upgrade_empty_database_to_head_matches_models(migrated_app):
    run(migrated_app, "db", "upgrade")
    with migrated_app.app_context():
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        # `db check` exits non-zero on any difference; compare_metadata names them.
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
    run(migrated_app, "db", "check")
    run(migrated_app, "questions", "seed")
    run(migrated_app, "db", "downgrade", "base")


def test_migrated_audit_log_refuses_update_and_delete(migrated_app):
    run(migrated_app, "db", "upgrade")
    with migrated_app.app_context():
        db.session.execute(
            text(
                "INSERT INTO moderation_actions (created_at, action) "
                "VALUES (CURRENT_TIMESTAMP, 'approve')"
            )
        )
        db.session.commit()
        for statement in (
            "UPDATE moderation_actions SET note = 'x'",
            "DELETE FROM moderation_actions",
        ):
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.execute(text("SELECT count(*) FROM moderation_actions")).scalar() == 1


def test_counts_are_backfilled_for_forecasts_made_before_the_counts_existed(migrated_app):
    run(migrated_app, "db", "upgrade", FIRST_REVISION)
    with migrated_app.app_context():
        # Written as that revision's schema stood (today's models have more columns).
        db.session.execute(
            text(
                "INSERT INTO questions (id, slug, title, summary, source_name, source_url, "
                "closing_question, faq, status, moderation_mode, created_at) VALUES "
                "(1, 'q', 'Q', 'S', 'N', 'https://x', 'C?', '[]', 'open', 'pre', CURRENT_TIMESTAMP)"
            )
        )
        for key in ("a", "b", "c"):
            db.session.execute(
                text(
                    "INSERT INTO scenarios (question_id, key, label, baseline, impact, "
                    "resolution_criteria, position) VALUES (1, :k, :k, 50, '', '', 0)"
                ),
                {"k": key},
            )
        scenario_id = db.session.execute(text("SELECT min(id) FROM scenarios")).scalar()
        for reader, banned in (("a", None), ("b", None), ("c", "2026-01-01")):
            db.session.execute(
                text(
                    "INSERT INTO readers (id, created_at, banned_at) "
                    "VALUES (:id, CURRENT_TIMESTAMP, :banned)"
                ),
                {"id": reader, "banned": banned},
            )
        rows = [("a", 30, None), ("a", 35, "2026-01-02"), ("b", 30, None), ("c", 30, None)]
        for reader, percent, ended in rows:
            db.session.execute(
                text(
                    "INSERT INTO forecasts (reader_id, question_id, scenario_id, percent, "
                    "created_at, ended_at) VALUES (:r, 1, :s, :p, CURRENT_TIMESTAMP, :e)"
                ),
                {"r": reader, "s": scenario_id, "p": percent, "e": ended},
            )
        db.session.commit()
    run(migrated_app, "db", "upgrade")
    with migrated_app.app_context():
        counts = dict(
            db.session.execute(
                text(
                    "SELECT percent, count FROM scenario_counts "
                    "WHERE scenario_id = :s AND count > 0"
                ),
                {"s": scenario_id},
            ).all()
        )
        total_rows = db.session.execute(text("SELECT count(*) FROM scenario_counts")).scalar()
    assert counts == {30: 2}  # the ended and the banned forecasts are not counted
    assert total_rows == 3 * 99


def test_existing_moderators_get_random_session_tokens_and_the_column_can_go(migrated_app):
    run(migrated_app, "db", "upgrade", "4fd1ce9744fd")
    with migrated_app.app_context():
        for name in ("mia", "ada"):
            db.session.execute(
                text(
                    "INSERT INTO moderators (name, password_hash, is_admin, created_at) "
                    "VALUES (:name, 'hash', false, CURRENT_TIMESTAMP)"
                ),
                {"name": name},
            )
        db.session.commit()
    run(migrated_app, "db", "upgrade")
    with migrated_app.app_context():
        tokens = db.session.execute(text("SELECT session_token FROM moderators")).scalars().all()
        db.session.commit()
    assert len(tokens) == len(set(tokens)) == 2
    assert all(len(token) >= 43 for token in tokens)  # 32 random bytes each
    run(migrated_app, "db", "downgrade", "4fd1ce9744fd")
    with migrated_app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("moderators")}
        names = db.session.execute(text("SELECT name FROM moderators")).scalars().all()
        db.session.commit()
    assert "session_token" not in columns
    assert sorted(names) == ["ada", "mia"]
    run(migrated_app, "db", "upgrade")


def test_admins_keep_every_right_as_role_admin_and_back(migrated_app):
    run(migrated_app, "db", "upgrade", "5b1e7c3d9a20")
    with migrated_app.app_context():
        for name, is_admin in (("mia", False), ("ada", True)):
            db.session.execute(
                text(
                    "INSERT INTO moderators (name, password_hash, is_admin, created_at, "
                    "session_token) VALUES (:name, 'hash', :admin, CURRENT_TIMESTAMP, :name)"
                ),
                {"name": name, "admin": is_admin},
            )
        db.session.commit()
    run(migrated_app, "db", "upgrade", "e4a7c2b91d06")
    with migrated_app.app_context():
        roles = dict(db.session.execute(text("SELECT name, role FROM moderators")).all())
        db.session.execute(text("UPDATE moderators SET role = 'editor' WHERE name = 'mia'"))
        db.session.commit()
    assert roles == {"mia": "moderator", "ada": "admin"}
    run(migrated_app, "db", "downgrade", "5b1e7c3d9a20")
    with migrated_app.app_context():
        admins = dict(db.session.execute(text("SELECT name, is_admin FROM moderators")).all())
        db.session.commit()
    assert admins == {"mia": False, "ada": True}  # an editor was no admin
    run(migrated_app, "db", "upgrade")


def test_questions_that_existed_are_published_when_they_were_created(migrated_app):
    run(migrated_app, "db", "upgrade", "e3a91c7d2b14")
    with migrated_app.app_context():
        db.session.execute(
            text(
                "INSERT INTO questions (slug, title, summary, source_name, source_url, "
                "closing_question, faq, status, moderation_mode, created_at) VALUES ('q', 'Q', "
                "'S', 'N', 'https://x.example', 'C?', '[]', 'open', 'pre', '2026-11-02 08:00:00')"
            )
        )
        db.session.commit()
        created = db.session.execute(text("SELECT created_at FROM questions")).scalar_one()
    run(migrated_app, "db", "upgrade")
    with migrated_app.app_context():
        published = db.session.execute(text("SELECT published_at FROM questions")).scalar_one()
    assert published == created
    run(migrated_app, "db", "downgrade", "e3a91c7d2b14")
