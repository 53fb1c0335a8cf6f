"""Abuse limits per reader and per IP-prefix hash (SPEC §6), counted with the `limits` library.

Views call `spend(...)` once the input has passed every check and before `committed()` writes
anything: a refused or mistyped submission costs nothing, and a request the limits refuse has
written nothing. The moderators' login form spends its limit on every attempt, before anything
is checked. Limits are strings from the config ("1 per 15 seconds;20 per day"), counted in fixed
windows in `RATELIMIT_STORAGE_URI` (Redis when `REDIS_URL` is set, else a SQLite file all
workers share; see config.ratelimit_storage_uri) under `RATELIMIT_KEY_PREFIX`. While that
storage fails (Redis stopped, the file unwritable), each worker counts in its own memory
(see `Counters`) rather than refuse or fail the request.

The limits are counted here, where a view decides, and not by Flask-Limiter: its per-request
hook cost every request 0.2-0.4 ms (bench/hook_costs.py) though only the login form had a
limit of its own.
"""

import functools
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask, after_this_request, current_app
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import (
    MemoryStorage,
    RedisClusterStorage,
    RedisStorage,
    Storage,
    storage_from_string,
)
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from werkzeug.exceptions import TooManyRequests

from ..services.readers import Visitor
from . import limit_storage  # noqa: F401  registers sqlite:/// with `limits`
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
    "login": Action(None, "MODERATOR_LOGIN_LIMIT", "Too many login attempts."),
}

# One limit on one key: (the limit, the key's parts, the message when it is spent).
Check = tuple[RateLimitItem, tuple[str, ...], str]
# A spent limit: (message, seconds to wait, the limit, its reset as a Unix time).
Refusal = tuple[str, int, RateLimitItem, int]


class RateLimited(TooManyRequests):
    """429 with Retry-After (and X-RateLimit-*, see spend); the API and the pages render it."""

    def __init__(self, message: str, retry_after: int):
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(f"{message} Try again in {retry_after} {unit}.", retry_after=retry_after)


@functools.lru_cache(maxsize=64)
def parsed(limit_string: str) -> tuple[RateLimitItem, ...]:
    """The limits of a config string, parsed once per process (every request spends them)."""
    return tuple(parse_many(limit_string))


def enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def spend(actions: Iterable[str], visitor: Visitor | None) -> None:
    """Count one of each action for the visitor and the client's IP hash, or raise RateLimited.

    A newcomer (whom the write will make a reader) also counts against the new-readers limit
    of the IP hash, and is counted under the id their reader will have: their next requests
    then find this one counted, as if the reader had existed. Without a visitor (the login
    form) only the IP hash counts.

    All limits are tested before any is counted, so a refused request spends nothing. A
    newcomer's own counters are not tested: their id was drawn for this request, so nothing can
    be counted under it yet.
    """
    if not enabled():
        return
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "predictions"
    ip_key = request_ip_hash()
    checks: list[Check] = []
    untested: list[Check] = []
    newcomer = visitor is not None and visitor.is_new
    for name in [*actions, *(["new_reader"] if newcomer else [])]:
        action = ACTIONS[name]
        if action.reader_setting and visitor is not None:
            for item in parsed(current_app.config[action.reader_setting]):
                check = (item, (prefix, name, "reader", visitor.id), action.message)
                (untested if newcomer else checks).append(check)
        if action.ip_setting:
            for item in parsed(current_app.config[action.ip_setting]):
                checks.append((item, (prefix, name, "ip", ip_key), action.message))
    refused = counters().spend(checks, untested)
    if refused is not None:
        message, wait, item, reset_at = refused
        announce(item, reset_at)
        raise RateLimited(message, wait)


class Counters:
    """The app's counters: its storage, the fixed-window strategy, and the fallback in memory.

    On Redis every limit of a request is tested and counted by one Lua script, atomically: one
    round trip, where testing and counting each key with the strategy took one per key and per
    step (five for a new reader's forecast). Other storages go through the strategy.

    A stopped Redis (or an unwritable counter file) must not stop the forecasts, nor let them
    through uncounted: after a failure the limits hold per worker process, as they would with
    `memory://`, for `retry_seconds`, then the storage is tried again.
    """

    def __init__(self, storage: Storage, retry_seconds: float):
        self.storage = storage
        self.strategy: RateLimiter = FixedWindowRateLimiter(storage)
        self.retry_seconds = retry_seconds
        self.down_until = 0.0
        self.memory: RateLimiter | None = None
        self.spend_in_redis = (
            RedisSpend(storage)
            if isinstance(storage, RedisStorage) and not isinstance(storage, RedisClusterStorage)
            else None
        )

    def spend(self, checks: list[Check], untested: list[Check]) -> Refusal | None:
        """Count every check (and the untested ones), or none when one is spent: the refusal."""
        if time.monotonic() >= self.down_until:
            try:
                if self.spend_in_redis is not None:
                    return self.spend_in_redis(checks, untested)
                return strategy_spend(self.strategy, checks, untested)
            except (StorageError, *storage_errors(self.storage)) as error:
                self.down_until = time.monotonic() + self.retry_seconds
                current_app.logger.warning(
                    "Rate-limit storage unreachable (%s); counting in this process for %g s",
                    type(error).__name__,
                    self.retry_seconds,
                )
        if self.memory is None:
            self.memory = FixedWindowRateLimiter(MemoryStorage())
        return strategy_spend(self.memory, checks, untested)


def strategy_spend(strategy: RateLimiter, checks: list[Check], untested: list[Check]):
    """Test every check, then count them all and the untested ones: the refusal or None."""
    breached = [check for check in checks if not strategy.test(check[0], *check[1])]
    if not breached:
        # Another request may have spent the last unit between test and hit.
        counted = [*checks, *untested]
        breached = [check for check in counted if not strategy.hit(check[0], *check[1])]
    now = time.time()
    return refusal([(seconds_to_wait(strategy, c[0], c[1], now), c) for c in breached], now)


def refusal(waits: list[tuple[int, Check]], now: float) -> Refusal | None:
    """The refusal for the spent checks (each with its wait): the first one's message, the
    longest wait and its limit; None when nothing is spent."""
    if not waits:
        return None
    wait, (item, _, _) = max(waits, key=lambda pair: pair[0])
    return waits[0][1][2], wait, item, int(now + wait)


# KEYS[i]: a counter; ARGV[2i-1]: its limit; ARGV[2i]: its window in seconds. A counter's window
# starts with its first count and ends when the key expires, as `limits`' own fixed window.
SPEND_ALL = """
local spent = {}
for i, key in ipairs(KEYS) do
  if tonumber(redis.call("get", key) or "0") >= tonumber(ARGV[2 * i - 1]) then
    table.insert(spent, i)
    table.insert(spent, redis.call("ttl", key))
  end
end
if #spent == 0 then
  for i, key in ipairs(KEYS) do
    if redis.call("incr", key) == 1 then
      redis.call("expire", key, ARGV[2 * i])
    end
  end
end
return spent
"""


class RedisSpend:
    """Every limit of a request tested and counted in one round trip (a Lua script), atomically:
    no other request can spend the last unit between the test and the count. A newcomer's own
    counters are tested too: it is free here, and they are empty."""

    def __init__(self, storage: RedisStorage):
        self.storage = storage
        self.script = storage.get_connection().register_script(SPEND_ALL)

    def __call__(self, checks: list[Check], untested: list[Check]) -> Refusal | None:
        counted = [*checks, *untested]
        if not counted:
            return None
        keys = [self.storage.prefixed_key(item.key_for(*key)) for item, key, _ in counted]
        arguments = [v for item, _, _ in counted for v in (item.amount, item.get_expiry())]
        spent = self.script(keys, arguments)  # each limit's amount, then its window
        waits = [
            (bounded_wait(ttl, counted[index - 1][0]), counted[index - 1])
            for index, ttl in zip(spent[::2], spent[1::2], strict=True)
        ]
        return refusal(waits, time.time())


def storage_errors(storage: Storage) -> tuple[type[Exception], ...]:
    """What a storage raises when it fails (a type or a tuple, by storage)."""
    errors = storage.base_exceptions
    return errors if isinstance(errors, tuple) else (errors,)


def counters() -> Counters:
    return current_app.extensions["predictions_limits"]


def seconds_to_wait(strategy, item: RateLimitItem, key: tuple[str, ...], now: float) -> int:
    """Until the window of a spent limit ends."""
    return bounded_wait(strategy.get_window_stats(item, *key).reset_time - now, item)


def bounded_wait(seconds: float, item: RateLimitItem) -> int:
    """Whole seconds to wait, at least 1 and at most the window: storages round their clocks
    differently (and Redis's TTL is -1 or -2 for a key without expiry or gone)."""
    return max(1, min(math.ceil(seconds), item.get_expiry()))


def announce(item: RateLimitItem, reset_at: int) -> None:
    """The spent limit in X-RateLimit-* headers on this request's answer: the limit, nothing
    remaining, the reset as a Unix time."""
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


def spend_login() -> None:
    """A login attempt, right or wrong, counted per IP hash: guessing is what it limits."""
    spend(["login"], None)


def init_app(app: Flask) -> None:
    """The counters, from RATELIMIT_STORAGE_URI and RATELIMIT_STORAGE_OPTIONS."""
    storage = storage_from_string(
        app.config["RATELIMIT_STORAGE_URI"], **app.config.get("RATELIMIT_STORAGE_OPTIONS", {})
    )
    app.extensions["predictions_limits"] = Counters(
        storage, float(app.config["FALLBACK_RETRY_SECONDS"])
    )
