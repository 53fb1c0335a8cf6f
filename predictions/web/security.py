"""Security headers on every response, the proxy hops we trust, and 413s that arrive."""

import io

from flask import Flask, Response, abort, current_app, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

# A refused body is read and dropped up to this size, so that the client, still sending,
# receives the 413 instead of a reset connection. Larger bodies belong to the proxy's limit.
DRAIN_LIMIT = 16 * 1024 * 1024
DRAIN_CHUNK = 64 * 1024


def content_security_policy(frame_ancestors: str) -> str:
    """A CSP with no inline script or style; frame-ancestors is the newsroom's embedding choice."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
    )


def keep_personal_answers_private(response: Response) -> Response:
    """Answers that depend on who asks never sit in a shared cache, nor serve someone else.

    A request that carries a cookie or an Authorization header may be answered with the
    reader's own numbers, the crowd they unlocked, or a moderator's view: `private, no-store`.
    Every dynamic answer varies by both, so a cache never hands one person's answer to another.
    """
    if request.path.startswith("/static/"):
        return response
    response.vary.update(("Cookie", "Authorization"))
    # A session written in this request (a new reader, a form's CSRF secret) gets its cookie
    # after these hooks run, so session.modified stands for that Set-Cookie.
    if request.headers.get("Authorization") or request.cookies or session.modified:
        response.cache_control.private = True
        response.cache_control.no_store = True
        response.cache_control.public = False
    return response


def add_security_headers(response: Response) -> Response:
    """Headers that make the browser refuse what we never meant to serve."""
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy", content_security_policy(current_app.config["FRAME_ANCESTORS"])
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if current_app.config["PRODUCTION"]:
        max_age = current_app.config["HSTS_MAX_AGE"]
        headers.setdefault("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains")
    return response


def drain_refused_body(response: Response) -> Response:
    """Read what is left of a body refused with 413 (bounded), then answer."""
    if response.status_code == 413:
        stream = request.environ.get("wsgi.input")
        length = request.content_length
        if stream is not None and length is not None and length <= DRAIN_LIMIT:
            remaining = length
            while remaining > 0:
                chunk = stream.read(min(DRAIN_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
    return response


BODY_TOO_LARGE = "predictions.body_too_large"


class BoundedChunkedBodies:
    """WSGI middleware: a body sent without Content-Length (chunked) is read up to the limit
    here, so an oversized one is refused with 413 like any other instead of being cut short."""

    def __init__(self, wsgi_app, max_length: int):
        self.wsgi_app = wsgi_app
        self.max_length = max_length

    def __call__(self, environ, start_response):
        if environ.get("CONTENT_LENGTH") is None and environ.get("wsgi.input_terminated"):
            stream = environ["wsgi.input"]
            body = stream.read(self.max_length + 1)
            if len(body) > self.max_length:
                environ[BODY_TOO_LARGE] = True
                _drain(stream, DRAIN_LIMIT)
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.wsgi_app(environ, start_response)


def _drain(stream, limit: int) -> None:
    while limit > 0 and (chunk := stream.read(min(DRAIN_CHUNK, limit))):
        limit -= len(chunk)


def refuse_marked_body() -> None:
    if request.environ.get(BODY_TOO_LARGE):
        abort(413)


def refuse_nul_in_url() -> None:
    """No name, id or filter holds a NUL, and PostgreSQL cannot even compare one: 400."""
    if "\x00" in request.path or any("\x00" in v for v in request.args.values()):
        abort(400, "The address holds a NUL character.")


def init_app(app: Flask) -> None:
    if app.config.get("MAX_CONTENT_LENGTH"):
        app.wsgi_app = BoundedChunkedBodies(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])
    app.before_request(refuse_marked_body)
    app.before_request(refuse_nul_in_url)
    # X-Forwarded-For is believed only for as many hops as the deployment says it has.
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.after_request(add_security_headers)
    app.after_request(keep_personal_answers_private)
    app.after_request(drain_refused_body)
