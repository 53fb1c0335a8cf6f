"""No parameter reaches a 500: every route in the URL map, every path and query parameter, with
values a client should never send. API answers keep the one JSON error shape."""

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from ..conftest import ModeratorActions, make_comment, make_moderator

HUGE = str(10**30)
INTEGER_VALUES = [HUGE, "-1", "0", "1.5", "abc", "", "1e9"]
STRING_VALUES = ["x" * 5000, "a\x01b\r\nc", "%00", "..", " "]
# The query parameters any view reads (pages and API alike).
QUERY_PARAMETERS = ["page", "per_page", "sort", "status", "at", "scenario", "action", "moderator"]
QUERY_VALUES = [HUGE, "-1", "1.5", "", "a\x01b\r\nc", "x" * 5000]
SKIPPED = {"static", "api_reference.static", "api-docs.openapi_json"}  # files, the document


def routes(app: Flask):
    """(rule, method) for every route but static files and the OpenAPI document."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED or rule.endpoint.startswith("api-docs"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def urls(rule, valid: dict[str, str]):
    """The rule with each argument in turn replaced by each bad value (the others valid)."""
    integer_args = {
        name
        for name, converter in rule._converters.items()
        if isinstance(converter, IntegerConverter)
    }
    for name in rule.arguments:
        values = INTEGER_VALUES if name in integer_args else STRING_VALUES
        for value in values:
            path = rule.rule
            for other in rule.arguments:
                shown = value if other == name else valid[other]
                path = path.replace(f"<int:{other}>", shown).replace(f"<{other}>", shown)
            yield path
    if not rule.arguments:
        yield rule.rule
    else:
        path = rule.rule
        for other in rule.arguments:
            path = path.replace(f"<int:{other}>", valid[other]).replace(f"<{other}>", valid[other])
        yield path


def problem(response, path: str) -> str | None:
    """What is wrong with the answer: a 5xx, or an API error outside the one shape."""
    if response.status_code >= 500:
        return f"{response.status_code}"
    if path.startswith("/api/") and response.status_code >= 400:
        body = response.get_json(silent=True) or {}
        if not {"code", "status", "message"} <= set(body):
            return f"{response.status_code} without the error shape"
    return None


def answered(client, path: str, method: str, **kwargs) -> str | None:
    """The problem with the answer to one request, if any; the answer is closed (a file it
    streams, such as the embed loader, is not left open)."""
    response = client.open(path, method=method, **kwargs)
    try:
        return problem(response, path)
    finally:
        response.close()


@pytest.mark.parametrize("who", ["anonymous", "moderator"])
def test_no_parameter_reaches_a_500(app, seed, who):
    comment_id, reader_id = make_comment(app, status="approved")
    make_moderator(app, "ada", admin=True)
    moderator = ModeratorActions(app.test_client(), "ada")
    client = app.test_client()
    if who == "moderator":
        assert moderator.login().status_code == 303
        client = moderator.client
    valid = {
        "slug": seed,
        "comment_id": str(comment_id),
        "parent_id": str(comment_id),
        "reader_id": reader_id,
        "moderator_id": "1",
        "entry_id": "1",
        "key": "us-eu-strain",
        "name": "pending",
    }
    failures = []
    for rule, method in routes(app):
        for path in urls(rule, valid):
            kwargs = {"json": {}} if path.startswith("/api/") and method != "GET" else {}
            if found := answered(client, path, method, **kwargs):
                failures.append((method, path, found))
            if method != "GET":
                continue
            for parameter in QUERY_PARAMETERS:
                for value in QUERY_VALUES:
                    if found := answered(client, path, method, query_string={parameter: value}):
                        failures.append((method, f"{path}?{parameter}={value[:20]!r}", found))
    assert failures == []
