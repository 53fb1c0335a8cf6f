"""Domain errors are mapped to HTTP once: JSON in the one error shape for the API, HTML for pages,
and what the request wrote is rolled back."""

import pytest

from predictions import errors
from predictions.extensions import db
from predictions.models import Reader

from ..conftest import table_counts

KINDS = [
    (errors.NotFound("No such comment."), 404, "Not Found"),
    (errors.Conflict("The comment changed meanwhile."), 409, "Conflict"),
    (errors.Refused("Only the author can change a comment."), 403, "Forbidden"),
    (errors.Invalid("Too long.", field="body"), 422, "Unprocessable Entity"),
]


@pytest.fixture
def raising_app(app):
    """The app with two routes that write a reader and then raise the error in the query."""
    failures = {str(i): error for i, (error, _code, _status) in enumerate(KINDS)}

    def write_then_fail(kind: str):
        db.session.add(Reader(id=f"half-written-{kind}"))
        db.session.flush()
        raise failures[kind]

    app.add_url_rule("/api/v1/test-domain-error/<kind>", "api_fail", write_then_fail)
    app.add_url_rule("/test-domain-error/<kind>", "page_fail", write_then_fail)
    return app


@pytest.mark.parametrize(
    ("index", "code", "status"), [(i, code, status) for i, (_e, code, status) in enumerate(KINDS)]
)
def test_api_answers_each_domain_error_in_the_error_shape(raising_app, index, code, status):
    response = raising_app.test_client().get(f"/api/v1/test-domain-error/{index}")
    error = KINDS[index][0]
    assert response.status_code == code
    body = response.json
    assert body["code"] == code and body["status"] == status
    assert body["message"] == error.message
    assert body.get("errors", {}) == error.errors
    assert table_counts(raising_app)["readers"] == 0


def test_invalid_names_its_field():
    assert errors.Invalid("Too long.", field="body").errors == {"body": ["Too long."]}
    assert errors.Conflict("Closed.").errors == {}


@pytest.mark.parametrize(("index", "code"), [(i, k[1]) for i, k in enumerate(KINDS)])
def test_pages_answer_each_domain_error_as_html(raising_app, index, code):
    response = raising_app.test_client().get(f"/test-domain-error/{index}")
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert KINDS[index][0].message in response.get_data(as_text=True)
    assert table_counts(raising_app)["readers"] == 0
