"""Rate limits through gunicorn as `make run` starts it (its workers, no Redis): a limit holds
at exactly the documented number across the workers, and replacing them resets nothing."""

import os
import re
import signal
import time
from pathlib import Path

import pytest
from limits import parse

from predictions.config import Defaults

from .load import forecast, probabilities, request
from .server import PROJECT_ROOT, app_env, prepare_database, start_server, stop_server, worker_pids

pytestmark = pytest.mark.e2e

RESTART_TIMEOUT = 20.0  # seconds for the master to replace killed workers


def documented(setting: str) -> str:
    """A setting's default as the documentation's tables (docs/*.md) state it."""
    docs = "\n".join(path.read_text() for path in sorted((PROJECT_ROOT / "docs").glob("*.md")))
    match = re.search(rf"^\| `{setting}` \| `([^`]+)` \|", docs, re.MULTILINE)
    assert match, f"{setting} is not in the documentation's tables"
    return match.group(1)


def replace_workers(master_pid: int) -> list[int]:
    """SIGKILL every worker; the new workers' pids once the master has started as many."""
    old = worker_pids(master_pid)
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + RESTART_TIMEOUT
    while time.monotonic() < deadline:
        new = worker_pids(master_pid)
        if len(new) == len(old) and not set(new) & set(old):
            return new
        time.sleep(0.05)
    raise AssertionError(f"workers {old} were not replaced in {RESTART_TIMEOUT:g} s")


def test_new_readers_from_one_address_stop_at_the_documented_limit_across_restarts(
    tmp_path: Path,
):
    limit = documented("NEW_READER_LIMIT_PER_IP")
    assert limit == Defaults.NEW_READER_LIMIT_PER_IP
    allowed = parse(limit).amount
    env = app_env(f"sqlite:///{tmp_path / 'predictions.db'}")  # every limit at its default
    prepare_database(env)
    process, base_url = start_server(env, workers=None)  # as make run: gunicorn.conf.py
    try:
        assert len(worker_pids(process.pid)) > 1  # so one worker's count alone could not do
        replies = [forecast(base_url, probabilities(n)) for n in range(allowed + 1)]
        assert [reply.status for reply in replies] == [201] * allowed + [429]
        refused = replies[-1]
        assert "Too many new readers" in refused.body["message"]
        assert refused.headers["x-ratelimit-limit"] == str(allowed)

        replace_workers(process.pid)
        assert forecast(base_url, probabilities(allowed + 1)).status == 429
        # The readers already made are not new: they go on forecasting.
        again = forecast(base_url, probabilities(1), token=replies[0].token)
        assert again.status == 201
        assert request(base_url, "GET", "/healthz").status == 200
    finally:
        stop_server(process)
