"""What every API blueprint shares: the URL prefix, JSON bodies, CSRF for cookie clients, and
the error answers an operation documents."""

from collections.abc import Callable
from http import HTTPStatus

from flask import request, session
from flask_login import current_user
from flask_smorest import Blueprint, abort

from ...core.validation import JSON_DEPTH_MAX, json_too_deep
from ...extensions import csrf
from ..identity import SESSION_KEY, bearer_token

URL_PREFIX = "/api/v1"
BODY_METHODS = {"POST", "PUT", "PATCH"}


def check_body_and_csrf() -> None:
    """JSON bodies only; cookie-authenticated writes need the CSRF token, bearer ones do not."""
    if request.method in BODY_METHODS:
        if not request.get_data(cache=True):
            abort(400, message="A JSON body is required.")
        if not request.is_json:
            abort(415, message="Send the body as application/json.")
        if json_too_deep(request.get_data(cache=True, as_text=True)):
            abort(400, message=f"The JSON body nests deeper than {JSON_DEPTH_MAX} levels.")
    cookie_identity = bearer_token() is None and (
        session.get(SESSION_KEY) or current_user.is_authenticated
    )
    if request.method not in {"GET", "HEAD", "OPTIONS"} and cookie_identity:
        csrf.protect()


def api_blueprint(
    name: str, import_name: str, description: str, first: Callable[[], None] | None = None
) -> Blueprint:
    """A blueprint under /api/v1 whose requests pass check_body_and_csrf (after `first`)."""
    blp = Blueprint(name, import_name, url_prefix=URL_PREFIX, description=description)
    if first is not None:
        blp.before_request(first)
    blp.before_request(check_body_and_csrf)
    csrf.exempt(blp)  # checked in check_body_and_csrf, where bearer clients are told apart
    return blp


def documents_errors(blp: Blueprint, *codes: int):
    """Document the error answers an operation gives, each in the one JSON error shape."""

    def decorate(view):
        for code in codes:
            view = blp.alt_response(code, response=HTTPStatus(code).name)(view)
        return view

    return decorate
