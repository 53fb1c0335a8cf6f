"""Slow clients against gunicorn as `make run` starts it (gunicorn.conf.py): a client sending
its request slowly, or never closing its end, holds one thread, never a worker, so everyone
else is answered at once; a client gone silent mid-request is dropped after the client timeout.
"""

import http.client
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .load import FORECASTS, probabilities, server_settings
from .server import app_env, prepare_database, server_log, start_server, stop_server

pytestmark = pytest.mark.e2e

SLOW_HEADERS = 4  # connections trickling their headers
SLOW_BODIES = 2  # connections trickling a forecast's body
LINGERING = 4  # connections sending a whole request, then never reading nor closing
TRICKLE_EVERY = 0.1  # seconds between two bytes of a slow client
PROBE_SECONDS = 2.0  # how long other clients are timed while the slow ones trickle
ANSWER_WITHIN = 1.0  # seconds any other client may wait
PROBE_TIMEOUT = 5.0  # a starved server fails the test quickly instead of hanging it
SILENT_CLIENTS = 30  # more than the threads of all workers (2 × 12)
CLIENT_TIMEOUT = 1  # seconds, for the silent-client server only (make run's is 10)


def serve(tmp_path: Path, **settings: str) -> tuple[object, str]:
    env = app_env(f"sqlite:///{tmp_path / 'predictions.db'}", **server_settings(**settings))
    prepare_database(env)
    return start_server(env, workers=None)  # gunicorn.conf.py's workers, as under make run


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[object, str]]:
    process, base_url = serve(tmp_path)
    yield process, base_url
    stop_server(process)


def address(base_url: str) -> tuple[str, int]:
    host, port = base_url.removeprefix("http://").split(":")
    return host, int(port)


class SlowClient:
    """One connection sending its request a byte at a time after a head start, never the
    last bytes until finish()."""

    def __init__(self, base_url: str, request: bytes, head_start: int, reserve: int = 2):
        self.socket = socket.create_connection(address(base_url), timeout=PROBE_TIMEOUT)
        self.request = request
        self.socket.sendall(request[:head_start])
        self.sent = head_start
        self.reserve = reserve

    def trickle(self) -> None:
        if self.sent < len(self.request) - self.reserve:
            self.socket.sendall(self.request[self.sent : self.sent + 1])
            self.sent += 1

    def finish(self) -> int:
        """Send the rest; the status of the answer."""
        self.socket.sendall(self.request[self.sent :])
        answer = b""
        while b"\r\n" not in answer and (data := self.socket.recv(4096)):
            answer += data
        self.socket.close()
        return int(answer.split()[1])


def slow_head(base_url: str) -> SlowClient:
    request = (
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: "
        + b"p" * 200
        + b"\r\nConnection: close\r\n\r\n"
    )
    return SlowClient(base_url, request, head_start=len(b"GET /healthz HTTP/1.1\r\n"))


def slow_body(base_url: str, n: int) -> SlowClient:
    body = b'{"probabilities": {"us-eu-strain": %d}}' % (10 + n) + b" " * 200
    head = (
        b"POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (FORECASTS.encode(), len(body))
    )
    return SlowClient(base_url, head + body, head_start=len(head) + 1)


def lingering(base_url: str) -> SlowClient:
    request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    return SlowClient(base_url, request, head_start=len(request), reserve=0)


def timed(base_url: str, method: str, path: str, body: bytes | None = None) -> tuple[int, float]:
    """(status, seconds) of one request on a fresh connection."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(*address(base_url), timeout=PROBE_TIMEOUT)
    try:
        headers = {"Content-Type": "application/json"} if body else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    return response.status, time.monotonic() - started


def forecast_body(n: int) -> bytes:
    return b'{"probabilities": {"us-eu-strain": %d}}' % probabilities(n)["us-eu-strain"]


def test_clients_are_answered_within_a_second_while_others_trickle(server):
    _process, base_url = server
    slow = [slow_head(base_url) for _ in range(SLOW_HEADERS)]
    slow += [slow_body(base_url, n) for n in range(SLOW_BODIES)]
    slow += [lingering(base_url) for _ in range(LINGERING)]
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(TRICKLE_EVERY):
            for client in slow:
                client.trickle()

    trickler = threading.Thread(target=trickle)
    trickler.start()
    probes: list[tuple[str, int, float]] = []
    try:
        stop.wait(2 * TRICKLE_EVERY)  # every slow client is in a thread of the server by now
        deadline = time.monotonic() + PROBE_SECONDS
        n = 0
        while time.monotonic() < deadline:
            probes.append(("GET /healthz", *timed(base_url, "GET", "/healthz")))
            probes.append(("POST forecast", *timed(base_url, "POST", FORECASTS, forecast_body(n))))
            n += 1
            stop.wait(TRICKLE_EVERY)
    finally:
        stop.set()
        trickler.join()
    assert {(what, status) for what, status, _ in probes} == {
        ("GET /healthz", 200),
        ("POST forecast", 201),
    }
    slowest = max(seconds for _, _, seconds in probes)
    assert slowest < ANSWER_WITHIN, probes
    # The slow clients were served too, not dropped: each gets its answer once it is done.
    statuses = sorted(client.finish() for client in slow)
    assert statuses == [200] * (SLOW_HEADERS + LINGERING) + [201] * SLOW_BODIES


def close_when_closed(connections: list[socket.socket], closed: list[socket.socket]) -> None:
    """Close each connection as soon as the server closes it without an answer, as a client
    would (the server waits a moment for that before it lets go of the connection)."""
    waiting = selectors.DefaultSelector()
    for connection in connections:
        waiting.register(connection, selectors.EVENT_READ)
    deadline = time.monotonic() + PROBE_TIMEOUT
    while waiting.get_map() and time.monotonic() < deadline:
        for key, _events in waiting.select(timeout=deadline - time.monotonic()):
            if key.fileobj.recv(1024) == b"":
                closed.append(key.fileobj)
            waiting.unregister(key.fileobj)
            key.fileobj.close()
    waiting.close()


def test_clients_gone_silent_mid_request_are_dropped_and_free_their_threads(tmp_path):
    process, base_url = serve(tmp_path, GUNICORN_CLIENT_TIMEOUT=str(CLIENT_TIMEOUT))
    silent = [
        socket.create_connection(address(base_url), timeout=PROBE_TIMEOUT)
        for _ in range(SILENT_CLIENTS)
    ]
    closed: list[socket.socket] = []
    closer = threading.Thread(target=close_when_closed, args=(silent, closed))
    try:
        for connection in silent:
            connection.sendall(b"GET /healthz HTTP/1.1\r\n")
        closer.start()
        time.sleep(0.2)  # let them take every thread there is
        status, seconds = timed(base_url, "GET", "/healthz")
        assert status == 200
        # At worst behind one silent client per thread, and then another.
        assert seconds < 2 * CLIENT_TIMEOUT + ANSWER_WITHIN
        closer.join()
        assert len(closed) == SILENT_CLIENTS  # every one dropped by the server, unanswered
        log = server_log(process)
        assert f"Dropped a client stalled for {CLIENT_TIMEOUT} s mid-request" in log
        assert "Traceback" not in log
    finally:
        if closer.ident is not None:
            closer.join()
        for connection in silent:
            connection.close()
        stop_server(process)
