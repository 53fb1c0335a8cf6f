"""A real server for browser tests: the app's CLI prepares the database, gunicorn serves it.

Reusable on purpose: ``start_server(env, workers=...)`` works for any DATABASE_URL (SQLite or
PostgreSQL) and any number of workers; ``workers=None`` serves as `make run` does, with what
gunicorn.conf.py says. Every server started here is tracked until it is stopped, so a failing
test can show the logs of the servers it talked to (see conftest.py).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from predictions.config import ENVIRONMENT_SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
START_TIMEOUT = 20.0  # seconds until a new server must answer
POLL_INTERVAL = 0.1
STOP_TIMEOUT = 10.0

# Servers still running, with the file their output goes to.
RUNNING: dict[subprocess.Popen, Path] = {}

# No proxy between the tests and the loopback server, whatever the shell says.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerError(RuntimeError):
    """The app could not be prepared or served; the message carries its output."""


def _command(name: str, *module: str) -> list[str]:
    """The venv's console script, or ``python -m`` when the script is not beside the interpreter."""
    script = BIN / name
    return [str(script)] if script.exists() else [sys.executable, "-m", *module]


def app_env(database_url: str, **settings: str) -> dict[str, str]:
    """The process environment for the app: this one without the app's own settings, plus ours.

    Settings the developer's shell exports (REDIS_URL, DATABASE_URL, …) never leak into a test
    server; only ``database_url`` and the given settings apply.
    """
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT_SETTINGS}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="e2e-test-secret",
        PYTHONUNBUFFERED="1",
    )
    env.update(settings)
    return env


def run_flask(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run ``flask --app predictions <args>`` in the project (``stdin`` as its input); its
    output, or ServerError."""
    result = subprocess.run(
        [*_command("flask", "flask"), "--app", "predictions", *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise ServerError(f"flask {' '.join(args)} exited with {result.returncode}:\n{output}")
    return output


def prepare_database(env: dict[str, str]) -> None:
    """Create the schema with the migrations and load the seed question."""
    run_flask(env, "db", "upgrade")
    run_flask(env, "questions", "seed")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn_options() -> list[str]:
    """Options this gunicorn understands that keep parallel servers apart."""
    try:
        from gunicorn.config import KNOWN_SETTINGS
    except ImportError:  # pragma: no cover - gunicorn is a dependency
        return []
    names = {setting.name for setting in KNOWN_SETTINGS}
    # gunicorn >= 24 opens a control socket at one fixed path per user; servers would share it.
    return ["--no-control-socket"] if "control_socket_disable" in names else []


def answers(url: str, timeout: float = 1.0) -> bool:
    """Whether an HTTP server answers at url (any status counts)."""
    try:
        with _opener.open(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def server_log(process: subprocess.Popen) -> str:
    """What the server wrote so far (empty once it has been stopped)."""
    path = RUNNING.get(process)
    if path is None or not path.exists():
        return ""
    return path.read_text(errors="replace")


def _launch(
    env: dict[str, str], workers: int | None, app: str, options: list[str]
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    fd, log_name = tempfile.mkstemp(prefix="e2e-gunicorn-", suffix=".log")
    log_path = Path(log_name)
    with os.fdopen(fd, "wb") as log:
        process = subprocess.Popen(
            [
                *_command("gunicorn", "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                *(["--workers", str(workers)] if workers is not None else []),
                "--graceful-timeout",
                "5",
                "--access-logfile",
                "-",
                *_gunicorn_options(),
                *options,
                app,
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    RUNNING[process] = log_path
    return process, f"http://127.0.0.1:{port}"


def start_server(
    env: dict[str, str],
    workers: int | None = 2,
    timeout: float = START_TIMEOUT,
    app: str = "wsgi:app",
    options: list[str] | None = None,
) -> tuple[subprocess.Popen, str]:
    """Serve the app with gunicorn on a free loopback port; (process, base URL) once it answers.

    gunicorn reads gunicorn.conf.py (worker class, threads, timeouts) as under `make run`;
    ``workers`` overrides its number of workers unless None. ``app`` and extra gunicorn
    ``options`` serve another WSGI app with the same settings (bench/hot_paths.py's reference).

    The database named by env["DATABASE_URL"] must be ready (see prepare_database). Raises
    ServerError, with the server's output, when it exits or does not answer within ``timeout``.
    Stop it with stop_server.
    """
    for _attempt in range(3):
        process, base_url = _launch(env, workers, app, options or [])
        deadline = time.monotonic() + timeout
        exited = False
        while time.monotonic() < deadline:
            if process.poll() is not None:
                exited = True
                break
            if answers(base_url + "/"):
                return process, base_url
            time.sleep(POLL_INTERVAL)
        log = stop_server(process)
        if exited and "Address already in use" in log:
            continue  # another process took the free port before gunicorn bound it
        what = f"exited with {process.returncode}" if exited else f"did not answer in {timeout:g} s"
        raise ServerError(f"gunicorn at {base_url} {what}; its output:\n{log}")
    raise ServerError(f"gunicorn could not bind a free port; its output:\n{log}")


def worker_pids(master_pid: int) -> list[int]:
    """The gunicorn workers: processes whose parent is the master."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its parenthesis.
        if int(stat.rpartition(")")[2].split()[1]) == master_pid:
            pids.append(int(entry.name))
    return sorted(pids)


def stop_server(process: subprocess.Popen) -> str:
    """Stop the server (SIGTERM, then SIGKILL if it lingers); returns everything it logged."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
    log_path = RUNNING.pop(process, None)
    if log_path is None:
        return ""
    try:
        return log_path.read_text(errors="replace")
    finally:
        log_path.unlink(missing_ok=True)
