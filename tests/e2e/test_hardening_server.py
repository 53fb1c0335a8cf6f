"""Hardening through a real gunicorn: 413 is answered, headers are sent, logs keep no address."""

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from .load import FORECASTS, QUESTION, request, server_settings
from .server import app_env, prepare_database, server_log, start_server, stop_server

pytestmark = pytest.mark.e2e

CLIENT_ADDRESS = "203.0.113.77"  # what a proxy in front says the client was


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    """(process, base URL): gunicorn behind one trusted proxy hop, with an access log."""
    path = Path(tmp_path_factory.mktemp("hardening")) / "predictions.db"
    env = app_env(f"sqlite:///{path}", **server_settings(TRUSTED_PROXIES="1"))
    prepare_database(env)
    process, base_url = start_server(env, workers=2)
    yield process, base_url
    stop_server(process)


@pytest.mark.parametrize("size", [100_000, 6_000_000])
def test_an_oversized_body_is_answered_413_not_reset(server, size):
    _process, base_url = server
    body = json.dumps({"probabilities": {"us-eu-strain": 40}, "comment": "x" * size}).encode()
    reply = request(
        base_url,
        "POST",
        FORECASTS,
        headers={"Content-Type": "application/json"},
        body=body,
    )
    assert reply.status == 413
    assert reply.body["code"] == 413
    assert request(base_url, "GET", "/healthz").status == 200


def send_chunked(base_url: str, body: bytes) -> tuple[int, dict]:
    """POST a forecast body with Transfer-Encoding: chunked (no Content-Length)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        head = (
            f"POST {FORECASTS} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        ).encode()
        chunks = b"".join(
            b"%x\r\n%s\r\n" % (len(body[i : i + 8192]), body[i : i + 8192])
            for i in range(0, len(body), 8192)
        )
        connection.sendall(head + chunks + b"0\r\n\r\n")
        reply = b""
        while data := connection.recv(65536):
            reply += data
    status_line, _, rest = reply.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


@pytest.mark.parametrize(("size", "status"), [(100_000, 413), (100, 201)])
def test_a_chunked_body_is_held_to_the_same_limit(server, size, status):
    _process, base_url = server
    body = json.dumps({"probabilities": {"us-eu-strain": 40}, "comment": "x" * size}).encode()
    code, answer = send_chunked(base_url, body)
    assert code == status
    assert (answer["code"] if status == 413 else answer["forecast"]["probabilities"]) == (
        413 if status == 413 else {"us-eu-strain": 40}
    )


def test_real_server_sends_the_security_headers(server):
    _process, base_url = server
    reply = request(base_url, "GET", "/q/us-russia-relations")
    assert "script-src 'self'" in reply.headers["content-security-policy"]
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_request_log_lines_carry_no_client_address(server):
    process, base_url = server
    headers = {"X-Forwarded-For": CLIENT_ADDRESS}
    token = request(
        base_url, "POST", FORECASTS, {"probabilities": {"us-eu-strain": 40}}, headers=headers
    ).token
    assert token
    request(base_url, "GET", QUESTION, headers=headers)
    request(base_url, "GET", QUESTION + "/forecasts/mine", token=token, headers=headers)
    log = server_log(process)
    requests = [line for line in log.splitlines() if "/api/v1/questions" in line]
    json_lines = [json.loads(line) for line in requests if line.startswith("{")]
    access_lines = [line for line in requests if not line.startswith("{")]
    assert {entry["status"] for entry in json_lines} >= {200, 201}
    assert access_lines  # gunicorn's access log is on in these tests
    for line in requests:
        assert CLIENT_ADDRESS not in line
        assert "127.0.0.1" not in line
        assert token not in line
