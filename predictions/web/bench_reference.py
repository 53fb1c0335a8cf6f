"""A plain-SQL forecast for the write benchmark (bench/write_bench.py), never in production.

Registered only when PREDICTIONS_BENCH_REFERENCE is set: it stores what the real endpoint
stores for a new reader (a reader, a forecast per scenario, the kept counts) with hand-written
SQL and no validation, as the floor the real endpoint is measured against.
"""

import secrets

from flask import Blueprint, Flask, request

from ..extensions import csrf, db, limiter
from ..models import utcnow

bp = Blueprint("bench_reference", __name__, url_prefix="/bench")

SCENARIOS = db.text(
    "SELECT s.id, s.key, s.question_id FROM scenarios s "
    "JOIN questions q ON q.id = s.question_id WHERE q.slug = :slug"
)
INSERT_READER = db.text(
    "INSERT INTO readers (id, token_hash, created_at, premod) VALUES (:id, :token, :now, false)"
)
INSERT_FORECAST = db.text(
    "INSERT INTO forecasts (reader_id, question_id, scenario_id, percent, created_at) "
    "VALUES (:reader, :question, :scenario, :percent, :now)"
)
COUNT = db.text(
    "UPDATE scenario_counts SET count = count + 1 WHERE scenario_id = :scenario AND percent = :p"
)


@bp.post("/reference/<slug>")
@limiter.exempt
def reference_forecast(slug: str):
    """A new reader's forecast with plain SQL: one reader, its forecasts, the counts."""
    probabilities = request.get_json()["probabilities"]
    now = utcnow().replace(tzinfo=None)
    reader_id = secrets.token_urlsafe(16)
    db.session.execute(INSERT_READER, {"id": reader_id, "token": secrets.token_hex(32), "now": now})
    for scenario_id, key, question_id in db.session.execute(SCENARIOS, {"slug": slug}):
        if key in probabilities:
            percent = int(probabilities[key])
            db.session.execute(
                INSERT_FORECAST,
                {
                    "reader": reader_id,
                    "question": question_id,
                    "scenario": scenario_id,
                    "percent": percent,
                    "now": now,
                },
            )
            db.session.execute(COUNT, {"scenario": scenario_id, "p": percent})
    db.session.commit()
    return {"reader": reader_id}, 201


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
