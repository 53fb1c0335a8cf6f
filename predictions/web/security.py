"""Security headers on every response and the proxy hops we trust."""

from flask import Flask, Response, current_app
from werkzeug.middleware.proxy_fix import ProxyFix


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
    return response


def init_app(app: Flask) -> None:
    # X-Forwarded-For is believed only for as many hops as the deployment says it has.
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.after_request(add_security_headers)
