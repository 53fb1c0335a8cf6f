"""The project's hot paths against a minimal app outside it, in one run, on SQLite and PostgreSQL.

For each database one database is prepared with the app's CLI (migrations, the seed question
with N demo readers and closed so every client sees its crowd, a second open question that takes
the new readers' forecasts), then two gunicorns with the same settings (gunicorn.conf.py:
gthread workers) serve it: the project as in production (rate limits on, with limits one client
address cannot reach; the request log on; Redis when it answers) and `bench/reference_app.py`
(plain Flask, the same SQL by hand). `wrk` measures each pair in interleaved rounds, so that a
noisy neighbour weighs on every endpoint alike:

    hello    reference GET /hello             vs  GET /healthz
    insert   reference POST /forecasts/<slug> vs  POST /api/v1/questions/<slug>/forecasts
    counts   reference GET /counts/<slug>     vs  GET …/<slug>/aggregate, GET /q/<slug>/results

Then every endpoint (the reference's too, the yardstick of the tails) runs open-loop at half
its own peak (the Python client: requests due on a fixed schedule, latency counted from when
each was due). Loopback only; bounded in time.

    .venv/bin/python bench/hot_paths.py                            # both databases, ~4 minutes
    .venv/bin/python bench/hot_paths.py --databases sqlite --readers 334000 --seconds 5
"""

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from bench.read_bench import redis_answers  # noqa: E402
from tests.e2e.server import (  # noqa: E402 (the project root goes on the path first)
    app_env,
    prepare_database,
    run_flask,
    start_server,
    stop_server,
)

READ_SLUG = "us-russia-relations"  # N demo readers, closed: its crowd is shown to everyone
WRITE_SLUG = "bench-writes"  # open: new readers forecast on it
FORECAST_LUA = Path(__file__).with_name("forecast.lua")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
HIGH = "1000000000 per day"  # limits that one client address never reaches in a run
LIMITS = {
    name: HIGH
    for name in (
        "NEW_READER_LIMIT_PER_IP", "FORECAST_LIMIT", "FORECAST_LIMIT_PER_IP",
        "COMMENT_LIMIT", "COMMENT_LIMIT_PER_IP", "FLAG_LIMIT", "FLAG_LIMIT_PER_IP",
    )
}  # fmt: skip


@dataclass(frozen=True)
class Endpoint:
    name: str
    app: str  # "project" or "reference"
    path: str
    post: bool = False


# (pair, reference, project endpoints compared with it)
PAIRS = [
    (
        "hello",
        Endpoint("hello", "reference", "/hello"),
        [Endpoint("healthz", "project", "/healthz")],
    ),
    (
        "insert",
        Endpoint("insert", "reference", f"/forecasts/{WRITE_SLUG}", post=True),
        [Endpoint("forecast", "project", f"/api/v1/questions/{WRITE_SLUG}/forecasts", post=True)],
    ),
    (
        "counts",
        Endpoint("counts", "reference", f"/counts/{READ_SLUG}"),
        [
            Endpoint("aggregate", "project", f"/api/v1/questions/{READ_SLUG}/aggregate"),
            Endpoint("results", "project", f"/q/{READ_SLUG}/results"),
        ],
    ),
]
GOALS = {"healthz": 0.8, "forecast": 0.5, "aggregate": 0.8, "results": 0.5}
TAIL_GOAL = 3.0  # p99 / p50 at half of the endpoint's own peak


@dataclass
class Run:
    """Rounds of one endpoint: requests, seconds, and each round's percentiles (ms)."""

    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(url: str, seconds: float, connections: int, post: bool) -> dict:
    script = ["-s", str(FORECAST_LUA)] if post else []
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", *script, url],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout  # fmt: skip
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    latencies = {}
    for pct in ("50", "99"):
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        latencies[pct] = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": requests,
        "errors": (int(errors.group(1)) if errors else 0)
        + (sum(int(x) for x in re.findall(r"\d+", socket_errors.group(1))) if socket_errors else 0),
        **latencies,
    }


def send(host: str, port: int, path: str, body: bytes | None) -> bool:
    """One request on its own connection (the open-loop client)."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    try:
        connection.request("POST" if body is not None else "GET", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status < 300
    except OSError:
        return False
    finally:
        connection.close()


def forecast_body(n: int) -> bytes:
    keys = ("us-russia-cooperation", "us-eu-strain", "global-instability")
    pairs = ", ".join(f'"{k}": {1 + (n * (7 + 13 * i)) % 99}' for i, k in enumerate(keys))
    return ("{" + f'"probabilities": {{{pairs}}}' + "}").encode()


def open_loop(base_url: str, endpoint: Endpoint, rate: float, seconds: float) -> dict:
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
        if (delay := due - time.perf_counter()) > 0:
            time.sleep(delay)
        body = forecast_body(1_000_000 + i) if endpoint.post else None
        ok = send(parts.hostname, parts.port, endpoint.path, body)
        with lock:
            latencies.append((time.perf_counter() - due) * 1000)
            errors += not ok

    # Enough threads that a slow answer never holds back the next request that is due.
    with ThreadPoolExecutor(max(8, min(64, int(rate * 0.25) + 8))) as pool:
        list(pool.map(one, range(total)))
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {"rate": total / seconds, "p50": pick(0.5), "p99": pick(0.99), "errors": errors}


@contextmanager
def database(kind: str, postgres: str):
    """An empty database: a SQLite file in memory-backed /dev/shm, or a private PostgreSQL
    schema dropped afterwards."""
    if kind == "sqlite":
        shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
        with tempfile.TemporaryDirectory(prefix="bench-", dir=shm) as directory:
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
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def prepare(env: dict, readers: int, scratch: Path) -> float:
    """Schema, the seed question with `readers` demo readers (closed), the open write question.
    Returns the seconds `demo populate` took."""
    prepare_database(env)
    seed = (PROJECT_ROOT / "predictions/data/us-russia-relations.toml").read_text()
    toml = scratch / f"{WRITE_SLUG}.toml"
    toml.write_text(seed.replace(f'slug = "{READ_SLUG}"', f'slug = "{WRITE_SLUG}"', 1))
    run_flask(env, "questions", "load", str(toml))
    started = time.perf_counter()
    long_flask(env, "demo", "populate", READ_SLUG, "--readers", str(readers))
    populate = time.perf_counter() - started
    run_flask(env, "questions", "close", READ_SLUG)
    long_flask(env, "aggregates", "snapshot", READ_SLUG)
    return populate


def long_flask(env: dict, *args: str) -> None:
    """A CLI command that may take minutes at 10^6 forecasts on a busy machine."""
    flask = Path(sys.executable).parent / "flask"
    subprocess.run(
        [str(flask), "--app", "predictions", *args],
        cwd=PROJECT_ROOT, env=env, check=True, capture_output=True, timeout=900,
    )  # fmt: skip


def warm(base_url: str, endpoints: list[Endpoint]) -> None:
    parts = urlsplit(base_url)
    for endpoint in endpoints:
        for i in range(20):
            body = forecast_body(i) if endpoint.post else None
            assert send(parts.hostname, parts.port, endpoint.path, body), endpoint


def measure(kind: str, args: argparse.Namespace) -> list[str]:
    lines = []
    with database(kind, args.postgres) as url, tempfile.TemporaryDirectory() as scratch:
        settings = {**LIMITS, "SECRET_KEY": uuid.uuid4().hex}
        redis_url = args.redis if args.redis and redis_answers(args.redis) else ""
        if redis_url:
            settings.update(REDIS_URL=redis_url, AGGREGATE_CACHE_PREFIX=f"bench-{uuid.uuid4()}:")
        env = app_env(url, **settings)
        populate = prepare(env, args.readers, Path(scratch))
        project, project_url = start_server(env, workers=None)
        reference, reference_url = start_server(
            {**env, "REFERENCE_DATABASE_URL": url}, workers=None,
            app="reference_app:app", options=["--pythonpath", "bench"],
        )  # fmt: skip
        bases = {"project": project_url, "reference": reference_url}
        try:
            everything = [e for _p, ref, ours in PAIRS for e in (ref, *ours)]
            for endpoint in everything:
                warm(bases[endpoint.app], [endpoint])
            runs = {e.name: Run() for e in everything}
            load = os.getloadavg()[0]
            started = time.strftime("%H:%M:%S", time.gmtime())
            for _round in range(args.rounds):
                for endpoint in everything:
                    seconds = args.seconds / args.rounds
                    out = wrk(bases[endpoint.app] + endpoint.path, seconds, args.connections,
                              endpoint.post)  # fmt: skip
                    run = runs[endpoint.name]
                    run.requests += out["requests"]
                    run.errors += out["errors"]
                    run.seconds += seconds
                    run.p50.append(out["50"])
                    run.p99.append(out["99"])
            lines.append(
                f"\n{kind}: {args.readers * 3:,}+ forecasts (demo populate {populate:.1f} s); "
                f"cache {'Redis' if redis_url else 'in-process'}; started {started} UTC, "
                f"load {load:.1f} → {os.getloadavg()[0]:.1f}; wrk -t2 -c{args.connections}, "
                f"{args.rounds} rounds × {args.seconds / args.rounds:g} s"
            )
            lines.append(
                f"{'endpoint':<10} {'req/s':>7} {'p50':>6} {'p99':>7} {'err':>4} {'ratio':>6}"
                f" | {'half r/s':>8} {'p50':>6} {'p99':>7} {'p99/p50':>7}   (ms; p50/p99: "
                "median of rounds)"
            )
            for _pair, ref, ours in PAIRS:
                for endpoint in (ref, *ours):
                    run = runs[endpoint.name]
                    ratio = run.rate / runs[ref.name].rate
                    # The reference too: its tail at half its own peak is what this client
                    # and this machine allow, the yardstick of the project's.
                    h = open_loop(bases[endpoint.app], endpoint, run.rate / 2, args.half_seconds)
                    tail = h["p99"] / h["p50"]
                    errors = f" {h['errors']} err" if h["errors"] else ""
                    half = f" | {h['rate']:8.0f} {h['p50']:6.1f} {h['p99']:7.1f} {tail:7.1f}"
                    half += errors
                    if endpoint.app == "project":
                        goal = GOALS[endpoint.name]
                        half += (
                            f"   ratio {'ok' if ratio >= goal else 'BELOW'} {goal}, "
                            f"tail {'ok' if tail <= TAIL_GOAL else 'ABOVE'} {TAIL_GOAL:g}"
                        )
                    lines.append(
                        f"{endpoint.name:<10} {run.rate:7.0f} {statistics.median(run.p50):6.1f} "
                        f"{statistics.median(run.p99):7.1f} {run.errors:4d} {ratio:6.2f}{half}"
                    )
            print("\n".join(lines), flush=True)
        finally:
            stop_server(reference)
            stop_server(project)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--redis", default=DEFAULT_REDIS, help="REDIS_URL ('' for none)")
    parser.add_argument("--readers", type=int, default=334_000, help="x 3 scenarios = forecasts")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=9.0, help="per endpoint, all rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--half-seconds", type=float, default=5.0)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    for kind in args.databases.split(","):
        measure(kind.strip(), args)


if __name__ == "__main__":
    main()
