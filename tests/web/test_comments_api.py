"""Comments through the JSON API: the pipeline decides, the author sees 201 or 202, the public
sees only published comments, and authors edit or delete within 10 minutes."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from predictions.extensions import db
from predictions.models import Comment, CommentRevision, ModerationAction, WordListEntry

from ..conftest import table_counts
from .commenting import (
    SLUG,
    Commenter,
    actions_for,
    add_comment,
    age,
    close_question,
    comment,
    moderator_token,
    new_commenter,
    set_moderation_mode,
    set_status,
    trusted_commenter,
)


@pytest.fixture
def commenter(app, client, seed) -> Commenter:
    return Commenter(app, client)


def add_words(app, **kinds):
    with app.app_context():
        for kind, phrases in kinds.items():
            db.session.add_all(WordListEntry(kind=kind, phrase=p) for p in phrases)
        db.session.commit()


def test_new_readers_comment_awaits_review_with_202_and_a_token(app, commenter):
    response = commenter.post("Sanctions will stay.", display_name="Ana")
    assert response.status_code == 202
    body = response.json
    assert body["status"] == "pending"
    assert body["display_name"] == "Ana"
    assert body["parent_id"] is None and body["edited_at"] is None
    assert len(body["reader_token"]) >= 32
    stored = comment(app, body["id"])
    assert stored.status == "pending"
    assert stored.reasons == ["new_reader", "premoderation"]


def test_pipeline_decision_is_written_to_the_audit_log_as_the_system(app, commenter):
    comment_id = commenter.post("Sanctions will stay.").json["id"]
    assert actions_for(app, comment_id) == [
        ("pipeline", None, None, "pending", "new_reader,premoderation")
    ]


def test_trusted_reader_on_postmoderated_question_is_published_with_201(app, seed):
    set_moderation_mode(app, "post")
    author = trusted_commenter(app, "Ana")
    response = author.post("Published at once.")
    assert response.status_code == 201
    assert response.json["status"] == "approved"
    listed = author.list().json
    assert [item["body"] for item in listed["items"]][0] == "Published at once."


def test_pending_comment_is_not_public(app, commenter, client):
    commenter.post("Only a moderator sees this for now.")
    listed = client.get(f"/api/v1/questions/{SLUG}/comments").json
    assert listed == {"items": [], "page": 1, "pages": 1, "total": 0}


@pytest.mark.parametrize(
    "body, stored_status, author_status, reason",
    [
        ("They are all crooks, honestly.", "withheld", "pending", "suspect_word"),
        ("Read https://example.com first", "withheld", "pending", "contains_link"),
        ("What a moron.", "rejected", "rejected", "banned_word"),
        ("a.com b.com c.com", "rejected", "rejected", "too_many_links"),
    ],
)
def test_pipeline_checks_decide_the_status_and_withheld_reads_pending(
    app, commenter, body, stored_status, author_status, reason
):
    add_words(app, banned=["moron"], suspect=["crooks"])
    response = commenter.post(body)
    assert response.status_code == 202
    assert response.json["status"] == author_status
    assert "withheld" not in response.get_data(as_text=True)
    stored = comment(app, response.json["id"])
    assert (stored.status, stored.reasons) == (stored_status, [reason])


def test_matched_word_is_noted_for_moderators(app, commenter):
    add_words(app, suspect=["crooks"])
    comment_id = commenter.post("Crooks, all of them.").json["id"]
    with app.app_context():
        note = db.session.scalar(db.select(ModerationAction.note).filter_by(comment_id=comment_id))
    assert note == "matched: crooks"


def test_same_text_twice_in_a_day_is_rejected_as_duplicate(app, commenter):
    commenter.post("Peace talks will fail.")
    second = commenter.post("  peace TALKS will fail. ")
    assert second.json["status"] == "rejected"
    assert comment(app, second.json["id"]).reasons == ["duplicate"]


def test_banned_reader_is_rejected_and_premoderated_reader_waits(app, seed):
    set_moderation_mode(app, "post")
    banned = trusted_commenter(app)
    with app.app_context():
        from predictions.models import Reader

        db.session.get(Reader, banned.reader_id).banned_at = datetime.now(UTC)
        db.session.commit()
    assert comment(app, banned.post("hello").json["id"]).reasons == ["reader_banned"]
    premod = trusted_commenter(app)
    with app.app_context():
        from predictions.models import Reader

        db.session.get(Reader, premod.reader_id).premod = True
        db.session.commit()
    response = premod.post("hello there")
    assert response.status_code == 202
    assert comment(app, response.json["id"]).reasons == ["reader_premod"]


def test_high_rejection_rate_over_seven_days_holds_the_comment(app, seed):
    set_moderation_mode(app, "post")
    author = trusted_commenter(app)
    rejected = add_comment(app, author.reader_id, "bad one", status="rejected")
    with app.app_context():
        for to_status in ("approved", "approved", "rejected"):
            db.session.add(
                ModerationAction(
                    moderator_id=None,
                    action="decision",
                    comment_id=rejected,
                    reader_id=author.reader_id,
                    to_status=to_status,
                )
            )
        # An old rejection falls outside the window and is not counted.
        db.session.add(
            ModerationAction(
                action="decision",
                reader_id=author.reader_id,
                to_status="rejected",
                created_at=datetime.now(UTC) - timedelta(days=8),
            )
        )
        db.session.commit()
    response = author.post("Am I still trusted?")
    assert response.status_code == 202
    assert comment(app, response.json["id"]).reasons == ["high_rejection_rate"]


def test_comment_sent_with_a_forecast_goes_through_the_pipeline(app, commenter):
    add_words(app, suspect=["crooks"])
    response = commenter.forecast({"us-eu-strain": 70}, comment="Crooks everywhere.")
    assert response.status_code == 201
    assert response.json["comment"]["status"] == "pending"
    stored = comment(app, response.json["comment"]["id"])
    assert stored.status == "withheld"
    assert actions_for(app, stored.id)[0][0] == "pipeline"


def test_invisible_comment_with_a_forecast_is_refused_and_nothing_stored(app, commenter):
    before = table_counts(app)
    response = commenter.forecast({"us-eu-strain": 70}, comment="\u2800\u3164")
    assert response.status_code == 422
    assert response.json["errors"] == {"comment": ["The comment is empty."]}
    assert table_counts(app) == before


def test_standalone_comment_keeps_the_authors_forecast_snapshot(app, commenter):
    commenter.forecast({"us-eu-strain": 70, "global-instability": 85})
    comment_id = commenter.post("My reasoning, later.").json["id"]
    assert comment(app, comment_id).forecast_snapshot == {
        "us-eu-strain": 70,
        "global-instability": 85,
    }


def published(app, count: int, author=None) -> list[int]:
    author = author or new_commenter(app, "Bo")
    start = datetime.now(UTC) - timedelta(hours=count)
    return [
        add_comment(app, author.reader_id, f"comment {n}", created_at=start + timedelta(hours=n))
        for n in range(count)
    ]


def test_list_is_paginated_twenty_top_level_comments_a_page(app, commenter):
    ids = published(app, 25)
    first = commenter.list().json
    assert (first["page"], first["pages"], first["total"]) == (1, 2, 25)
    assert [item["id"] for item in first["items"]] == ids[::-1][:20]
    second = commenter.list(page=2).json
    assert [item["id"] for item in second["items"]] == ids[::-1][20:]
    assert commenter.list(page=3).json["items"] == []


def test_list_sorts_oldest_first_on_request(app, commenter):
    ids = published(app, 3)
    assert [item["id"] for item in commenter.list(sort="oldest").json["items"]] == ids


def test_replies_are_nested_one_level_and_only_published(app, commenter):
    (parent,) = published(app, 1)
    author = new_commenter(app, "Cy")
    later = datetime.now(UTC) + timedelta(minutes=1)
    first = add_comment(app, author.reader_id, "first reply", parent_id=parent, created_at=later)
    add_comment(app, author.reader_id, "hidden reply", parent_id=parent, status="pending")
    second = add_comment(
        app, author.reader_id, "second reply", parent_id=parent, created_at=later + timedelta(1)
    )
    listed = commenter.list().json
    assert listed["total"] == 1
    (item,) = listed["items"]
    assert [r["id"] for r in item["replies"]] == [first, second]
    assert all(r["parent_id"] == parent for r in item["replies"])
    assert set(item) >= {"id", "parent_id", "display_name", "body", "status", "created_at"}


def test_reply_to_a_published_comment_is_stored_with_its_parent(app, commenter):
    (parent,) = published(app, 1)
    response = commenter.post("I disagree, and here is why.", parent_id=parent)
    assert response.status_code == 202
    assert response.json["parent_id"] == parent


@pytest.mark.parametrize("case", ["reply-to-reply", "pending-parent", "other-question", "missing"])
def test_reply_to_an_unsuitable_parent_is_422_and_nothing_stored(app, commenter, case):
    (top,) = published(app, 1)
    author = new_commenter(app)
    parents = {
        "reply-to-reply": lambda: add_comment(app, author.reader_id, "a reply", parent_id=top),
        "pending-parent": lambda: add_comment(app, author.reader_id, "waits", status="pending"),
        "other-question": lambda: other_question_comment(app, author.reader_id),
        "missing": lambda: 999_999,
    }
    parent = parents[case]()
    before = table_counts(app)
    response = commenter.post("my reply", parent_id=parent)
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["parent_id"]
    assert table_counts(app) == before


def other_question_comment(app, reader_id: str) -> int:
    from predictions.core.question_file import parse_question
    from predictions.services import questions

    with app.app_context():
        text = questions.seed_text().replace(f'slug = "{SLUG}"', 'slug = "other"')
        questions.load_question(parse_question(text))
        db.session.commit()
    return add_comment(app, reader_id, "elsewhere", slug="other")


def test_forecast_snapshot_is_crowd_data_hidden_until_the_viewer_may_see_the_crowd(
    app, commenter, seed
):
    author = new_commenter(app)
    add_comment(app, author.reader_id, "with numbers", snapshot={"us-eu-strain": 70})
    assert "forecast_snapshot" not in commenter.list().json["items"][0]
    app.config["MIN_CROWD"] = 1
    commenter.forecast({"us-eu-strain": 50})
    assert commenter.list().json["items"][0]["forecast_snapshot"] == {"us-eu-strain": 70}


def test_moderator_token_sees_forecast_snapshots(app, client, seed):
    author = new_commenter(app)
    add_comment(app, author.reader_id, "with numbers", snapshot={"us-eu-strain": 70})
    token = moderator_token(app)
    listed = client.get(
        f"/api/v1/questions/{SLUG}/comments", headers={"Authorization": f"Bearer {token}"}
    ).json
    assert listed["items"][0]["forecast_snapshot"] == {"us-eu-strain": 70}


def test_comment_on_closed_question_is_409_and_nothing_stored(app, commenter):
    close_question(app)
    before = table_counts(app)
    response = commenter.post("too late")
    assert response.status_code == 409
    assert "closed" in response.json["message"]
    assert table_counts(app) == before


URL = f"/api/v1/questions/{SLUG}/comments"
BAD_COMMENTS = {
    "empty": ({"json": {"body": ""}}, 422, {"body": ["The comment is empty."]}),
    "blank": ({"json": {"body": "  \n\t "}}, 422, {"body": ["The comment is empty."]}),
    "invisible": ({"json": {"body": "\u200b\u2800"}}, 422, {"body": ["The comment is empty."]}),
    "too-long": (
        {"json": {"body": "x" * 2001}},
        422,
        {"body": ["Longer than maximum length 2000."]},
    ),
    "missing-body": (
        {"json": {"display_name": "A"}},
        422,
        {"body": ["Missing data for required field."]},
    ),
    "body-not-text": ({"json": {"body": 42}}, 422, {"body": ["Not a valid string."]}),
    "parent-not-int": (
        {"json": {"body": "hi", "parent_id": "x"}},
        422,
        {"parent_id": ["Not a valid integer."]},
    ),
    "name-41": (
        {"json": {"body": "hi", "display_name": "n" * 41}},
        422,
        {"display_name": ["Longer than maximum length 40."]},
    ),
    "unknown-field": (
        {"json": {"body": "hi", "status": "approved"}},
        422,
        {"status": ["Unknown field."]},
    ),
    "no-body": ({"data": b"", "content_type": "application/json"}, 400, None),
    "malformed": ({"data": b'{"body": ', "content_type": "application/json"}, 400, None),
    "form-encoded": ({"data": {"body": "hi"}}, 415, None),
    "over-size-limit": ({"json": {"body": "x" * 70_000}}, 413, None),
}


@pytest.mark.parametrize("kwargs, status, errors", BAD_COMMENTS.values(), ids=BAD_COMMENTS.keys())
def test_bad_comment_input_is_refused_and_nothing_stored(app, client, seed, kwargs, status, errors):
    before = table_counts(app)
    response = client.post(URL, **kwargs)
    assert response.status_code == status
    assert response.json["code"] == status and response.json["message"]
    if errors is not None:
        assert response.json["errors"] == errors
    assert table_counts(app) == before


@pytest.mark.parametrize(
    "query, field", [("page=0", "page"), ("page=x", "page"), ("sort=best", "sort")]
)
def test_bad_list_query_is_422(client, seed, query, field):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]


def test_unknown_question_is_404(client, seed):
    assert client.get("/api/v1/questions/nope/comments").status_code == 404
    assert client.post("/api/v1/questions/nope/comments", json={"body": "x"}).status_code == 404


# Editing and deleting


def test_author_edits_within_ten_minutes_and_the_old_text_is_kept(app, commenter):
    comment_id = commenter.post("Frist version").json["id"]
    response = commenter.edit(comment_id, "First version")
    assert response.status_code == 200
    assert response.json["body"] == "First version"
    assert response.json["edited_at"] is not None
    with app.app_context():
        revisions = db.session.scalars(db.select(CommentRevision.body)).all()
    assert revisions == ["Frist version"]


def test_editing_a_published_comment_sends_it_back_to_review(app, seed):
    set_moderation_mode(app, "post")
    author = trusted_commenter(app)
    comment_id = author.post("Published").json["id"]
    response = author.edit(comment_id, "Published, then changed")
    assert response.json["status"] == "pending"
    stored = comment(app, comment_id)
    assert (stored.status, stored.reasons) == ("pending", ["edited"])
    assert actions_for(app, comment_id)[-1] == ("edit", None, "approved", "pending", "edited")
    assert comment_id not in [item["id"] for item in author.list().json["items"]]


def test_edit_reruns_the_pipeline_and_withheld_still_reads_pending(app, commenter):
    add_words(app, suspect=["crooks"])
    comment_id = commenter.post("Fine words").json["id"]
    response = commenter.edit(comment_id, "Crooks, the lot")
    assert response.json["status"] == "pending"
    assert comment(app, comment_id).status == "withheld"


def test_edit_after_ten_minutes_is_409_and_nothing_changes(app, commenter):
    comment_id = commenter.post("Old words").json["id"]
    age(app, comment_id, 11)
    before = table_counts(app)
    response = commenter.edit(comment_id, "New words")
    assert response.status_code == 409
    assert comment(app, comment_id).body == "Old words"
    assert table_counts(app) == before


@pytest.mark.parametrize("who, status", [("stranger", 403), ("nobody", 401)])
def test_only_the_author_may_edit_or_delete(app, client, commenter, who, status):
    comment_id = commenter.post("Mine").json["id"]
    other = new_commenter(app) if who == "stranger" else Commenter(app, app.test_client())
    before = table_counts(app)
    assert other.edit(comment_id, "Yours now").status_code == status
    assert other.delete(comment_id).status_code == status
    assert comment(app, comment_id).body == "Mine"
    assert table_counts(app) == before


@pytest.mark.parametrize("body", ["", " ", "x" * 2001])
def test_edit_with_bad_body_is_422_and_nothing_changes(app, commenter, body):
    comment_id = commenter.post("Keep me").json["id"]
    before = table_counts(app)
    response = commenter.edit(comment_id, body)
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["body"]
    assert comment(app, comment_id).body == "Keep me"
    assert table_counts(app) == before


def test_author_deletes_within_ten_minutes(app, seed):
    set_moderation_mode(app, "post")
    author = trusted_commenter(app)
    comment_id = author.post("Regret this").json["id"]
    response = author.delete(comment_id)
    assert response.status_code == 204
    assert comment(app, comment_id).status == "deleted"
    assert comment_id not in [item["id"] for item in author.list().json["items"]]
    assert actions_for(app, comment_id)[-1][:4] == ("author_delete", None, "approved", "deleted")
    assert author.delete(comment_id).status_code == 404
    assert author.edit(comment_id, "back?").status_code == 404


def test_delete_after_ten_minutes_is_409(app, commenter):
    comment_id = commenter.post("Stays").json["id"]
    age(app, comment_id, 10)
    assert commenter.delete(comment_id).status_code == 409
    assert comment(app, comment_id).status == "pending"


def test_rejected_comment_cannot_be_edited(app, commenter):
    comment_id = commenter.post("Text").json["id"]
    set_status(app, comment_id, "rejected")
    assert commenter.edit(comment_id, "Sneak it back").status_code == 409


def test_unknown_comment_is_404(commenter, seed):
    commenter.post("exists")
    assert commenter.edit(999_999, "x").status_code == 404
    assert commenter.delete(999_999).status_code == 404


def test_comment_json_is_application_json_and_echoes_the_cleaned_text(app, commenter):
    response = commenter.post("a\x00b\u202e <i>c</i>\r\nd", display_name="N\x1bo")
    assert response.content_type == "application/json"
    assert json.loads(response.get_data(as_text=True))["body"] == "ab <i>c</i>\nd"
    assert response.json["display_name"] == "No"
    with app.app_context():
        assert db.session.get(Comment, response.json["id"]).body == "ab <i>c</i>\nd"


def test_openapi_documents_the_comment_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    post = paths["/api/v1/questions/{slug}/comments"]["post"]
    assert {"201", "202", "422"} <= set(post["responses"])
    assert {"patch", "delete"} <= set(paths["/api/v1/comments/{comment_id}"])
    assert "post" in paths["/api/v1/comments/{comment_id}/flags"]
