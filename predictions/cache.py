"""A small key-value cache with expiry: Redis when REDIS_URL is set (workers share it), else
a dictionary in the process.

It holds what is costly to compute and may lag a few seconds (the recency medians); values
are JSON, so both backends hand back the same types. When Redis fails, each process keeps its
values in memory for a while (FallbackCache): the cache is an optimisation, never a dependency.
"""

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

MISSING = object()
logger = logging.getLogger(__name__)


class MemoryCache:
    """An in-process cache with per-entry expiry and a bound on its size."""

    def __init__(
        self,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
        as_json: bool = True,
    ):
        # as_json=False keeps the objects themselves: for immutable values that never leave
        # the process (e.g. frozen dataclasses of past days).
        self._entries: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._clock = clock
        self._as_json = as_json

    def get(self, key: str) -> object:
        """The value stored under key, or MISSING when absent or expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return MISSING
            expires, stored = entry
            if expires <= self._clock():
                del self._entries[key]
                return MISSING
            return json.loads(stored) if self._as_json else stored

    def set(self, key: str, value: object, seconds: float) -> None:
        """Keep value (JSON-serialisable) under key for that many seconds."""
        with self._lock:
            self._store(key, value, seconds)

    def _store(self, key: str, value: object, seconds: float) -> None:
        if seconds <= 0:
            return
        stored = json.dumps(value) if self._as_json else value
        self._entries[key] = (self._clock() + seconds, stored)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def add(self, key: str, value: object, seconds: float) -> bool:
        """Store only if the key is absent (or expired); whether this call stored it."""
        with self._lock:  # check and store at once: two threads never both get it
            entry = self._entries.get(key)
            if entry is not None and entry[0] > self._clock():
                return False
            self._store(key, value, seconds)
        return True

    def delete(self, key: str) -> None:
        """Forget one key."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()


class RedisCache:
    """The same interface on Redis, so every worker and machine sees one value."""

    def __init__(self, url: str, prefix: str = "predictions:cache:", timeout: float = 1.0):
        import redis

        # A Redis that hangs costs a request `timeout` seconds, then FallbackCache takes over.
        self._redis = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._prefix = prefix
        self.errors: tuple[type[Exception], ...] = (redis.RedisError,)

    def get(self, key: str) -> object:
        """The value stored under key, or MISSING when absent or expired."""
        text = self._redis.get(self._prefix + key)
        return MISSING if text is None else json.loads(text)

    def set(self, key: str, value: object, seconds: float) -> None:
        """Keep value (JSON-serialisable) under key for that many seconds."""
        milliseconds = int(seconds * 1000)
        if milliseconds > 0:
            self._redis.set(self._prefix + key, json.dumps(value), px=milliseconds)

    def add(self, key: str, value: object, seconds: float) -> bool:
        """Store only if the key is absent (SET NX); whether this call stored it."""
        milliseconds = max(1, int(seconds * 1000))
        return bool(
            self._redis.set(self._prefix + key, json.dumps(value), px=milliseconds, nx=True)
        )

    def delete(self, key: str) -> None:
        """Forget one key."""
        self._redis.delete(self._prefix + key)

    def clear(self) -> None:
        """Forget every key of this cache's prefix."""
        keys = list(self._redis.scan_iter(match=self._prefix + "*"))
        if keys:
            self._redis.delete(*keys)


class FallbackCache:
    """A shared cache that, while it fails, is replaced by one in this process's memory.

    After a failure it is tried again `retry_seconds` later. Meanwhile each worker keeps its
    own values (and its own refresh locks), which costs some repeated work, never a wrong
    answer: every value is keyed by what it depends on.
    """

    def __init__(self, shared: RedisCache, retry_seconds: float = 5.0):
        self._shared = shared
        self._local = MemoryCache()
        self._retry_seconds = retry_seconds
        self._down_until = 0.0

    def _call(self, method: str, *args):
        if time.monotonic() >= self._down_until:
            try:
                return getattr(self._shared, method)(*args)
            except self._shared.errors as error:
                self._down_until = time.monotonic() + self._retry_seconds
                logger.warning(
                    "Shared cache unreachable (%s); this process caches in memory for %g s",
                    type(error).__name__,
                    self._retry_seconds,
                )
        return getattr(self._local, method)(*args)

    def get(self, key: str) -> object:
        return self._call("get", key)

    def set(self, key: str, value: object, seconds: float) -> None:
        self._call("set", key, value, seconds)

    def add(self, key: str, value: object, seconds: float) -> bool:
        return self._call("add", key, value, seconds)

    def delete(self, key: str) -> None:
        self._call("delete", key)

    def clear(self) -> None:
        self._local.clear()
        self._call("clear")


def make_cache(
    redis_url: str | None, prefix: str = "predictions:cache:", retry_seconds: float = 5.0
):
    """Redis (falling back to memory while it fails) when a URL is configured, else memory."""
    if not redis_url:
        return MemoryCache()
    return FallbackCache(RedisCache(redis_url, prefix), retry_seconds)
