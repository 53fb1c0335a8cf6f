"""The API reference a developer can browse: Swagger UI at /api/v1/docs.

Swagger UI's files come from the flask-swagger-ui package, served from here: nothing loads from
a CDN, and the page keeps the site's CSP (its one script that starts Swagger UI is our own file,
static/api-docs.js, since no inline script may run).
"""

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Flask, render_template

SWAGGER_UI_FILES = Path(flask_swagger_ui.__file__).parent / "dist"
DOCS_PATH = "/api/v1/docs"

bp = Blueprint(
    "api_reference",
    __name__,
    static_folder=SWAGGER_UI_FILES,
    static_url_path=f"{DOCS_PATH}/assets",
)


@bp.get(DOCS_PATH)
def docs():
    """The API reference, built in the browser from the OpenAPI document."""
    return render_template("api_docs/docs.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
