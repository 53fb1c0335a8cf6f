"""Who is asking: a reader from the signed session cookie or from a bearer token."""

from flask import abort, current_app, g, request, session
from flask_login import current_user

from ..core.pseudonyms import ip_hash, token_hash
from ..extensions import db
from ..models import Moderator, Reader
from ..services import readers

SESSION_KEY = "reader_id"
# Moderator API tokens carry a prefix so one Authorization header serves both kinds of client.
MODERATOR_TOKEN_PREFIX = "mod_"


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
