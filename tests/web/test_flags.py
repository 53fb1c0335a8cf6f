"""Flags: one per reader and published comment; the third distinct one reports the comment."""

import pytest

from predictions.core.validation import FLAG_REASON_MESSAGE, FLAG_REASONS
from predictions.extensions import db
from predictions.models import Flag, FlagReason

from ..conftest import table_counts
from .commenting import Commenter, add_comment, comment, new_commenter


@pytest.fixture
def published(app, seed) -> int:
    author = new_commenter(app, "Author")
    return add_comment(app, author.reader_id, "A published opinion.")


def test_reader_flags_a_published_comment(app, published):
    flagger = new_commenter(app)
    response = flagger.flag(published, "abuse", details="Insults another reader.")
    assert response.status_code == 201
    assert response.json["comment_id"] == published
    assert (response.json["reason"], response.json["details"]) == (
        "abuse",
        "Insults another reader.",
    )
    assert "reader_token" not in response.json
    stored = comment(app, published)
    assert (stored.flag_count, stored.reported_at) == (1, None)


def test_new_visitor_flagging_gets_a_reader_token(app, client, published):
    visitor = Commenter(app, client)
    response = visitor.flag(published, "spam")
    assert response.status_code == 201
    assert len(response.json["reader_token"]) >= 32


def test_second_flag_by_the_same_reader_is_409_and_not_counted(app, published):
    flagger = new_commenter(app)
    flagger.flag(published, "spam")
    before = table_counts(app)
    response = flagger.flag(published, "abuse")
    assert response.status_code == 409
    assert table_counts(app) == before
    assert comment(app, published).flag_count == 1


def test_third_distinct_flag_puts_the_comment_in_reported(app, published):
    for _ in range(2):
        new_commenter(app).flag(published, "hate")
    assert comment(app, published).reported_at is None
    new_commenter(app).flag(published, "off-topic")
    stored = comment(app, published)
    assert stored.flag_count == 3
    assert stored.reported_at is not None
    assert stored.status == "approved"  # still public until a moderator decides


@pytest.mark.parametrize("status", ["pending", "withheld", "rejected", "deleted"])
def test_only_published_comments_can_be_flagged(app, seed, status):
    author = new_commenter(app)
    comment_id = add_comment(app, author.reader_id, "not public", status=status)
    flagger = new_commenter(app)
    before = table_counts(app)
    assert flagger.flag(comment_id).status_code == 404
    assert table_counts(app) == before


def test_author_cannot_flag_their_own_comment(app, seed):
    author = new_commenter(app)
    comment_id = add_comment(app, author.reader_id, "mine")
    assert author.flag(comment_id).status_code == 403


BAD_FLAGS = {
    "i-disagree": ({"reason": "disagree"}, {"reason": [FLAG_REASON_MESSAGE]}),
    "empty-reason": ({"reason": ""}, {"reason": [FLAG_REASON_MESSAGE]}),
    "missing-reason": ({}, {"reason": ["Missing data for required field."]}),
    "reason-not-text": ({"reason": 1}, {"reason": ["Not a valid string."]}),
    "details-501": (
        {"reason": "spam", "details": "d" * 501},
        {"details": ["Longer than maximum length 500."]},
    ),
    "unknown-field": ({"reason": "spam", "weight": 10}, {"weight": ["Unknown field."]}),
}


@pytest.mark.parametrize("payload, errors", BAD_FLAGS.values(), ids=BAD_FLAGS.keys())
def test_bad_flag_input_is_422_and_nothing_stored(app, client, published, payload, errors):
    before = table_counts(app)
    response = client.post(f"/api/v1/comments/{published}/flags", json=payload)
    assert response.status_code == 422
    assert response.json["errors"] == errors
    assert table_counts(app) == before


def test_flag_on_unknown_comment_is_404(app, client, seed):
    response = client.post("/api/v1/comments/999999/flags", json={"reason": "spam"})
    assert response.status_code == 404


def test_flag_reasons_are_the_models_reasons():
    assert tuple(reason.value for reason in FlagReason) == FLAG_REASONS


def test_flag_form_on_the_page_flags_the_comment(app, client, published):
    response = client.post(
        f"/comments/{published}/flag",
        data={f"f{published}-reason": "spam", f"f{published}-details": "Buy now links"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#comment-{published}")
    with app.app_context():
        flag = db.session.scalars(db.select(Flag)).one()
        assert (flag.reason, flag.details) == ("spam", "Buy now links")
    again = client.post(f"/comments/{published}/flag", data={f"f{published}-reason": "abuse"})
    assert again.status_code == 303
    assert "already flagged" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_flag_form_with_a_bad_reason_is_shown_again(app, client, published):
    before = table_counts(app)
    response = client.post(f"/comments/{published}/flag", data={f"f{published}-reason": "meh"})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert table_counts(app) == before
