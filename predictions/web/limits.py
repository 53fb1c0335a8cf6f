"""Abuse limits per reader and per IP-prefix hash (SPEC §6), counted in Flask-Limiter's storage.

Views call `spend(...)` once the input has passed every check and before `committed()` writes
anything: a refused or mistyped submission costs nothing, and a request the limits refuse has
written nothing. Limits are strings from the config ("1 per 15 seconds;20 per day"); the
counters live in the storage Flask-Limiter was given (`RATELIMIT_STORAGE_URI`: Redis when
`REDIS_URL` is set, else a SQLite file all workers share; see config.ratelimit_storage_uri),
under `RATELIMIT_KEY_PREFIX`.
"""

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

from flask import after_this_request, current_app
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import TooManyRequests

from ..extensions import limiter
from ..services.readers import Visitor
from .identity import request_ip_hash


@dataclass(frozen=True)
class Action:
    reader_setting: str | None
    ip_setting: str | None
    message: str


ACTIONS = {
    "comment": Action("COMMENT_LIMIT", "COMMENT_LIMIT_PER_IP", "You are commenting too often."),
    "edit": Action("COMMENT_EDIT_LIMIT", None, "You are editing too often."),
    "forecast": Action("FORECAST_LIMIT", "FORECAST_LIMIT_PER_IP", "Too many forecasts."),
    "flag": Action("FLAG_LIMIT", "FLAG_LIMIT_PER_IP", "You are flagging too often."),
    "new_reader": Action(None, "NEW_READER_LIMIT_PER_IP", "Too many new readers from here."),
}


class RateLimited(TooManyRequests):
    """429 with Retry-After (and X-RateLimit-*, see spend); the API and the pages render it."""

    def __init__(self, message: str, retry_after: int):
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(f"{message} Try again in {retry_after} {unit}.", retry_after=retry_after)


def enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True)) and limiter.enabled


def spend(actions: Iterable[str], visitor: Visitor) -> None:
    """Count one of each action for the visitor and the client's IP hash, or raise RateLimited.

    A newcomer (whom the write will make a reader) also counts against the new-readers limit
    of the IP hash, and is counted under the id their reader will have: their next requests
    then find this one counted, as if the reader had existed.

    All limits are tested before any is counted, so a refused request spends nothing. A
    newcomer's own counters are not tested: their id was drawn for this request, so nothing can
    be counted under it yet, and each test is a round trip to the storage (Redis).
    """
    if not enabled():
        return
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "predictions"
    ip_key = request_ip_hash()
    checks: list[tuple[RateLimitItem, tuple[str, ...], str]] = []
    untested: list[tuple[RateLimitItem, tuple[str, ...], str]] = []
    for name in [*actions, *(["new_reader"] if visitor.is_new else [])]:
        action = ACTIONS[name]
        if action.reader_setting:
            for item in parse_many(current_app.config[action.reader_setting]):
                check = (item, (prefix, name, "reader", visitor.id), action.message)
                (untested if visitor.is_new else checks).append(check)
        if action.ip_setting:
            for item in parse_many(current_app.config[action.ip_setting]):
                checks.append((item, (prefix, name, "ip", ip_key), action.message))
    strategy = limiter.limiter
    breached = [check for check in checks if not strategy.test(check[0], *check[1])]
    checks += untested
    if not breached:
        # Another request may have spent the last unit between test and hit.
        breached = [check for check in checks if not strategy.hit(check[0], *check[1])]
    if breached:
        now = time.time()
        wait, item = max(
            ((seconds_to_wait(strategy, item, key, now), item) for item, key, _ in breached),
            key=lambda pair: pair[0],
        )
        announce(item, int(now + wait))
        raise RateLimited(breached[0][2], wait)


def seconds_to_wait(strategy, item: RateLimitItem, key: tuple[str, ...], now: float) -> int:
    """Until the window of a spent limit ends (at least 1 s, at most the window: storages
    round their clocks differently)."""
    reset = strategy.get_window_stats(item, *key).reset_time
    return max(1, min(math.ceil(reset - now), item.get_expiry()))


def announce(item: RateLimitItem, reset_at: int) -> None:
    """The spent limit in X-RateLimit-* headers on this request's answer, as Flask-Limiter's
    own limits send them: the limit, nothing remaining, the reset as a Unix time."""
    headers = {
        "X-RateLimit-Limit": str(item.amount),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(reset_at),
    }

    @after_this_request
    def add_headers(response):
        response.headers.update(headers)
        return response


def spend_forecast(visitor: Visitor, with_comment: bool) -> None:
    """The limits of a forecast submission (and of its comment, and of a reader it creates)."""
    spend(["forecast", *(["comment"] if with_comment else [])], visitor)
