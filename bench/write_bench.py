"""Write benchmark: the real forecast endpoint against a plain-SQL reference, on both databases.

For each database (SQLite file, PostgreSQL schema) one gunicorn with the same worker settings
serves three endpoints, measured in one run:

- ``trivial``:   GET /healthz (the framework and one SELECT 1: the floor of any request)
- ``reference``: POST /bench/reference/<slug>, a new reader's forecast in hand-written SQL
- ``real``:      POST /api/v1/questions/<slug>/forecasts from new readers (validation, identity,
                 the active-forecast rules, the kept counts: everything production does)

Each gets a closed-loop run (CONCURRENCY clients back to back: the peak rate) and an open-loop
run at half of that peak (requests sent on a fixed schedule, latency measured from the moment a
request was due, so a slow server cannot hide its queue). Loopback only; every run is bounded.

    .venv/bin/python bench/write_bench.py                 # both databases, ~3 minutes
    .venv/bin/python bench/write_bench.py --databases sqlite --seconds 5
"""

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from tests.e2e.server import (  # noqa: E402 (the project root goes on the path first)
    app_env,
    prepare_database,
    start_server,
    stop_server,
)

SLUG = "us-russia-relations"
KEYS = ("us-russia-cooperation", "us-eu-strain", "global-instability")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
TIMEOUT = 30.0


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    body: Callable[[int], bytes | None]
    expect: int


def forecast_body(n: int) -> bytes:
    return json.dumps(
        {"probabilities": {key: 1 + (n * (7 + 13 * i)) % 99 for i, key in enumerate(KEYS)}}
    ).encode()


ENDPOINTS = [
    Endpoint("trivial", "GET", "/healthz", lambda n: None, 200),
    Endpoint("reference", "POST", f"/bench/reference/{SLUG}", forecast_body, 201),
    Endpoint("real", "POST", f"/api/v1/questions/{SLUG}/forecasts", forecast_body, 201),
]


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def send(host: str, port: int, endpoint: Endpoint, n: int) -> bool:
    """One request on a new connection (gunicorn's sync workers close after each response)."""
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    body = endpoint.body(n)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    try:
        connection.request(endpoint.method, endpoint.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status == endpoint.expect
    except OSError:
        return False
    finally:
        connection.close()


class Counter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0

    def take(self) -> int:
        with self._lock:
            self._next += 1
            return self._next


def closed_loop(base_url: str, endpoint: Endpoint, clients: int, seconds: float) -> Result:
    """CONCURRENCY clients sending back to back for a fixed time: the peak rate."""
    parts = urlsplit(base_url)
    counter = Counter()
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients

    def client(i: int) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            ok = send(parts.hostname, parts.port, endpoint, counter.take())
            latencies[i].append((time.perf_counter() - started) * 1000)
            errors[i] += not ok

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    elapsed = time.perf_counter() - started
    flat = [x for group in latencies for x in group]
    return Result(len(flat), sum(errors), elapsed, flat)


def open_loop(base_url: str, endpoint: Endpoint, rate: float, seconds: float) -> Result:
    """Requests due at a fixed rate; latency counts from when each was due (no omission)."""
    parts = urlsplit(base_url)
    total = max(1, int(rate * seconds))
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.perf_counter() + 0.05

    def one(i: int) -> None:
        nonlocal errors
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        ok = send(parts.hostname, parts.port, endpoint, 10_000_000 + i)
        with lock:
            latencies.append((time.perf_counter() - due) * 1000)
            errors += not ok

    # Enough threads that a slow answer never holds back the next request that is due.
    with ThreadPoolExecutor(max(8, min(64, int(rate * 0.25) + 8))) as pool:
        list(pool.map(one, range(total)))
    elapsed = time.perf_counter() - start
    return Result(total, errors, elapsed, latencies)


def combined(results: list[Result]) -> Result:
    """Several runs of one endpoint as one."""
    return Result(
        sum(r.requests for r in results),
        sum(r.errors for r in results),
        sum(r.seconds for r in results),
        [x for r in results for x in r.latencies_ms],
    )


@contextmanager
def database(kind: str, postgres: str) -> Iterator[str]:
    """An empty database: a SQLite file, or a private PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-") as directory:
            yield f"sqlite:///{directory}/bench.db"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(postgres)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    conninfo = {"host": url.host, "port": url.port or 5432, "user": url.username,
                "dbname": url.database, "password": url.password}  # fmt: skip
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield str(url.update_query_dict({"options": f"-csearch_path={schema}"}))
    finally:
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def run(kind: str, args: argparse.Namespace) -> list[dict]:
    rows = []
    with database(kind, args.postgres) as url:
        env = app_env(url, RATELIMIT_ENABLED="false", PREDICTIONS_BENCH_REFERENCE="1")
        prepare_database(env)
        process, base_url = start_server(env, workers=args.workers)
        try:
            for endpoint in ENDPOINTS:
                closed_loop(base_url, endpoint, args.concurrency, 1.0)  # warm up
            # The peaks are measured in interleaved rounds (trivial, reference, real, trivial,
            # …): on a shared machine the neighbours' load then weighs on every endpoint alike.
            peaks: dict[str, list[Result]] = {endpoint.name: [] for endpoint in ENDPOINTS}
            seconds = args.seconds / args.rounds
            for _round in range(args.rounds):
                for endpoint in ENDPOINTS:
                    result = closed_loop(base_url, endpoint, args.concurrency, seconds)
                    peaks[endpoint.name].append(result)
            for endpoint in ENDPOINTS:
                peak = combined(peaks[endpoint.name])
                half = open_loop(base_url, endpoint, peak.rate / 2, args.seconds)
                rows.append(
                    {"database": kind, "endpoint": endpoint.name, "peak": peak, "half": half}
                )
                print(format_row(rows[-1]), flush=True)
        finally:
            stop_server(process)
    return rows


def format_row(row: dict) -> str:
    peak, half = row["peak"], row["half"]
    return (
        f"{row['database']:<10} {row['endpoint']:<9} "
        f"{peak.rate:8.1f} {peak.percentile(50):7.1f} {peak.percentile(90):7.1f} "
        f"{peak.percentile(99):7.1f} {peak.errors:4d} | "
        f"{half.rate:8.1f} {half.percentile(50):7.1f} {half.percentile(90):7.1f} "
        f"{half.percentile(99):7.1f} {half.errors:4d}"
    )


def verdict(rows: list[dict]) -> list[str]:
    """The goals: real >= half the reference's peak; p99 < 50 ms at half of its own peak."""
    lines = []
    for kind in sorted({row["database"] for row in rows}):
        by_name = {row["endpoint"]: row for row in rows if row["database"] == kind}
        real, reference = by_name["real"], by_name["reference"]
        ratio = real["peak"].rate / reference["peak"].rate
        p99 = real["half"].percentile(99)
        lines.append(
            f"{kind}: real/reference throughput {ratio:.2f} "
            f"({'ok' if ratio >= 0.5 else 'BELOW'} goal 0.5); "
            f"real p99 at half peak {p99:.1f} ms ({'ok' if p99 < 50 else 'ABOVE'} goal 50 ms)"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(
        f"gunicorn sync workers={args.workers}; closed loop: {args.concurrency} clients; "
        f"{args.seconds:g} s per run (peaks in {args.rounds} interleaved rounds)\n"
        f"{'database':<10} {'endpoint':<9} {'peak r/s':>8} {'p50':>7} {'p90':>7} {'p99':>7} "
        f"{'err':>4} | {'half r/s':>8} {'p50':>7} {'p90':>7} {'p99':>7} {'err':>4}   (ms)"
    )
    rows = []
    for kind in args.databases.split(","):
        rows += run(kind.strip(), args)
    print("\n".join(verdict(rows)))
    print("medians of the real endpoint's latencies (ms):",
          {r["database"]: round(statistics.median(r["half"].latencies_ms), 1)
           for r in rows if r["endpoint"] == "real"})  # fmt: skip


if __name__ == "__main__":
    main()
