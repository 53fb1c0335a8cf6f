"""What the aggregate and the results page cost, layer by layer: bare Flask + sqlite3 up to the
project.

Issue 15 asks that the aggregate reach 0.8x and the results page 0.5x the bare count read
(`reference_app.py`, `GET /counts/<slug>`) and, for a goal out of reach, what it would take,
measured. This runs the reference's job (the per-percent counts of every scenario and the
forecaster counter by one SELECT, then each scenario's n, mean, median and quartiles, as JSON;
the same SQL text) on one SQLite file prepared with the app's CLI, by apps that add one layer
at a time:

    1. bare Flask + sqlite3: reference_app's own view
    2. 1 on SQLAlchemy Core: an Engine with the project's engine options, `engine.connect()`
    3. 2 through Flask-SQLAlchemy's scoped session (and its teardown)
    4. 3 behind flask-smorest: the answer dumped by a marshmallow schema (`@blp.response`)

then the project's aggregate and results page as they run, and without every request hook.
Every app answers in the same harness (Flask's test client), in interleaved rounds: CPU
milliseconds per request, what each layer costs over the row below, the ratio to 1. The
project keeps each question's crowd per version, so unlike rows 1-4 it reads no counts per
request while nobody forecasts, and the results page rendered for visitors without a cookie
(as this client is): its figures are a best case, the common one on a busy article.

    .venv/bin/python bench/read_floor.py [--requests 2000] [--rounds 3] [--readers 3000]
"""

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hook_costs import drop_hooks, hook_names  # noqa: E402
from hot_paths import READ_SLUG  # noqa: E402
from profile_hot_paths import run_as_in_production  # noqa: E402
from write_floor import (  # noqa: E402
    cpu_per_request,
    floor_arguments,
    params,
    report,
    same_sql,
    session_flask,
    smorest_blueprint,
)

REFERENCE_PATH = f"/counts/{READ_SLUG}"
AGGREGATE_PATH = f"/api/v1/questions/{READ_SLUG}/aggregate"
RESULTS_PATH = f"/q/{READ_SLUG}/results"


def core_app(url: str, options: dict, counts, summary) -> Flask:
    """2: SQLAlchemy Core, an Engine with the project's engine options; no Flask extension."""
    engine = create_engine(url, **options)
    app = Flask("core")

    @app.get("/counts/<slug>")
    def read(slug: str):
        with engine.connect() as connection:
            return summary(connection.execute(counts, params(slug)).all())

    return app


def session_app(url: str, options: dict, counts, summary, smorest: bool = False) -> Flask:
    """3: the same through Flask-SQLAlchemy's scoped session; 4 (`smorest`): behind
    flask-smorest, the answer dumped by a schema of its shape."""
    app, db = session_flask("smorest" if smorest else "session", url, options)

    def read(slug: str) -> dict:
        return summary(db.session.execute(counts, params(slug)).all())

    if not smorest:
        app.get("/counts/<slug>")(read)
        return app

    api, blp = smorest_blueprint(app, "counts")

    class ScenarioSchema(Schema):
        n = fields.Integer(dump_only=True)
        mean = fields.Float(dump_only=True)
        median = fields.Float(dump_only=True)
        p25 = fields.Float(dump_only=True)
        p75 = fields.Float(dump_only=True)

    class CountsSchema(Schema):
        forecasters = fields.Integer(dump_only=True)
        scenarios = fields.Dict(keys=fields.String(), values=fields.Nested(ScenarioSchema))

    @blp.route("/counts/<slug>")
    class Counts(MethodView):
        @blp.response(200, CountsSchema)
        def get(self, slug: str):
            return read(slug)

    api.register_blueprint(blp)
    return app


def getter(app: Flask, path: str) -> Callable[[int], object]:
    client = app.test_client(use_cookies=False)  # an anonymous visitor each time

    def get(_n: int) -> None:
        response = client.get(path)
        assert response.status_code == 200, (app.name, response.status_code, response.text)

    return get


def same_answers(apps: dict[str, Flask], reference: Flask) -> None:
    """Rows 2-4 answer exactly what the reference answers."""
    expected = reference.test_client().get(REFERENCE_PATH).json
    for app in apps.values():
        assert app.test_client().get(REFERENCE_PATH).json == expected, app.name


def main() -> None:
    args = floor_arguments(__doc__).parse_args()

    with tempfile.TemporaryDirectory(prefix="floor-", dir="/dev/shm") as directory:
        run_as_in_production(Path(directory), args.readers, args.redis)
        url = os.environ["DATABASE_URL"]
        os.environ["REFERENCE_DATABASE_URL"] = url
        import reference_app

        from predictions import create_app

        counts = same_sql(reference_app.COUNTS)
        summary = reference_app.summary
        project = create_app()
        every_hook = hook_names(project)
        options = project.config["SQLALCHEMY_ENGINE_OPTIONS"]
        hookless = drop_hooks(create_app(), every_hook)
        layers = {
            "4 + flask-smorest/marshmallow schema": session_app(
                url, options, counts, summary, smorest=True
            ),
            "3 + Flask-SQLAlchemy's scoped session": session_app(url, options, counts, summary),
            "2 Flask + SQLAlchemy Core (Engine)": core_app(url, options, counts, summary),
        }
        same_answers(layers, reference_app.app)
        reference = reference_app.app.test_client().get(REFERENCE_PATH).json
        reference_n = {key: row["n"] for key, row in reference["scenarios"].items()}
        project_n = {
            row["key"]: row["n"]
            for row in project.test_client().get(AGGREGATE_PATH).json["scenarios"]
        }
        assert project_n == reference_n, (project_n, reference_n)

        # label: how it gets, from the project down to bare (the results page is no layer)
        pages = {
            "the results page as it runs": getter(project, RESULTS_PATH),
            "  without every request hook": getter(hookless, RESULTS_PATH),
        }
        ladder = {
            "5 the aggregate as it runs": getter(project, AGGREGATE_PATH),
            "  without every request hook": getter(hookless, AGGREGATE_PATH),
            **{label: getter(app, REFERENCE_PATH) for label, app in layers.items()},
            "1 bare Flask + sqlite3 (reference_app)": getter(reference_app.app, REFERENCE_PATH),
        }
        runs = [(label, get, ladder) for label, get in ladder.items()]
        runs += [(label, get, pages) for label, get in pages.items()]
        results = {id(rows): {label: [] for label in rows} for rows in (ladder, pages)}
        load = os.getloadavg()
        started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
        for _round in range(args.rounds):
            for label, get, rows in runs:
                results[id(rows)][label].append(cpu_per_request(get, args.requests, 0))
        load_after = os.getloadavg()
        print(
            f"GET the crowd of {3 * args.readers:,}+ forecasts (3 scenarios), SQLite in /dev/shm; "
            f"{started} UTC, load {load[0]:.1f} -> {load_after[0]:.1f}; {args.requests} requests "
            f"x {args.rounds} interleaved rounds, Flask test client, CPU ms per request (median)"
        )
        report(results[id(ladder)])
        bare = statistics.median(results[id(ladder)][list(ladder)[-1]])
        for label, values in results[id(pages)].items():
            ms = statistics.median(values)
            rounds = " ".join(f"{v:.3f}" for v in values)
            print(f"{label:<44} {ms:6.3f} {'':6} {bare / ms:6.2f}   {rounds}")


if __name__ == "__main__":
    main()
