"""The floor the project's hot paths are measured against: plain Flask, hand-written SQL.

No import from `predictions`: no hooks, no identity, no validation, no ORM, no rate limits,
no request log. It runs the project's own SQL on the project's own database (SQLite through
`sqlite3`, PostgreSQL through `psycopg`), one connection per thread, and is served by the same
gunicorn settings (gunicorn.conf.py: gthread workers) by `bench/hot_paths.py`:

    REFERENCE_DATABASE_URL=sqlite:////tmp/x.db gunicorn --pythonpath bench reference_app:app

Three jobs:
- ``GET /hello``: Flask alone.
- ``POST /forecasts/<slug>``: a new reader's forecast, the statements the real endpoint sends:
  the question and its scenarios by slug, then in one write transaction one reader row, one
  multi-row INSERT of the forecasts, the per-percent count UPDATEs, the question's forecaster
  counter, COMMIT.
- ``GET /counts/<slug>``: the per-percent counts of every scenario (99 rows each, whatever the
  number of forecasts) and the forecaster counter, and from them each scenario's number of
  forecasts, mean, median and quartiles.
"""

import hashlib
import os
import secrets
import sqlite3
import threading
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, request

URL = os.environ.get("REFERENCE_DATABASE_URL", "")
SQLITE = URL.startswith("sqlite:")

QUESTION = (
    "SELECT q.id, s.id, s.key FROM questions q JOIN scenarios s ON s.question_id = q.id "
    "WHERE q.slug = ? ORDER BY s.position"
)
INSERT_READER = (
    "INSERT INTO readers (id, token_hash, ip_hash, created_at, premod) VALUES (?, ?, ?, ?, ?)"
)
INSERT_FORECASTS = (
    "INSERT INTO forecasts (reader_id, question_id, scenario_id, percent, created_at) VALUES "
)
COUNT = "UPDATE scenario_counts SET count = count + 1 WHERE scenario_id = ? AND percent = ?"
FORECASTER = (
    "UPDATE questions SET forecaster_count = forecaster_count + 1, "
    "crowd_version = crowd_version + 1 WHERE id = ? RETURNING forecaster_count"
)
COUNTS = (
    "SELECT q.forecaster_count, s.key, c.percent, c.count FROM questions q "
    "JOIN scenarios s ON s.question_id = q.id JOIN scenario_counts c ON c.scenario_id = s.id "
    "WHERE q.slug = ? AND c.count > 0 ORDER BY s.position, c.percent"
)

app = Flask(__name__)
_local = threading.local()


def sql(statement: str) -> str:
    return statement if SQLITE else statement.replace("?", "%s")


def connection():
    """This thread's connection, opened on first use."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        if SQLITE:
            # Autocommit unless a transaction is begun by hand; the project's pragmas.
            conn = sqlite3.connect(URL.removeprefix("sqlite:///"), timeout=5, isolation_level=None)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        else:
            import psycopg

            conn = psycopg.connect(URL, autocommit=True)
        _local.conn = conn
    return conn


def now() -> object:
    moment = datetime.now(UTC)
    # The project stores naive UTC text on SQLite and timestamptz on PostgreSQL.
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if SQLITE else moment


@contextmanager
def write_transaction(conn):
    """A cursor in a write transaction, committed at the end (SQLite: the write lock first)."""
    if not SQLITE:
        with conn.transaction():
            yield conn.cursor()
        return
    cursor = conn.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    try:
        yield cursor
    except BaseException:
        cursor.execute("ROLLBACK")
        raise
    cursor.execute("COMMIT")


@app.get("/hello")
def hello():
    return "hello"


@app.post("/forecasts/<slug>")
def forecast(slug: str):
    probabilities = request.get_json()["probabilities"]
    conn = connection()
    rows = conn.execute(sql(QUESTION), (slug,)).fetchall()
    question_id = rows[0][0]
    chosen = [
        (scenario, int(probabilities[key])) for _q, scenario, key in rows if key in probabilities
    ]
    reader = secrets.token_urlsafe(16)
    token = secrets.token_urlsafe(32)
    moment = now()
    values = ", ".join(["(?, ?, ?, ?, ?)"] * len(chosen))
    params = [x for s, p in chosen for x in (reader, question_id, s, p, moment)]
    with write_transaction(conn) as cursor:
        cursor.execute(
            sql(INSERT_READER),
            (reader, hashlib.sha256(token.encode()).hexdigest(), "-", moment, False),
        )
        cursor.execute(sql(INSERT_FORECASTS + values), params)
        cursor.executemany(sql(COUNT), chosen)
        forecasters = cursor.execute(sql(FORECASTER), (question_id,)).fetchone()[0]
    return {"reader_token": token, "forecasters": forecasters}, 201


def quantile(counts: list[tuple[int, int]], total: int, q: float) -> float:
    """The percent at which the running count passes q of the total (counts by percent)."""
    target, running = q * total, 0
    for percent, count in counts:
        running += count
        if running >= target:
            return percent
    return counts[-1][0]


@app.get("/counts/<slug>")
def counts(slug: str):
    return summary(connection().execute(sql(COUNTS), (slug,)).fetchall())


def summary(rows) -> dict:
    """The forecaster count and each scenario's n, mean, median and quartiles from COUNTS rows."""
    by_key: dict[str, list[tuple[int, int]]] = {}
    for _forecasters, key, percent, count in rows:
        by_key.setdefault(key, []).append((percent, count))
    scenarios = {}
    for key, cells in by_key.items():
        total = sum(count for _p, count in cells)
        scenarios[key] = {
            "n": total,
            "mean": round(sum(p * c for p, c in cells) / total, 1),
            "median": quantile(cells, total, 0.5),
            "p25": quantile(cells, total, 0.25),
            "p75": quantile(cells, total, 0.75),
        }
    return {"forecasters": rows[0][0] if rows else 0, "scenarios": scenarios}
