"""Fixtures: an app per test on a fresh database (SQLite, and PostgreSQL when it answers)."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import make_url

from predictions import create_app
from predictions.config import database_uri
from predictions.extensions import db
from predictions.services import questions

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
SEED_SLUG = "us-russia-relations"

# In-process tests run with the clock stopped at one instant: TEST_NOW (ISO 8601) when set,
# else mid-afternoon UTC on a day after the seed question opened. No test reads the machine's
# clock, so the suite passes at any hour; CI also runs it at 23:59:57 and 00:00:02.
FIXED_NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def chosen_now() -> datetime:
    """The instant the in-process tests run at."""
    if text := os.environ.get("TEST_NOW"):
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return FIXED_NOW


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Traveller | None]:
    """The stopped clock a test runs at (move it with clock.shift); real servers keep real time."""
    if request.node.get_closest_marker("e2e"):
        yield None
        return
    with time_machine.travel(chosen_now(), tick=False) as traveller:
        yield traveller


def postgres_base_url() -> str | None:
    """The PostgreSQL URL to test against, or None when no server answers."""
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)
    try:
        sa_url = make_url(database_uri(url))
        psycopg.connect(
            host=sa_url.host,
            port=sa_url.port or 5432,
            user=sa_url.username,
            dbname=sa_url.database,
            password=sa_url.password,
            connect_timeout=2,
        ).close()
    except (psycopg.Error, ValueError):
        if os.environ.get("REQUIRE_POSTGRES"):
            raise
        return None
    return database_uri(url)


POSTGRES_URL = postgres_base_url()
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def with_schema(url: str, schema: str) -> str:
    """The URL whose connections see only this schema."""
    return str(make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}))


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A private schema per test session, so parallel runs never meet."""
    assert POSTGRES_URL
    schema = f"test_{uuid.uuid4().hex[:12]}"
    sa_url = make_url(POSTGRES_URL)
    conninfo = dict(
        host=sa_url.host,
        port=sa_url.port or 5432,
        user=sa_url.username,
        dbname=sa_url.database,
        password=sa_url.password,
    )
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test runs once per available database."""
    if request.param == "sqlite":
        return "sqlite://"
    return with_schema(POSTGRES_URL, request.getfixturevalue("postgres_schema"))


def make_test_app(database_url: str, **overrides) -> Flask:
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "CROWD_CACHE_SECONDS": 0,  # every request reads the counts unless a test is about it
        "CROWD_REFRESH_IN_BACKGROUND": False,  # no thread outlives a test
        # Ids restart with every test database: a shared Redis must not mix their entries.
        "AGGREGATE_CACHE_PREFIX": f"test:{uuid.uuid4().hex}:",
    }
    return create_app({**config, **overrides})


@pytest.fixture
def app_config() -> dict:
    """Per-test overrides of the app's configuration (override this fixture to change)."""
    return {}


@pytest.fixture(scope="session")
def postgres_tables(postgres_schema: str) -> str:
    """The session's PostgreSQL schema with every table created once."""
    url = with_schema(POSTGRES_URL, postgres_schema)
    app = make_test_app(url)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


@pytest.fixture
def app(database_url: str, app_config: dict, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """A fresh database per test: a new in-memory SQLite, or emptied PostgreSQL tables."""
    on_postgres = database_url.startswith("postgresql")
    if on_postgres:
        request.getfixturevalue("postgres_tables")
    app = make_test_app(database_url, **app_config)
    if not on_postgres:
        with app.app_context():
            db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if on_postgres:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def seed(app: Flask) -> str:
    """The seed question, loaded; returns its slug."""
    with app.app_context():
        questions.load_seed()
        db.session.commit()
    return SEED_SLUG


def table_counts(app: Flask) -> dict[str, int]:
    """Row counts of the tables a reader's actions write to."""
    from predictions.models import (
        Comment,
        CommentRevision,
        Flag,
        Forecast,
        ModerationAction,
        Reader,
    )

    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(db.select(db.func.count()).select_from(model))
            for model in (Reader, Forecast, Comment, CommentRevision, Flag, ModerationAction)
        }


WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def write_statements(app: Flask) -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements the app sends to its database meanwhile."""
    with statements(app, WRITE_STATEMENTS) as seen:
        yield seen


@contextmanager
def statements(app: Flask, kinds: tuple[str, ...]) -> Iterator[list[str]]:
    """The statements of these kinds ("SELECT", …) the app sends to its database meanwhile."""
    seen: list[str] = []

    def watch(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith(kinds):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", watch)


class ApiReader:
    """A reader using the JSON API: remembers the token it was given on its first forecast."""

    def __init__(self, client: FlaskClient, slug: str):
        self.client = client
        self.slug = slug
        self.token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def forecast(self, probabilities: dict, **extra):
        response = self.client.post(
            f"/api/v1/questions/{self.slug}/forecasts",
            json={"probabilities": probabilities, **extra},
            headers=self.headers,
        )
        if response.status_code == 201 and "reader_token" in response.json:
            self.token = response.json["reader_token"]
        return response

    def mine(self):
        return self.client.get(
            f"/api/v1/questions/{self.slug}/forecasts/mine", headers=self.headers
        )

    def withdraw(self, scenario: str | None = None):
        query = f"?scenario={scenario}" if scenario else ""
        return self.client.delete(
            f"/api/v1/questions/{self.slug}/forecasts/mine{query}", headers=self.headers
        )


class PageReader:
    """A reader using the HTML pages with the cookie the site gives them."""

    def __init__(self, client: FlaskClient, slug: str):
        self.client = client
        self.slug = slug

    def page(self):
        return self.client.get(f"/q/{self.slug}")

    def forecast(self, probabilities: dict[str, object], follow: bool = False, **extra):
        form = {"p_" + key.replace("-", "_"): str(value) for key, value in probabilities.items()}
        return self.client.post(f"/q/{self.slug}", data={**form, **extra}, follow_redirects=follow)

    def withdraw(self, scenario: str = "", follow: bool = True, confirm: bool = True):
        """Withdraw one scenario, or all of them (confirmed unless `confirm` is False)."""
        data = {"scenario": scenario, "confirm": "yes" if confirm else ""}
        return self.client.post(f"/q/{self.slug}/withdraw", data=data, follow_redirects=follow)


@pytest.fixture
def api_reader(app: Flask, seed: str) -> ApiReader:
    return ApiReader(app.test_client(), seed)


@pytest.fixture
def page_reader(app: Flask, seed: str) -> PageReader:
    return PageReader(app.test_client(), seed)


# ---- moderators

MODERATOR_PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """argon2id with its cheapest parameters: tests log in often; production keeps RFC 9106's."""
    from argon2 import PasswordHasher, profiles

    from predictions.services import moderators

    production = moderators.hasher
    moderators.hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    moderators.hasher = production


def make_moderator(
    app: Flask, name: str = "mia", admin: bool = False, role: str = "moderator"
) -> int:
    """A moderator account with MODERATOR_PASSWORD (admin=True: role admin); returns its id."""
    from predictions.services import moderators

    with app.app_context():
        role = "admin" if admin else role
        moderator = moderators.create_moderator(name, MODERATOR_PASSWORD, role=role)
        db.session.commit()
        return moderator.id


def make_comment(
    app: Flask,
    body: str = "A considered comment.",
    status: str = "pending",
    reader_id: str | None = None,
    display_name: str | None = None,
    reasons: list[str] | None = None,
    reported: bool = False,
    slug: str = SEED_SLUG,
) -> tuple[int, str]:
    """A comment stored directly (the reader's pipeline is not under test); (id, reader id)."""
    from predictions.models import Comment, utcnow
    from predictions.services import readers

    with app.app_context():
        question = questions.get_by_slug(slug)
        reader = readers.by_id(reader_id) if reader_id else None
        if reader is None:
            reader, _token = readers.create_reader("ip-hash", display_name=display_name)
        comment = Comment(
            question_id=question.id,
            reader_id=reader.id,
            body=body,
            display_name=display_name,
            status=status,
            reasons=reasons if reasons is not None else ["premoderation"],
            forecast_snapshot={},
            reported_at=utcnow() if reported else None,
        )
        db.session.add(comment)
        db.session.commit()
        return comment.id, reader.id


class ModeratorActions:
    """A moderator in a browser (logged in through the form) who can also call the API."""

    def __init__(self, client: FlaskClient, name: str, password: str = MODERATOR_PASSWORD):
        self.client = client
        self.name = name
        self.password = password

    def login(self, password: str | None = None, next: str | None = None, **extra):
        data = {"name": self.name, "password": password or self.password, **extra}
        query = f"?next={next}" if next else ""
        return self.client.post(f"/moderation/login{query}", data=data)

    def logout(self):
        return self.client.post("/moderation/logout", data={"csrf_token": self.csrf_token()})

    def csrf_token(self) -> str:
        import re

        html = self.client.get("/moderation/audit").get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def queue(self, name: str = "pending", page: int = 1):
        return self.client.get(f"/moderation/queue/{name}?page={page}")

    def decide(self, comment_id: int, action: str, expected: str = "pending", **fields):
        data = {"action": action, "expected_status": expected, "queue": expected, **fields}
        return self.client.post(f"/moderation/comments/{comment_id}/decision", data=data)

    def approve(self, comment_id: int, expected: str = "pending", **fields):
        return self.decide(comment_id, "approve", expected, **fields)

    def reject(self, comment_id: int, reason: str = "abuse", expected: str = "pending", **fields):
        return self.decide(comment_id, "reject", expected, reason=reason, **fields)

    def api(self, method: str, path: str, **kwargs):
        """A call to the API with this browser's session cookie and its CSRF token."""
        headers = {"X-CSRFToken": self.csrf_token(), **kwargs.pop("headers", {})}
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


@pytest.fixture
def moderator(app: Flask, seed: str) -> ModeratorActions:
    """A logged-in moderator (not an admin)."""
    make_moderator(app, "mia")
    actions = ModeratorActions(app.test_client(), "mia")
    assert actions.login().status_code == 303
    return actions


@pytest.fixture
def editor(app: Flask, seed: str) -> ModeratorActions:
    """A logged-in editor (questions, not accounts)."""
    make_moderator(app, "eda", role="editor")
    actions = ModeratorActions(app.test_client(), "eda")
    assert actions.login().status_code == 303
    return actions


@pytest.fixture
def admin(app: Flask, seed: str) -> ModeratorActions:
    """A logged-in admin."""
    make_moderator(app, "ada", admin=True)
    actions = ModeratorActions(app.test_client(), "ada")
    assert actions.login().status_code == 303
    return actions


@pytest.fixture
def moderator_token(app: Flask, seed: str) -> str:
    """The personal API token of a moderator called "tom"."""
    from predictions.services import moderators

    make_moderator(app, "tom")
    with app.app_context():
        token = moderators.issue_token(moderators.by_name("tom"))
        db.session.commit()
    return token
