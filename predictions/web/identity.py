"""Who is asking: a reader from the signed session cookie or from a bearer token (the reader's
own, or an embed token that opens only one question's own forecast)."""

from flask import abort, current_app, g, request, session
from flask_login import current_user

from ..core import embed_tokens
from ..core.pseudonyms import ip_hash, token_hash
from ..extensions import db
from ..models import Moderator, Question, Reader
from ..services import readers

SESSION_KEY = "reader_id"
# Moderator API tokens carry a prefix so one Authorization header serves both kinds of client.
MODERATOR_TOKEN_PREFIX = "mod_"
# What an embed token opens, on its own question only: exactly the calls the embed makes (give
# or update the forecast with its comment, read it back, and the crowd it unlocked). The reader's
# data elsewhere, their export and erasure, withdrawal and other questions stay shut to it.
EMBED_ENDPOINTS = {
    ("forecasts.Forecasts", "POST"),
    ("forecasts.MyForecasts", "GET"),
    ("aggregates.Aggregate", "GET"),
}


def bearer_token() -> str | None:
    """The bearer token of the request, if it sent one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_reader() -> Reader | None:
    """The reader behind this request (cached for the request); 401 for a bad bearer token."""
    if "reader" not in g:
        token = bearer_token()
        if token is not None and token.startswith(MODERATOR_TOKEN_PREFIX):
            g.reader = None
        elif token is not None and embed_tokens.is_embed_token(token):
            g.reader = None  # if the token is refused, the error page sees no reader
            g.reader = embed_reader(token)
        elif token is not None:
            g.reader = readers.by_token(token)
            if g.reader is None:
                abort(401, "The reader token is not valid.")
        else:
            reader_id = session.get(SESSION_KEY)
            g.reader = readers.by_id(reader_id) if reader_id else None
            # A reader who erased their data is gone, even for an old copy of the cookie.
            if g.reader is not None and g.reader.erased_at is not None:
                g.reader = None
    return g.reader


def embed_reader(token: str) -> Reader:
    """The reader an embed token names, if this request is one it opens: 401 for a token that
    is forged or revoked (the reader erased), 403 outside its question's embed calls."""
    claim = embed_tokens.read(current_app.config["SECRET_KEY"], token)
    reader = readers.by_id(claim.reader_id) if claim is not None else None
    if (
        reader is None
        or reader.erased_at is not None
        or not embed_tokens.still_valid(claim, reader.token_hash)
    ):
        abort(401, "The embed token is not valid.")
    question = db.session.get(Question, claim.question_id)
    slug = (request.view_args or {}).get("slug")
    method = "GET" if request.method == "HEAD" else request.method
    if (
        question is None
        or slug != question.slug
        or (request.endpoint, method) not in EMBED_ENDPOINTS
    ):
        abort(403, "An embed token opens only its own question's forecast, in the embed.")
    return reader


def embed_token_for(reader: Reader, question: Question) -> str:
    """The embed token of this reader on this question (the same one each time)."""
    secret = current_app.config["SECRET_KEY"]
    return embed_tokens.issue(secret, reader.id, question.id, reader.token_hash)


def reader_or_401(to: str = "") -> Reader:
    """The reader behind this request, or 401 for an API call that needs one."""
    reader = current_reader()
    if reader is None:
        abort(401, f"Send your reader token (or session cookie){' to ' + to if to else ''}.")
    return reader


def remember(reader: Reader) -> None:
    """Keep the reader's id in the signed, HttpOnly session cookie for a year."""
    session[SESSION_KEY] = reader.id
    session.permanent = True
    g.reader = reader


def request_ip_hash() -> str:
    """The keyed hash of the client's network prefix."""
    return ip_hash(request.remote_addr or "", current_app.config["SECRET_KEY"].encode())


def current_moderator() -> Moderator | None:
    """The moderator behind this request: a personal API token, or the login session."""
    if "moderator" not in g:
        token = bearer_token()
        if token is not None and token.startswith(MODERATOR_TOKEN_PREFIX):
            moderator = db.session.scalar(
                db.select(Moderator).filter_by(api_token_hash=token_hash(token))
            )
            if moderator is None or not moderator.is_active:
                abort(401, "The moderator token is not valid.")
            g.moderator = moderator
        elif token is not None:
            # A request that sends a bearer token is who the token says, never who its cookie
            # says: it skips the CSRF check, which only a cookie needs.
            g.moderator = None
        elif current_user.is_authenticated:
            g.moderator = current_user._get_current_object()
        else:
            g.moderator = None
    return g.moderator
