"""One structured log line per request: route, status, duration. No reader ids, no addresses."""

import json
import logging
import time

from flask import Flask, Response, g, request

logger = logging.getLogger("predictions.requests")


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    started = g.pop("request_started", None)
    if started is not None:
        rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        logger.info(
            json.dumps(
                {
                    "event": "request",
                    "method": request.method,
                    "route": rule,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "bytes": response.calculate_content_length(),
                }
            )
        )
    return response


def init_app(app: Flask) -> None:
    if not logger.handlers and not app.testing:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    app.before_request(_start_timer)
    app.after_request(_log_request)
