"""Where a hot path's time goes: cProfile over N in-process requests, top functions by
cumulative time. Not a test; see README.md.

The app runs as in production (rate limits on with high limits, the request log on, written to
/dev/null; Redis when it answers) on a SQLite file prepared with the CLI as by hot_paths.py.
The Flask test client stands in for gunicorn, which is the same for every app.

    .venv/bin/python bench/profile_hot_paths.py [--requests 2000] [--top 25] [--readers 30000]
        [--only healthz,forecast,aggregate,results]
"""

import argparse
import cProfile
import io
import logging
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hot_paths import (  # noqa: E402
    DEFAULT_REDIS,
    LIMITS,
    READ_SLUG,
    WRITE_SLUG,
    forecast_body,
    prepare,
    redis_answers,
)

from tests.e2e.server import app_env  # noqa: E402

PATHS = {
    "healthz": ("GET", "/healthz"),
    "forecast": ("POST", f"/api/v1/questions/{WRITE_SLUG}/forecasts"),
    "aggregate": ("GET", f"/api/v1/questions/{READ_SLUG}/aggregate"),
    "results": ("GET", f"/q/{READ_SLUG}/results"),
}


def run_as_in_production(directory: Path, readers: int, redis: str) -> None:
    """This process's environment for an app as in production, on a SQLite file in `directory`
    prepared with the CLI (`readers` demo readers): rate limits on with high limits, Redis when
    it answers, the request log on (written where it costs the write only)."""
    settings = {**LIMITS, "SECRET_KEY": uuid.uuid4().hex}
    if redis and redis_answers(redis):
        settings.update(REDIS_URL=redis, AGGREGATE_CACHE_PREFIX=f"prof-{uuid.uuid4()}:")
    env = app_env(f"sqlite:///{directory}/bench.db", **settings)
    prepare(env, readers, directory)
    os.environ.clear()
    os.environ.update(env)
    log = logging.getLogger("predictions.requests")
    log.addHandler(logging.StreamHandler(open(os.devnull, "w")))  # noqa: SIM115
    log.setLevel(logging.INFO)
    log.propagate = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--readers", type=int, default=30_000)
    parser.add_argument("--only", default=",".join(PATHS))
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="profile-", dir="/dev/shm") as directory:
        run_as_in_production(Path(directory), args.readers, args.redis)
        from predictions import create_app

        app = create_app()
        client = app.test_client(use_cookies=False)  # every request a new visitor
        for name in args.only.split(","):
            method, path = PATHS[name]

            def call(i: int, method=method, path=path) -> None:
                if method == "POST":
                    response = client.post(
                        path, data=forecast_body(i), content_type="application/json"
                    )
                else:
                    response = client.get(path)
                assert response.status_code < 300, (path, response.status_code)

            for i in range(50):  # warm the caches and the statement cache
                call(i)
            plain = time.process_time()
            for i in range(args.requests):
                call(100_000 + i)
            plain = time.process_time() - plain
            profile = cProfile.Profile()
            cpu, wall = time.process_time(), time.perf_counter()
            profile.enable()
            for i in range(args.requests):
                call(1000 + i)
            profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            stats.sort_stats("cumulative").print_stats(args.top)
            print(
                f"\n## {name} {method} {path}: {args.requests} requests, "
                f"{1000 * plain / args.requests:.2f} ms CPU each "
                f"({1000 * cpu / args.requests:.2f} ms under the profiler, "
                f"{1000 * wall / args.requests:.2f} ms wall)"
            )
            lines = out.getvalue().splitlines()
            start = next(i for i, line in enumerate(lines) if "ncalls" in line)
            print("\n".join(line for line in lines[start:] if line.strip()))


if __name__ == "__main__":
    main()
