"""Security headers on every response, the proxy hops we trust, and 413s that arrive."""

from flask import Flask, Response, current_app, request
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


def init_app(app: Flask) -> None:
    # X-Forwarded-For is believed only for as many hops as the deployment says it has.
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.after_request(add_security_headers)
    app.after_request(drain_refused_body)
