"""GET /healthz: whether this worker can serve, for load balancers and orchestrators."""

from flask import Blueprint, Flask

from ..services import health
from .errors import DATABASE_RETRY_SECONDS

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 with Retry-After when it does not."""
    check = health.database()
    if check.ok:
        return {"status": "ok", "database": "ok"}
    body = {"status": "unavailable", "database": check.detail}
    return body, 503, {"Retry-After": str(DATABASE_RETRY_SECONDS)}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
