"""The API reference: Swagger UI from the installed package under the site's CSP, and an OpenAPI
document a developer can read (tags, bearer schemes, a summary and a description everywhere)."""

import json
import re

import pytest

OPERATIONS = {"get", "post", "put", "patch", "delete"}
# What a reader of the reference has no use for: our modules, files and the product spec.
INTERNAL = re.compile(r"SPEC|§|\.py\b|predictions\.|services/|core/|\bblp\b|_api\b")


@pytest.fixture
def document(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in OPERATIONS:
                yield f"{method.upper()} {path}", operation


def test_docs_page_serves_swagger_ui_from_local_files_under_the_csp(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert len(scripts) == 2 and all(
        "src=" in attrs and not body.strip() for attrs, body in scripts
    )
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and not [url for url in assets if url.startswith(("http:", "https:", "//"))]
    for url in assets:
        answer = client.get(url)
        assert answer.status_code == 200, url
        answer.close()
    bundle = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.get_data()
    bundle.close()
    assert 'data-spec-url="/api/v1/openapi.json"' in html


def test_document_declares_the_reader_and_moderator_bearer_schemes(document):
    schemes = document["components"]["securitySchemes"]
    for name in ("readerToken", "moderatorToken"):
        assert schemes[name]["type"] == "http" and schemes[name]["scheme"] == "bearer"
        assert schemes[name]["description"]
    for name, operation in operations(document):
        expected = "moderatorToken" if "/moderation/" in name or ".csv" in name else "readerToken"
        assert any(expected in option for option in operation["security"]), name


def test_every_operation_has_a_summary_a_description_and_a_readable_tag(document):
    declared = {tag["name"] for tag in document["tags"]}
    assert declared == {
        "Questions",
        "Forecasts",
        "Crowd",
        "Scores",
        "Comments",
        "Your data",
        "Moderation",
    }
    for name, operation in operations(document):
        assert operation.get("summary", "").strip(), name
        assert "\n" not in operation["summary"] and len(operation["summary"]) <= 60, name
        assert len(operation.get("description", "").strip()) >= 40, name
        assert operation["tags"] and set(operation["tags"]) <= declared, name


def test_document_mentions_no_internal_module_or_spec_section(document):
    text = json.dumps(document, ensure_ascii=False)
    assert INTERNAL.findall(text) == []
