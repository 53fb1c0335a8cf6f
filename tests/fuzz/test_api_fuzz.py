"""The JSON API under a fuzzer: schemathesis generates requests from /api/v1/openapi.json.

Every answer must be documented (status code, content type, body schema) and none may be a 5xx.
The budget is bounded (max_examples per operation, a fixed seed) so a run takes seconds.
"""

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    missing_required_header,
    positive_data_acceptance,
)

from predictions.extensions import db
from predictions.services import moderators, questions

from ..conftest import MODERATOR_PASSWORD, SEED_SLUG, make_test_app

EXAMPLES_PER_OPERATION = 25


def fuzzed_app() -> tuple[object, str]:
    """The app on an in-memory SQLite with the seed question, rate limits off, and the API
    token of a moderator (so the moderation operations are fuzzed past their 401)."""
    app = make_test_app("sqlite://", SECRET_KEY="fuzz-secret")
    with app.app_context():
        db.create_all()
        questions.load_seed()
        token = moderators.issue_token(moderators.create_moderator("fuzz", MODERATOR_PASSWORD))
        db.session.commit()
    return app, token


APP, MODERATOR_TOKEN = fuzzed_app()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
MODERATORS_ONLY = ("/moderation/", "/export.csv", "/comments.csv")


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Aim most cases at the question that exists, some at random slugs (the 404 path)."""
    if not path_parameters or "slug" not in path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([{**path_parameters, "slug": SEED_SLUG}, path_parameters])


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented_and_never_5xx(case):
    # A question's scenario keys are data, not schema: a schema-valid body may still name a
    # scenario the question lacks and be refused with 422, so "valid data must be accepted"
    # cannot hold. Every other check runs, not_a_server_error and the conformance checks included.
    moderators_only = any(part in case.path for part in MODERATORS_ONLY)
    excluded = [positive_data_acceptance]
    if moderators_only:
        # The document declares the moderator's bearer scheme, so the fuzzer fills the header
        # with tokens of its own making: ours replaces it, or every case stops at the 401. Its
        # replays without or with a wrong token then still carry ours, so those two checks
        # would flag our own token; the door itself is tested in tests/web/test_moderation_auth.py.
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {MODERATOR_TOKEN}"}
        excluded += [ignored_auth, missing_required_header]
    response = case.call_and_validate(excluded_checks=excluded)
    assert not moderators_only or response.status_code != 401  # the fuzzer got past the door
