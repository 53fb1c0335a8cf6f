"""What the per-request machinery costs: `/healthz` with each hook taken away, against bare Flask.

Issue 15 asks, for a goal out of reach, what it would take, measured. `/healthz` is one
`SELECT 1`; everything else it pays is the machinery every request pays (CSRF, the request
log, the security headers, the write lock's hook, the session):
this takes them away one at a time from the same app, and all at once, and runs a bare Flask app
(`SELECT 1` on sqlite3) in the same harness (Flask's test client, which costs the same for
every app), in interleaved rounds: CPU milliseconds per request and the ratio to bare.

    .venv/bin/python bench/hook_costs.py [--requests 3000] [--rounds 3]
"""

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hot_paths import DEFAULT_REDIS  # noqa: E402
from profile_hot_paths import run_as_in_production  # noqa: E402

HOOKS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")


def bare_app(path: str) -> Flask:
    """Plain Flask with one view: `SELECT 1` on a sqlite3 connection per request."""
    app = Flask("bare")

    @app.get("/healthz")
    def healthz():
        connection = sqlite3.connect(path)
        try:
            connection.execute("SELECT 1").fetchone()
        finally:
            connection.close()
        return {"status": "ok"}

    return app


def hook_name(function) -> str:
    function = getattr(function, "func", function)  # functools.partial
    return f"{function.__module__.split('.')[0]}:{function.__qualname__}"


def hook_names(app: Flask) -> set[str]:
    """The names of every request hook the app runs."""
    return {hook_name(f) for a in HOOKS for fs in getattr(app, a).values() for f in fs}


def drop_hooks(app: Flask, dropped: set[str]) -> Flask:
    """The app without the request hooks named in `dropped`."""
    for attribute in HOOKS:
        hooks = getattr(app, attribute)
        for key, functions in list(hooks.items()):
            hooks[key] = [f for f in functions if hook_name(f) not in dropped]
    return app


def cpu_per_request(client, requests: int) -> float:
    for _ in range(50):
        client.get("/healthz")
    start = time.process_time()
    for _ in range(requests):
        response = client.get("/healthz")
        assert response.status_code == 200, response.status_code
    return 1000 * (time.process_time() - start) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hooks-", dir="/dev/shm") as directory:
        run_as_in_production(Path(directory), 100, args.redis)
        from predictions import create_app

        app = create_app()
        every = hook_names(app)
        variants = {"the app as it runs": set()}
        for name in sorted(every):
            variants[f"without {name}"] = {name}
        variants["without every request hook"] = every
        clients = {
            label: drop_hooks(create_app(), dropped).test_client(use_cookies=False)
            for label, dropped in variants.items()
        }
        clients["bare Flask + sqlite3"] = bare_app(f"{directory}/bench.db").test_client()

        results: dict[str, list[float]] = {label: [] for label in clients}
        for _ in range(args.rounds):
            for label, client in clients.items():
                results[label].append(cpu_per_request(client, args.requests))

    bare = statistics.median(results["bare Flask + sqlite3"])
    full = statistics.median(results["the app as it runs"])
    print(
        f"GET /healthz, {args.requests} requests x {args.rounds} interleaved rounds, "
        "Flask test client, CPU ms per request (median of rounds)"
    )
    print(f"{'variant':<62} {'ms':>6} {'saves':>6} {'ratio':>6}")
    for label, values in results.items():
        ms = statistics.median(values)
        print(f"{label:<62} {ms:6.3f} {full - ms:6.3f} {bare / ms:6.2f}")


if __name__ == "__main__":
    main()
