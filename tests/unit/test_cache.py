"""The recency cache: expiry in memory, and the same behaviour on Redis when one answers."""

import socket
import uuid

import pytest

from predictions.cache import MISSING, MemoryCache, RedisCache, make_cache


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_memory_cache_expires_entries():
    clock = Clock()
    cache = MemoryCache(clock=clock)
    cache.set("a", 42.5, 5)
    assert cache.get("a") == 42.5
    clock.now += 5
    assert cache.get("a") is MISSING


def test_memory_cache_zero_seconds_stores_nothing_and_size_is_bounded():
    cache = MemoryCache(max_entries=2)
    cache.set("zero", 1, 0)
    assert cache.get("zero") is MISSING
    for key in "abc":
        cache.set(key, key, 60)
    assert cache.get("a") is MISSING and cache.get("c") == "c"


def redis_or_skip(url="redis://127.0.0.1:6379/0"):
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis answers on 127.0.0.1:6379")
    return url


def test_redis_cache_shares_values_between_instances():
    url = redis_or_skip()
    prefix = f"predictions-test:{uuid.uuid4().hex}:"
    one, two = RedisCache(url, prefix), RedisCache(url, prefix)
    one.set("recency:1", 61.0, 30)
    assert two.get("recency:1") == 61.0
    assert two.get("recency:2") is MISSING
    one.clear()
    assert two.get("recency:1") is MISSING


def test_a_lock_taken_with_add_is_free_again_once_deleted():
    url = redis_or_skip()
    prefix = f"predictions-test:{uuid.uuid4().hex}:"
    for one, two in [(MemoryCache(),) * 2, (RedisCache(url, prefix), RedisCache(url, prefix))]:
        assert one.add("refreshing:1", 1, 60)
        assert not two.add("refreshing:1", 1, 60)  # held: nobody else starts
        one.delete("refreshing:1")
        assert two.add("refreshing:1", 1, 60)
        one.clear()


def test_a_shared_cache_that_fails_is_replaced_by_memory_without_an_error(caplog):
    with socket.socket() as sock:  # a port where nothing listens: Redis "stopped"
        sock.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    cache = make_cache(dead, "predictions-test:", retry_seconds=60)
    cache.set("recency:1", 61.0, 30)
    assert cache.get("recency:1") == 61.0  # kept in this process meanwhile
    assert cache.add("refreshing:1", 1, 60)
    assert not cache.add("refreshing:1", 1, 60)
    cache.clear()
    assert cache.get("recency:1") is MISSING
    # One warning for the outage, not one per call.
    assert [r.message for r in caplog.records].count(
        "Shared cache unreachable (ConnectionError); this process caches in memory for 60 s"
    ) == 1
