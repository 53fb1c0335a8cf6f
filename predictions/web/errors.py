"""One error shape for the API, HTML pages for the browser, rollback on 500."""

from flask import Flask, current_app, render_template, request
from flask_smorest import Api
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import (
    Conflict,
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
    ServiceUnavailable,
    UnprocessableEntity,
)

from .. import errors as domain
from ..extensions import db

API_PREFIX = "/api/"
JSON_PATHS = ("/oembed",)  # outside the API, yet JSON for its clients (oEmbed consumers)
# What a client is told to wait when the database is busy or away.
DATABASE_RETRY_SECONDS = 2


def wants_json() -> bool:
    """API paths answer JSON; pages answer HTML."""
    return request.path.startswith(API_PREFIX) or request.path in JSON_PATHS


class PredictionsApi(Api):
    """flask-smorest's Api with the SPEC's flat per-field errors and HTML errors for pages."""

    def handle_http_exception(self, error: HTTPException):
        if error.code is None or error.code >= 500:
            rollback()
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
        if error.code == 405:
            headers = {**headers, **allow(error)}
        return payload, code, headers


def retry_after(error: HTTPException) -> dict[str, str]:
    response = error.get_response()
    value = response.headers.get("Retry-After")
    return {"Retry-After": value} if value else {}


def allow(error: HTTPException) -> dict[str, str]:
    """The methods a 405 must name (RFC 9110)."""
    value = error.get_response().headers.get("Allow")
    return {"Allow": value} if value else {}


def render_html_error(error: HTTPException):
    code = error.code or 500
    html = render_template("errors/error.html", error=error, code=code)
    return html, code, {**retry_after(error), **allow(error)}


def rollback() -> None:
    """Roll back, even when the connection is already gone."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.close()


def answer(error: HTTPException):
    return current_app.extensions["predictions_api"].handle_http_exception(error)


def handle_database_unavailable(error: OperationalError):
    """A locked or unwritable SQLite file, an unreachable server: 503 with Retry-After, never
    a 500, and nothing of the request stored (it is rolled back)."""
    rollback()
    # SQLite names the cause (SQLITE_BUSY, SQLITE_READONLY, SQLITE_IOERR_WRITE, SQLITE_FULL…).
    cause = getattr(error.orig, "sqlite_errorname", None) or type(error.orig).__name__
    current_app.logger.warning("Database unavailable: %s", cause)
    return answer(
        ServiceUnavailable(
            "The database is busy, unreachable or cannot be written just now; nothing was "
            "saved. Please try again in a moment.",
            retry_after=DATABASE_RETRY_SECONDS,
        )
    )


def handle_unexpected(error: Exception):
    """Anything unhandled: roll back, log, and answer like a 500 in the right shape."""
    rollback()
    current_app.logger.exception("Unhandled error", exc_info=error)
    return answer(InternalServerError())


# Each kind of domain error, as HTTP.
HTTP_ERRORS: dict[type[domain.DomainError], type[HTTPException]] = {
    domain.NotFound: NotFound,
    domain.Conflict: Conflict,
    domain.Refused: Forbidden,
    domain.Invalid: UnprocessableEntity,
}


def http_error(error: domain.DomainError) -> HTTPException:
    """The HTTP answer to a domain error, with its per-field messages for the API."""
    kind = next(HTTP_ERRORS[k] for k in type(error).__mro__ if k in HTTP_ERRORS)
    http = kind(error.message)
    http.data = {"message": error.message, **({"errors": error.errors} if error.errors else {})}
    return http


def handle_domain_error(error: domain.DomainError):
    """What the domain refused: roll back what the request wrote, answer 404/409/403/422."""
    rollback()
    return answer(http_error(error))


def init_app(app: Flask) -> None:
    app.register_error_handler(domain.DomainError, handle_domain_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
