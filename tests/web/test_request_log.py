"""Request logs: one JSON line per request, with the route but no reader id or address."""

import json
import logging


def test_each_request_logs_route_status_and_duration_without_identity(api_reader, caplog):
    with caplog.at_level(logging.INFO, logger="predictions.requests"):
        response = api_reader.client.post(
            "/api/v1/questions/us-russia-relations/forecasts",
            json={"probabilities": {"us-eu-strain": 40}},
            environ_base={"REMOTE_ADDR": "198.51.100.23"},
        )
    token = response.json["reader_token"]
    lines = [r.getMessage() for r in caplog.records if r.name == "predictions.requests"]
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["route"] == "/api/v1/questions/<slug>/forecasts"
    assert entry["method"] == "POST"
    assert entry["status"] == 201
    assert entry["duration_ms"] >= 0
    assert "198.51.100" not in lines[0]
    assert token not in lines[0]
