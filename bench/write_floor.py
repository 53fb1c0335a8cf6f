"""What a new reader's forecast costs, layer by layer: bare Flask + sqlite3 up to the project.

Issue 15 asks that a new reader's forecast reach 0.5x the bare insert (`reference_app.py`,
`POST /forecasts/<slug>`) and, for a goal out of reach, what it would take, measured. This runs
the reference's job (a new reader, its 3 forecasts in one multi-row INSERT, 3 count UPDATEs,
the forecaster counter's UPDATE ... RETURNING, COMMIT; BEGIN IMMEDIATE on SQLite; the same SQL
text) on one SQLite file prepared with the app's CLI, by apps that add one layer at a time:

    1. bare Flask + sqlite3: reference_app's own view
    2. 1 on SQLAlchemy Core: an Engine with the project's engine options, `engine.begin()`
       (the project's SQLite listeners, on every Engine, emit BEGIN [IMMEDIATE] and the pragmas)
    3. 2 through Flask-SQLAlchemy's scoped session (commit, BEGIN IMMEDIATE, teardown)
    4. 3 behind flask-smorest: the project's ForecastInputSchema and ForecastQuerySchema in,
       a response schema out (`@blp.arguments`, `@blp.response`)

then the project's real endpoint as it runs, and with its own parts taken away one at a time
(every request hook, the rate limits, the comparison's read of the crowd). Every app answers in
the same harness (Flask's test client, no cookie: each request a new reader), in interleaved
rounds: CPU milliseconds per request, what each layer costs over the row below, the ratio to 1.

    .venv/bin/python bench/write_floor.py [--requests 2000] [--rounds 3]
"""

import argparse
import hashlib
import os
import re
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

from flask import Flask, request
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
from sqlalchemy import create_engine, text
from sqlalchemy.dialects import sqlite

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hook_costs import drop_hooks, hook_names  # noqa: E402
from hot_paths import DEFAULT_REDIS, WRITE_SLUG, forecast_body, wrk  # noqa: E402
from profile_hot_paths import run_as_in_production  # noqa: E402

from predictions.extensions import SQLITE_BEGIN_OPTION  # noqa: E402
from predictions.web.api.schemas import ForecastInputSchema, ForecastQuerySchema  # noqa: E402
from tests.e2e.server import start_server, stop_server  # noqa: E402

IMMEDIATE = {SQLITE_BEGIN_OPTION: "IMMEDIATE"}  # the project's way to BEGIN IMMEDIATE
PROJECT_PATH = f"/api/v1/questions/{WRITE_SLUG}/forecasts"
REFERENCE_PATH = f"/forecasts/{WRITE_SLUG}"
# --http: the rows served by gunicorn (gunicorn.conf.py) as hot_paths.py serves the reference
SERVED = {
    "5 the project as it runs": ("wsgi:app", PROJECT_PATH),
    "4 + flask-smorest/marshmallow schemas": ("write_floor:served('smorest')", REFERENCE_PATH),
    "3 + Flask-SQLAlchemy's scoped session": ("write_floor:served('session')", REFERENCE_PATH),
    "2 Flask + SQLAlchemy Core (Engine)": ("write_floor:served('core')", REFERENCE_PATH),
    "1 bare Flask + sqlite3 (reference_app)": ("reference_app:app", REFERENCE_PATH),
}


def named(statement: str) -> str:
    """The statement with `:p0, :p1, ...` for its `?`: text() compiles it back to the same SQL."""
    count = iter(range(statement.count("?")))
    return re.sub(r"\?", lambda _m: f":p{next(count)}", statement)


def same_sql(statement: str):
    """text() of reference_app's statement, checked to reach sqlite3 as the very same SQL."""
    clause = text(named(statement))
    assert str(clause.compile(dialect=sqlite.dialect())) == statement, statement
    return clause


def params(*values) -> dict:
    return {f"p{i}": v for i, v in enumerate(values)}


class ForecastJob:
    """reference_app's statements and values, for the SQLAlchemy rows (text() of the same SQL)."""

    def __init__(self, reference) -> None:
        self.now = reference.now
        self.question = same_sql(reference.QUESTION)
        self.reader = same_sql(reference.INSERT_READER)
        self.forecasts = same_sql(reference.INSERT_FORECASTS + ", ".join(["(?, ?, ?, ?, ?)"] * 3))
        self.count = same_sql(reference.COUNT)
        self.forecaster = same_sql(reference.FORECASTER)

    def values(self, rows, probabilities: dict) -> dict:
        """What the writes bind, built as reference_app's view builds it."""
        question_id = rows[0][0]
        chosen = [(s, int(probabilities[key])) for _q, s, key in rows if key in probabilities]
        assert len(chosen) == 3, "the multi-row INSERT is prepared for 3 scenarios"
        reader = secrets.token_urlsafe(16)
        token = secrets.token_urlsafe(32)
        moment = self.now()
        return {
            "question_id": question_id,
            "token": token,
            "reader": params(
                reader, hashlib.sha256(token.encode()).hexdigest(), "-", moment, False
            ),
            "forecasts": params(
                *[x for s, p in chosen for x in (reader, question_id, s, p, moment)]
            ),
            "counts": [params(s, p) for s, p in chosen],
        }

    def write(self, execute, values: dict) -> int:
        """The write transaction's statements through `execute` (Connection or Session)."""
        execute(self.reader, values["reader"])
        execute(self.forecasts, values["forecasts"])
        execute(self.count, values["counts"])
        return execute(self.forecaster, params(values["question_id"])).scalar_one()


def core_app(url: str, options: dict, job: ForecastJob) -> Flask:
    """2: SQLAlchemy Core, an Engine with the project's engine options; no Flask extension."""
    engine = create_engine(url, **options)
    writer = engine.execution_options(**IMMEDIATE)
    app = Flask("core")

    @app.post("/forecasts/<slug>")
    def forecast(slug: str):
        probabilities = request.get_json()["probabilities"]
        with engine.connect() as connection:
            rows = connection.execute(job.question, params(slug)).all()
        values = job.values(rows, probabilities)
        with writer.begin() as connection:
            forecasters = job.write(connection.execute, values)
        return {"reader_token": values["token"], "forecasters": forecasters}, 201

    return app


def session_flask(name: str, url: str, options: dict) -> tuple[Flask, SQLAlchemy]:
    """A Flask app with Flask-SQLAlchemy on `url` with the project's engine options (rows 3
    and 4 here and in read_floor.py)."""
    db = SQLAlchemy()
    app = Flask(name)
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=options)
    db.init_app(app)
    return app, db


def smorest_blueprint(app: Flask, name: str) -> tuple[Api, Blueprint]:
    """flask-smorest on the app and a blueprint for its one route (row 4)."""
    app.config.update(API_TITLE="floor", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    return Api(app), Blueprint(name, __name__)


def session_app(url: str, options: dict, job: ForecastJob, smorest: bool = False) -> Flask:
    """3: the same through Flask-SQLAlchemy's scoped session; 4 (`smorest`): behind
    flask-smorest, the body and query parsed by the project's schemas."""
    app, db = session_flask("smorest" if smorest else "session", url, options)

    def store(slug: str, probabilities: dict) -> dict:
        rows = db.session.execute(job.question, params(slug)).all()
        values = job.values(rows, probabilities)
        db.session.commit()  # ends the read transaction, as committed() does
        db.session.connection(execution_options=IMMEDIATE)
        forecasters = job.write(db.session.execute, values)
        db.session.commit()
        return {"reader_token": values["token"], "forecasters": forecasters}

    if not smorest:

        @app.post("/forecasts/<slug>")
        def forecast(slug: str):
            return store(slug, request.get_json()["probabilities"]), 201

        return app

    api, blp = smorest_blueprint(app, "forecasts")

    class ResultSchema(Schema):
        reader_token = fields.String(dump_only=True)
        forecasters = fields.Integer(dump_only=True)

    @blp.route("/forecasts/<slug>")
    class Forecasts(MethodView):
        @blp.arguments(ForecastQuerySchema, location="query")
        @blp.arguments(ForecastInputSchema)
        @blp.response(201, ResultSchema)
        def post(self, _query: dict, data: dict, slug: str):
            return store(slug, data["probabilities"])

    api.register_blueprint(blp)
    return app


def served(row: str) -> Flask:
    """Row 2, 3 or 4 ('core', 'session', 'smorest') on DATABASE_URL, for gunicorn (--http)."""
    import reference_app

    from predictions import create_app

    url = os.environ["DATABASE_URL"]
    options = create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]
    job = ForecastJob(reference_app)
    if row == "core":
        return core_app(url, options, job)
    return session_app(url, options, job, smorest=row == "smorest")


def over_http(seconds: float, rounds: int, connections: int) -> None:
    """The ladder's numbered rows under gunicorn and `wrk` (forecast.lua), interleaved rounds."""
    servers = {}
    try:
        for label, (app, path) in SERVED.items():
            process, base = start_server(
                dict(os.environ), workers=None, app=app, options=["--pythonpath", "bench"]
            )
            servers[label] = (process, base + path)
        rates: dict[str, list[float]] = {label: [] for label in servers}
        load = os.getloadavg()[0]
        for _process, url in servers.values():
            wrk(url, 1, connections, post=True)  # warm
        for _round in range(rounds):
            for label, (_process, url) in servers.items():
                out = wrk(url, seconds, connections, post=True)
                assert out["errors"] == 0, (label, out)
                rates[label].append(out["requests"] / seconds)
    finally:
        for process, _url in servers.values():
            stop_server(process)
    bare = statistics.median(rates[list(rates)[-1]])
    print(
        f"\nOver HTTP: gunicorn (gunicorn.conf.py), wrk -t2 -c{connections}, {rounds} rounds x "
        f"{seconds:g} s, load {load:.1f} -> {os.getloadavg()[0]:.1f}; req/s (median of rounds)"
    )
    print(f"{'app':<44} {'req/s':>6} {'ratio':>6}   rounds")
    for label, values in rates.items():
        rate = statistics.median(values)
        rounds_ = " ".join(f"{v:.0f}" for v in values)
        print(f"{label:<44} {rate:6.0f} {rate / bare:6.2f}   {rounds_}")


def cpu_per_request(post: Callable[[int], object], requests: int, first: int) -> float:
    for i in range(50):
        post(first + i)
    start = time.process_time()
    for i in range(requests):
        post(first + 50 + i)
    return 1000 * (time.process_time() - start) / requests


def poster(app: Flask, path: str) -> Callable[[int], object]:
    client = app.test_client(use_cookies=False)  # every request a new reader

    def post(n: int) -> None:
        response = client.post(path, data=forecast_body(n), content_type="application/json")
        assert response.status_code == 201, (app.name, response.status_code, response.text)

    return post


@contextmanager
def patches(patched: list[tuple[str, object]]) -> Iterator[None]:
    """The project's parts taken away (target replaced by its stand-in) for one variant."""
    with ExitStack() as stack:
        for target, stand_in in patched:
            stack.enter_context(mock.patch(target, stand_in))
        yield


def check_writes(database: str, post: Callable[[int], object]) -> None:
    """One request writes what the reference writes: a reader, 3 forecasts, 3 counts, +1."""
    sums = (
        "SELECT (SELECT count(*) FROM readers), (SELECT count(*) FROM forecasts), "
        "(SELECT sum(count) FROM scenario_counts), "
        f"(SELECT forecaster_count FROM questions WHERE slug = '{WRITE_SLUG}')"
    )
    connection = sqlite3.connect(database)
    try:
        before = connection.execute(sums).fetchone()
        post(0)
        after = connection.execute(sums).fetchone()
    finally:
        connection.close()
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 3, 3, 1], (before, after)


def floor_arguments(doc: str) -> argparse.ArgumentParser:
    """The options both ladders take (this one and read_floor.py)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--readers", type=int, default=3000, help="demo readers on the seed")
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    return parser


def main() -> None:
    parser = floor_arguments(__doc__)
    parser.add_argument("--http", type=float, default=0, help="seconds of wrk per row and round")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="floor-", dir="/dev/shm") as directory:
        run_as_in_production(Path(directory), args.readers, args.redis)
        url = os.environ["DATABASE_URL"]
        os.environ["REFERENCE_DATABASE_URL"] = url
        import reference_app

        from predictions import create_app

        job = ForecastJob(reference_app)
        project = create_app()
        every_hook = hook_names(project)
        # The project's own engine options (config.engine_options: pool_pre_ping, busy timeout).
        options = project.config["SQLALCHEMY_ENGINE_OPTIONS"]
        no_limits = ("predictions.web.limits.spend_forecast", lambda *a, **k: None)
        no_crowd = ("predictions.web.crowd.others_around", lambda *a, **k: {})
        # label: (how it posts, what is patched while it runs), from the project down to bare
        ladder = {
            "5 the project as it runs": (poster(project, PROJECT_PATH), []),
            "  without every request hook": (
                poster(drop_hooks(create_app(), every_hook), PROJECT_PATH), []),
            "  and without the rate limits": (
                poster(drop_hooks(create_app(), every_hook), PROJECT_PATH), [no_limits]),
            "  and without the comparison's crowd read": (
                poster(drop_hooks(create_app(), every_hook), PROJECT_PATH),
                [no_limits, no_crowd]),
            "4 + flask-smorest/marshmallow schemas": (
                poster(session_app(url, options, job, smorest=True), REFERENCE_PATH), []),
            "3 + Flask-SQLAlchemy's scoped session": (
                poster(session_app(url, options, job), REFERENCE_PATH), []),
            "2 Flask + SQLAlchemy Core (Engine)": (
                poster(core_app(url, options, job), REFERENCE_PATH), []),
            "1 bare Flask + sqlite3 (reference_app)": (
                poster(reference_app.app, REFERENCE_PATH), []),
        }  # fmt: skip

        for post, patched in ladder.values():
            with patches(patched):
                check_writes(url.removeprefix("sqlite:///"), post)

        results: dict[str, list[float]] = {label: [] for label in ladder}
        load = os.getloadavg()
        started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
        for round_ in range(args.rounds):
            for number, (label, (post, patched)) in enumerate(ladder.items()):
                first = 10_000_000 * (round_ + 1) + 100_000 * number
                with patches(patched):
                    results[label].append(cpu_per_request(post, args.requests, first))
        load_after = os.getloadavg()
        limits = "Redis" if os.environ.get("REDIS_URL") else "SQLite"
        print(
            f"POST a new reader's forecast (3 scenarios), SQLite in /dev/shm, limits in {limits}; "
            f"{started} UTC, load {load[0]:.1f} -> {load_after[0]:.1f}; {args.requests} requests "
            f"x {args.rounds} interleaved rounds, Flask test client, CPU ms per request (median)"
        )
        report(results)
        if args.http:
            over_http(args.http, args.rounds, args.connections)


def report(results: dict[str, list[float]]) -> None:
    labels = list(results)
    ms = {label: statistics.median(values) for label, values in results.items()}
    bare = ms[labels[-1]]
    print(f"{'app':<44} {'ms':>6} {'layer':>6} {'ratio':>6}   rounds")
    for i, label in enumerate(labels):
        below = ms[labels[i + 1]] if i + 1 < len(labels) else 0.0
        layer = f"{ms[label] - below:6.3f}" if i + 1 < len(labels) else f"{'':6}"
        rounds = " ".join(f"{v:.3f}" for v in results[label])
        print(
            f"{label:<44} {ms[label]:6.3f} {layer} {bare / ms[label]:6.2f}   {rounds}", flush=True
        )


if __name__ == "__main__":
    main()
