"""One error shape for the API, HTML pages for the browser, rollback on 500."""

from flask import Flask, current_app, render_template, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db

API_PREFIX = "/api/"


def wants_json() -> bool:
    """API paths answer JSON; pages answer HTML."""
    return request.path.startswith(API_PREFIX)


class PredictionsApi(Api):
    """flask-smorest's Api with the SPEC's flat per-field errors and HTML errors for pages."""

    def handle_http_exception(self, error: HTTPException):
        if error.code is None or error.code >= 500:
            db.session.rollback()
        if not wants_json():
            return render_html_error(error)
        payload, code, headers = super().handle_http_exception(error)
        payload.setdefault("message", error.description or error.name)
        errors = payload.get("errors")
        # webargs nests messages under the request location; clients want the fields.
        if isinstance(errors, dict) and len(errors) == 1:
            (location,) = errors
            if location in {"json", "query", "querystring", "form"}:
                payload["errors"] = errors[location]
            if isinstance(payload["errors"], list):  # about the body as a whole, not a field
                payload["message"] = " ".join(payload.pop("errors"))
        if error.code in (429, 503) and "Retry-After" not in headers:
            headers = {**headers, **retry_after(error)}
        return payload, code, headers


def retry_after(error: HTTPException) -> dict[str, str]:
    response = error.get_response()
    value = response.headers.get("Retry-After")
    return {"Retry-After": value} if value else {}


def render_html_error(error: HTTPException):
    code = error.code or 500
    headers = retry_after(error) if code in (429, 503) else {}
    return render_template("errors/error.html", error=error, code=code), code, headers


def handle_unexpected(error: Exception):
    """Anything unhandled: roll back, log, and answer like a 500 in the right shape."""
    db.session.rollback()
    current_app.logger.exception("Unhandled error", exc_info=error)
    wrapped = InternalServerError()
    api = current_app.extensions["predictions_api"]
    return api.handle_http_exception(wrapped)


def init_app(app: Flask) -> None:
    app.register_error_handler(Exception, handle_unexpected)
