"""Read benchmark: the aggregate endpoint and the results page at 10^6 forecasts, against
GET /healthz of the same app, served by gunicorn on loopback. Not a test; see README.md.

    .venv/bin/python bench/read_bench.py [--readers 334000] [--duration 15] [--connections 8]
        [--changes 4]
"""

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SLUG = "us-russia-relations"
ENDPOINTS = {
    "trivial  GET /healthz": "/healthz",
    "aggregate GET /api/v1/questions/{slug}/aggregate": f"/api/v1/questions/{SLUG}/aggregate",
    "results  GET /q/{slug}/results": f"/q/{SLUG}/results",
}
GOALS = {"aggregate": 1 / 2, "results": 1 / 3}  # of the trivial endpoint's throughput


def flask(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "predictions", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return result.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


def get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def post(port: int, path: str, payload: dict, token: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        conn.request("POST", path, body=json.dumps(payload), headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class Changes:
    """A moderator banning and unbanning demo readers, `rate` times a second: each moves the
    crowd (its version), so the recency medians lag and are refreshed in the background."""

    def __init__(self, port: int, token: str, reader_ids: list[str], rate: float):
        self.port, self.token, self.reader_ids, self.rate = port, token, reader_ids, rate
        self.statuses: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        if self.rate > 0:
            self._thread.start()
        return self

    def __exit__(self, *_exc):
        self._stop.set()
        if self.rate > 0:
            self._thread.join(60)

    def _run(self):
        banned: list[str] = []
        step = 0
        while not self._stop.wait(1 / self.rate):
            if banned and step % 2:
                reader, action = banned.pop(), "unban"
            else:
                reader = self.reader_ids[step % len(self.reader_ids)]
                banned.append(reader)
                action = "ban"
            payload = {"reason": "spam"} if action == "ban" else {}
            status = post(
                self.port, f"/api/v1/moderation/readers/{reader}/{action}", payload, self.token
            )
            self.statuses[status] = self.statuses.get(status, 0) + 1
            step += 1


def run_wrk(url: str, duration: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latencies = {}
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        latencies[pct] = value * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "ms": latencies, "errors": int(errors.group(1)) if errors else 0}


def run_python(port: int, path: str, duration: int, connections: int) -> dict:
    """Threads, one connection per request."""
    deadline = time.monotonic() + duration
    samples: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker():
        mine = []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            if get(port, path) != 200:
                errors[0] += 1
            mine.append(time.perf_counter() - started)
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples.sort()
    pick = lambda q: 1000 * samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    return {
        "rps": len(samples) / duration,
        "ms": {p: pick(int(p) / 100) for p in ("50", "75", "90", "99")},
        "errors": errors[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=334_000, help="x 3 scenarios = forecasts")
    parser.add_argument("--duration", type=int, default=15, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/15",
        help="REDIS_URL for the shared recency cache ('' for in-process)",
    )
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--changes",
        type=float,
        default=0,
        help="changes of the crowd per second during the runs (bans and unbans); 0: quiet",
    )
    args = parser.parse_args()

    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    if args.client == "wrk" and not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk (or --client python)")
    directory = Path(
        tempfile.mkdtemp(
            prefix="predictions-bench-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None
        )
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DATABASE_URL=f"sqlite:///{directory}/bench.db",
        SECRET_KEY="bench",
    )
    redis_url = args.redis if args.redis and redis_answers(args.redis) else ""
    if redis_url:
        env["REDIS_URL"] = redis_url
    process = None
    try:
        started = time.monotonic()
        flask(env, "db", "upgrade")
        flask(env, "questions", "seed")
        print(flask(env, "demo", "populate", SLUG, "--readers", str(args.readers)))
        # Closed: the crowd is visible to every client, as it is to a reader who forecast.
        flask(env, "questions", "close", SLUG)
        print(flask(env, "aggregates", "snapshot", SLUG))
        token, reader_ids = "", []
        if args.changes:
            flask(env, "moderators", "create", "bench", "--password-stdin", stdin="bench " * 4)
            token = flask(env, "moderators", "token", "bench").splitlines()[-1]
            with sqlite3.connect(directory / "bench.db") as db:
                rows = db.execute("SELECT id FROM readers ORDER BY id LIMIT 50").fetchall()
            reader_ids = [row[0] for row in rows]
        print(
            f"prepared in {time.monotonic() - started:.0f} s; cache: "
            f"{'Redis ' + redis_url if redis_url else 'in-process'}"
        )
        port = free_port()
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                if get(port, "/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        for path in ENDPOINTS.values():  # warm every worker
            for _ in range(4 * args.workers):
                assert get(port, path) == 200, path
        results = {}
        changed: dict[int, int] = {}
        for name, path in ENDPOINTS.items():
            with Changes(port, token, reader_ids, args.changes if path != "/healthz" else 0) as c:
                if use_wrk:
                    results[name] = run_wrk(
                        f"http://127.0.0.1:{port}{path}", args.duration, args.connections
                    )
                else:
                    results[name] = run_python(port, path, args.duration, args.connections)
            for status, count in c.statuses.items():
                changed[status] = changed.get(status, 0) + count
        client = (
            f"wrk -t2 -c{args.connections} -d{args.duration}s"
            if use_wrk
            else (f"python client, {args.connections} threads, {args.duration} s")
        )
        print(f"\n{args.readers * 3:,}+ forecasts; {args.workers} gthread workers; {client}")
        if args.changes:
            print(f"crowd changes (bans/unbans) during the crowd's runs, by status: {changed}")
        print(
            f"{'endpoint':52} {'req/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7}"
            f" {'vs trivial':>10}"
        )
        trivial = next(iter(results.values()))["rps"]
        ok = True
        for name, result in results.items():
            ratio = result["rps"] / trivial
            goal = next((g for key, g in GOALS.items() if name.startswith(key)), None)
            verdict = (
                "" if goal is None else ("  ok" if ratio >= goal else f"  BELOW goal {goal:.2f}")
            )
            ok &= goal is None or ratio >= goal
            ms = result["ms"]
            print(
                f"{name:52} {result['rps']:8.0f} {ms['50']:7.1f} {ms['90']:7.1f} {ms['99']:7.1f} "
                f"{ratio:10.2f}{verdict}"
                + (f"  ({result['errors']} errors)" if result["errors"] else "")
            )
        return 0 if ok else 1
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
