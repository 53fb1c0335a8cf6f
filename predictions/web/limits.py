"""Abuse limits per reader and per IP-prefix hash (SPEC §6), counted in Flask-Limiter's storage.

Views call `spend(...)` once the input has passed every check and before `committed()` writes
anything: a refused or mistyped submission costs nothing, and a request the limits refuse has
written nothing. Limits are strings from the config ("1 per 15 seconds;20 per day"); the
counters live in the storage Flask-Limiter was given (`RATELIMIT_STORAGE_URI`: Redis when
`REDIS_URL` is set, else a SQLite file all workers share; see config.ratelimit_storage_uri),
under `RATELIMIT_KEY_PREFIX`. While that storage fails (Redis stopped, the file unwritable), each
worker counts in its own memory (`CountingFallback`) rather than refuse or fail the request.
"""

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

from flask import after_this_request, current_app
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import RateLimiter
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
    refusal = _counting_fallback().count(lambda strategy: _refusal(strategy, checks, untested))
    if refusal is not None:
        message, wait, item, reset_at = refusal
        announce(item, reset_at)
        raise RateLimited(message, wait)


def _refusal(strategy: RateLimiter, checks: list, untested: list) -> tuple | None:
    """Count every check (and the untested ones), or none when one is spent: then
    (message, wait, item, reset_at)."""
    breached = [check for check in checks if not strategy.test(check[0], *check[1])]
    if not breached:
        # Another request may have spent the last unit between test and hit.
        counted = [*checks, *untested]
        breached = [check for check in counted if not strategy.hit(check[0], *check[1])]
    if not breached:
        return None
    now = time.time()
    wait, item = max(
        ((seconds_to_wait(strategy, item, key, now), item) for item, key, _ in breached),
        key=lambda pair: pair[0],
    )
    return breached[0][2], wait, item, int(now + wait)


class CountingFallback:
    """Counts in the limiter's storage; after it failed, for `retry_seconds`, in this process.

    A stopped Redis (or an unwritable counter file) must not stop the forecasts, nor let them
    through uncounted: the limits then hold per worker process, as they would with `memory://`,
    until the storage answers again.
    """

    def __init__(self, retry_seconds: float):
        self.retry_seconds = retry_seconds
        self.down_until = 0.0
        self.memory: RateLimiter | None = None

    def count(self, job):
        if time.monotonic() >= self.down_until:
            try:
                return job(limiter.limiter)
            except (StorageError, *_storage_errors()) as error:
                self.down_until = time.monotonic() + self.retry_seconds
                current_app.logger.warning(
                    "Rate-limit storage unreachable (%s); counting in this process for %g s",
                    type(error).__name__,
                    self.retry_seconds,
                )
        if self.memory is None:
            self.memory = type(limiter.limiter)(MemoryStorage())
        return job(self.memory)


def _storage_errors() -> tuple[type[Exception], ...]:
    """What the limiter's storage raises when it fails (a type or a tuple, by storage)."""
    errors = limiter.storage.base_exceptions
    return errors if isinstance(errors, tuple) else (errors,)


def _counting_fallback() -> CountingFallback:
    extensions = current_app.extensions
    if "predictions_counting_fallback" not in extensions:
        retry = float(current_app.config["FALLBACK_RETRY_SECONDS"])
        extensions.setdefault("predictions_counting_fallback", CountingFallback(retry))
    return extensions["predictions_counting_fallback"]


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
