"""The audit log: one append-only row per decision or change, and the page that shows it."""

import re

import pytest
from sqlalchemy.exc import DBAPIError

from predictions.extensions import db
from predictions.models import ModerationAction
from predictions.services import moderation, moderators

from ..conftest import ModeratorActions, make_comment, make_moderator


def text(response) -> str:
    return response.get_data(as_text=True)


def audit_actions(html: str) -> list[str]:
    return re.findall(r"<td class=\"mod-action\"[^>]*><code>([a-z_]+)</code></td>", html)


def test_rows_cannot_be_updated_or_deleted_even_through_the_orm(app, moderator):
    comment_id, _ = make_comment(app)
    moderator.approve(comment_id)
    with app.app_context():
        row = db.session.scalar(db.select(ModerationAction).filter_by(action="approve"))
        row.note = "rewritten history"
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(db.delete(ModerationAction))
        db.session.rollback()
        row = db.session.scalar(db.select(ModerationAction).filter_by(action="approve"))
        db.session.delete(row)
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        assert (
            db.session.scalar(db.select(ModerationAction.note).filter_by(action="approve")) is None
        )


def test_every_kind_of_change_is_logged_and_shown_newest_first(app, moderator):
    comment_id, reader_id = make_comment(app)
    moderator.reject(comment_id, reason="abuse", note="Insults another reader")
    moderator.client.post(f"/moderation/readers/{reader_id}/premod", data={"on": "1"})
    moderator.client.post(f"/moderation/readers/{reader_id}/ban", data={"reason": "abuse"})
    moderator.client.post(f"/moderation/readers/{reader_id}/unban", data={})
    moderator.client.post("/moderation/words", data={"kind": "suspect", "phrase": "casino"})

    html = text(moderator.client.get("/moderation/audit"))
    assert audit_actions(html) == [
        "word_add",
        "unban",
        "ban",
        "premod_on",
        "reject",
        "moderator_create",
    ]
    assert "Insults another reader" in html
    assert "pending → rejected" in html
    assert f'href="/moderation/comments/{comment_id}"' in html
    assert f'href="/moderation/readers/{reader_id}"' in html
    assert '<td data-label="Who">mia</td>' in html
    assert '<td data-label="Who">system</td>' in html  # the fixture created the account
    assert re.search(r"account <strong>mia \(\w+\)</strong>", html)  # the row names the account


def test_a_bulk_decision_logs_each_comment(app, moderator):
    ids = [make_comment(app, f"c{n}")[0] for n in range(3)]
    data = {"ids": ids, "action": "reject", "reason": "spam", "queue": "pending", "confirm": "yes"}
    moderator.client.post("/moderation/bulk", data=data)
    with app.app_context():
        rows = db.session.execute(
            db.select(ModerationAction.comment_id, ModerationAction.reason).filter_by(
                action="reject"
            )
        ).all()
    assert sorted(rows) == [(i, "spam") for i in ids]


def test_audit_log_filters_by_action_and_moderator(app, moderator):
    make_moderator(app, "sam")
    sam = ModeratorActions(app.test_client(), "sam")
    sam.login()
    first, _ = make_comment(app)
    second, _ = make_comment(app)
    moderator.approve(first)
    sam.reject(second, reason="spam")

    by_action = text(moderator.client.get("/moderation/audit?action=reject"))
    assert audit_actions(by_action) == ["reject"]
    with app.app_context():
        sam_id = moderators.by_name("sam").id
    by_sam = text(moderator.client.get(f"/moderation/audit?moderator={sam_id}"))
    assert audit_actions(by_sam) == ["reject"]
    assert f'<option value="{sam_id}" selected>sam</option>' in by_sam
    nothing = text(moderator.client.get(f"/moderation/audit?moderator={sam_id}&action=approve"))
    assert audit_actions(nothing) == []
    assert "No entries match these filters." in nothing
    odd = moderator.client.get("/moderation/audit?action=<script>&moderator=abc&page=-3")
    assert odd.status_code == 200
    assert len(audit_actions(text(odd))) == 4


@pytest.mark.parametrize("app_config", [{"MODERATION_PAGE_SIZE": 1}])
def test_audit_log_is_paginated_and_keeps_the_filter(app, moderator):
    with app.app_context():
        mia = moderators.by_name("mia")
        for phrase in ("one", "two", "three"):
            moderation.add_word("banned", phrase, mia)
        db.session.commit()
    first = text(moderator.client.get("/moderation/audit?action=word_add"))
    assert "Page 1 of 2" in first
    assert 'href="/moderation/audit?page=2&amp;action=word_add" rel="next"' in first
    second = text(moderator.client.get("/moderation/audit?action=word_add&page=2"))
    assert audit_actions(second) == ["word_add"]
    assert "three" not in second and "one" in second
