"""GET /healthz: the app answers and its database too (for load balancers and benchmarks)."""

from flask import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """{"status": "ok"} when a trivial query succeeds, else 503."""
    try:
        db.session.execute(db.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
