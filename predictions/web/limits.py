"""Abuse limits on forecasts (SPEC §6): counted per IP-prefix hash and per reader.

The counters live in RATELIMIT_STORAGE_URI: Redis when REDIS_URL is set, so a limit spans every
worker on every machine; memory otherwise (one process). A breach answers 429 with Retry-After.
"""

from collections.abc import Callable

from flask import current_app, session

from ..extensions import limiter
from ..privacy import token_hash
from .identity import SESSION_KEY, bearer_token, request_ip_hash

# The page form and the API share one budget: a reader cannot double it by switching doors.
FORECAST_SCOPE = "forecasts"
TOO_MANY_FORECASTS = "Too many forecasts in a short time; please try again later."


def ip_key() -> str:
    """Who an IP limit counts: the keyed hash of the client's network prefix."""
    return "ip:" + request_ip_hash()


def reader_key() -> str:
    """Who a reader limit counts: the bearer token's hash, or the reader id in the cookie."""
    token = bearer_token()
    if token is not None:
        return "token:" + token_hash(token)
    return "reader:" + str(session.get(SESSION_KEY, ""))


def is_new_visitor() -> bool:
    """A request without identity creates a reader: only the IP limit counts it."""
    return bearer_token() is None and not session.get(SESSION_KEY)


def forecast_limit() -> str:
    return current_app.config["FORECAST_RATE_LIMIT"]


def limit_forecasts(view: Callable) -> Callable:
    """Apply the FORECAST_RATE_LIMIT per IP hash and per reader to a view that records forecasts."""
    per_ip = limiter.shared_limit(
        forecast_limit,
        scope=FORECAST_SCOPE + ":ip",
        key_func=ip_key,
        methods=["POST"],
        error_message=TOO_MANY_FORECASTS,
    )
    per_reader = limiter.shared_limit(
        forecast_limit,
        scope=FORECAST_SCOPE + ":reader",
        key_func=reader_key,
        methods=["POST"],
        exempt_when=is_new_visitor,
        error_message=TOO_MANY_FORECASTS,
    )
    return per_ip(per_reader(view))
