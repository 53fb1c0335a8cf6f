"""Who is asking: a reader from the signed session cookie or from a bearer token."""

from flask import abort, current_app, g, request, session

from ..models import Reader
from ..privacy import ip_hash
from ..services import readers

SESSION_KEY = "reader_id"


def bearer_token() -> str | None:
    """The bearer token of the request, if it sent one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_reader() -> Reader | None:
    """The reader behind this request (cached for the request); 401 for a bad bearer token."""
    if "reader" not in g:
        token = bearer_token()
        if token is not None:
            g.reader = readers.by_token(token)
            if g.reader is None:
                abort(401, "The reader token is not valid.")
        else:
            reader_id = session.get(SESSION_KEY)
            g.reader = readers.by_id(reader_id) if reader_id else None
    return g.reader


def remember(reader: Reader) -> None:
    """Keep the reader's id in the signed, HttpOnly session cookie for a year."""
    session[SESSION_KEY] = reader.id
    session.permanent = True
    g.reader = reader


def request_ip_hash() -> str:
    """The keyed hash of the client's network prefix."""
    return ip_hash(request.remote_addr or "", current_app.config["SECRET_KEY"].encode())
