"""The moderation pages: queues, cards, decisions, bulk decisions, readers and word lists."""

import re

import pytest

from predictions.extensions import db
from predictions.models import (
    Comment,
    CommentRevision,
    Flag,
    ModerationAction,
    Reader,
    WordListEntry,
)
from predictions.services import counts, forecasts, moderation, moderators, questions, readers

from ..conftest import ModeratorActions, make_comment, make_moderator


def text(response) -> str:
    return response.get_data(as_text=True)


def comment_row(app, comment_id: int) -> Comment:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        db.session.expunge(comment)
        return comment


def audit_rows(app) -> list[ModerationAction]:
    """The audit log but for the accounts the fixtures created."""
    with app.app_context():
        rows = list(
            db.session.scalars(
                db.select(ModerationAction)
                .where(ModerationAction.action != "moderator_create")
                .order_by(ModerationAction.id)
            )
        )
        db.session.expunge_all()
        return rows


def card_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-comment-id="(\d+)"', html)]


def add_flags(app, comment_id: int, *flags: tuple[str, str | None]) -> None:
    with app.app_context():
        for reason, details in flags:
            flagger, _token = readers.create_reader("flagger")
            db.session.add(
                Flag(comment_id=comment_id, reader_id=flagger.id, reason=reason, details=details)
            )
        db.session.get(Comment, comment_id).flag_count = len(flags)
        db.session.commit()


# ---- queues and cards


def test_pending_queue_shows_oldest_first_with_everything_needed_to_decide(app, moderator):
    first, author = make_comment(
        app, "First, <b>bold</b> claim", display_name="Ann", reasons=["new_reader", "contains_link"]
    )
    make_comment(app, "Earlier approved", status="approved", reader_id=author)
    make_comment(app, "Earlier rejected", status="rejected", reader_id=author)
    second, _other = make_comment(app, "Second comment")
    add_flags(app, first, ("spam", "Selling pills"), ("spam", None), ("abuse", "Rude"))
    with app.app_context():
        db.session.add(CommentRevision(comment_id=first, body="The text before the edit"))
        db.session.commit()

    html = text(moderator.queue("pending"))
    assert card_ids(html) == [first, second]
    card = html[html.index(f'id="comment-{first}"') : html.index(f'id="comment-{second}"')]
    assert "First, &lt;b&gt;bold&lt;/b&gt; claim" in card
    assert "<strong>Ann</strong>" in card
    assert f"<code>{author}</code>" in card
    assert "After the Budapest summit plan" in card
    assert "<code>new_reader</code> The reader has fewer than 2 approved comments." in card
    assert "<code>contains_link</code> Contains a link." in card
    assert "3 flags:" in card and "spam ×2, abuse ×1" in card
    assert "Selling pills" in card and "Rude" in card
    assert "1 earlier version" in card and "The text before the edit" in card
    assert "Author's record: 1 approved, 1 rejected" in card
    assert "2 comments, oldest first" in html


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("pending", ["pending"]),
        ("withheld", ["withheld"]),
        ("approved", ["approved", "reported"]),
        ("rejected", ["rejected"]),
        ("reported", ["reported"]),
    ],
)
def test_each_queue_holds_its_comments(app, moderator, queue, expected):
    ids = {
        "pending": make_comment(app, "p")[0],
        "withheld": make_comment(app, "w", status="withheld")[0],
        "approved": make_comment(app, "a", status="approved")[0],
        "rejected": make_comment(app, "r", status="rejected")[0],
        "reported": make_comment(app, "rep", status="approved", reported=True)[0],
        "deleted": make_comment(app, "d", status="deleted")[0],
    }
    assert card_ids(text(moderator.queue(queue))) == [ids[name] for name in expected]


@pytest.mark.parametrize("app_config", [{"MODERATION_PAGE_SIZE": 2}])
def test_queues_are_paginated(app, moderator):
    ids = [make_comment(app, f"comment {n}")[0] for n in range(3)]
    first = text(moderator.queue("pending", page=1))
    assert card_ids(first) == ids[:2]
    assert "Page 1 of 2" in first
    assert 'href="/moderation/queue/pending?page=2" rel="next"' in first
    second = text(moderator.queue("pending", page=2))
    assert card_ids(second) == ids[2:]
    assert card_ids(text(moderator.queue("pending", page=9))) == []
    assert moderator.client.get("/moderation/queue/pending?page=x").status_code == 200


def test_unknown_queue_is_404(moderator):
    assert moderator.client.get("/moderation/queue/everything").status_code == 404


def test_start_page_is_the_pending_queue(moderator):
    response = moderator.client.get("/moderation/")
    assert response.headers["Location"] == "/moderation/queue/pending"


def test_queue_page_loads_its_script_from_a_file_and_works_as_plain_forms(app, moderator):
    comment_id, _reader = make_comment(app)
    html = text(moderator.queue())
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/confirm.js" defer>',
        '<script src="/static/moderation.js" defer>',
    ]
    assert f'<form method="post" action="/moderation/comments/{comment_id}/decision"' in html
    script = moderator.client.get("/static/moderation.js")
    assert script.status_code == 200
    assert 'case "j"' in text(script) and 'case "a"' in text(script)
    script.close()


# ---- single decisions


def test_approving_publishes_and_writes_the_audit_log(app, moderator):
    comment_id, reader_id = make_comment(app)
    response = moderator.approve(comment_id, note="Fine.")
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/queue/pending"
    assert comment_row(app, comment_id).status == "approved"
    (row,) = audit_rows(app)
    assert (row.action, row.from_status, row.to_status, row.note) == (
        "approve",
        "pending",
        "approved",
        "Fine.",
    )
    assert row.comment_id == comment_id and row.reader_id == reader_id
    assert "Comment 1 approved." in text(moderator.queue())


def test_rejecting_needs_a_reason(app, moderator):
    comment_id, _reader = make_comment(app)
    response = moderator.decide(comment_id, "reject")
    assert response.status_code == 422
    assert "Give a reason to reject" in text(response)
    assert comment_row(app, comment_id).status == "pending"
    assert audit_rows(app) == []


def test_reason_other_needs_a_note(app, moderator):
    comment_id, _reader = make_comment(app)
    assert moderator.reject(comment_id, reason="other").status_code == 422
    assert moderator.reject(comment_id, reason="other", note="Doxxing").status_code == 303


def test_unknown_reason_or_action_is_refused(app, moderator):
    comment_id, _reader = make_comment(app)
    assert moderator.reject(comment_id, reason="because").status_code == 422
    assert moderator.decide(comment_id, "delete").status_code == 422
    assert moderator.decide(comment_id, "approve", expected="deleted").status_code == 422
    assert comment_row(app, comment_id).status == "pending"


def test_spam_rejects_and_is_audited_as_spam(app, moderator):
    comment_id, _reader = make_comment(app, status="withheld")
    response = moderator.decide(comment_id, "spam", expected="withheld", reason="spam")
    assert response.status_code == 303
    assert comment_row(app, comment_id).status == "rejected"
    (row,) = audit_rows(app)
    assert (row.action, row.from_status, row.to_status, row.reason) == (
        "spam",
        "withheld",
        "rejected",
        "spam",
    )


def test_keeping_a_reported_comment_clears_the_report(app, moderator):
    comment_id, _reader = make_comment(app, status="approved", reported=True)
    response = moderator.approve(comment_id, expected="reported", reason="flags_unfounded")
    assert response.status_code == 303
    comment = comment_row(app, comment_id)
    assert (comment.status, comment.reported_at) == ("approved", None)
    assert card_ids(text(moderator.queue("reported"))) == []
    (row,) = audit_rows(app)
    assert (row.from_status, row.to_status) == ("reported", "approved")
    again = moderator.approve(comment_id, expected="reported")
    assert again.status_code == 409


def test_rejecting_a_published_comment_takes_it_down(app, moderator):
    comment_id, _reader = make_comment(app, status="approved", reported=True)
    assert moderator.reject(comment_id, expected="reported", reason="hate").status_code == 303
    comment = comment_row(app, comment_id)
    assert (comment.status, comment.reported_at) == ("rejected", None)


def test_approving_an_approved_comment_is_refused(app, moderator):
    comment_id, _reader = make_comment(app, status="approved")
    response = moderator.approve(comment_id, expected="approved")
    assert response.status_code == 422
    assert "already approved" in text(response)


def test_the_second_of_two_moderators_is_told_someone_else_handled_it(app, moderator):
    make_moderator(app, "sam")
    sam = ModeratorActions(app.test_client(), "sam")
    sam.login()
    comment_id, _reader = make_comment(app)
    assert card_ids(text(moderator.queue())) == card_ids(text(sam.queue())) == [comment_id]

    assert moderator.approve(comment_id).status_code == 303
    late = sam.reject(comment_id, reason="abuse")
    assert late.status_code == 409
    html = text(late)
    assert "This comment was already handled by someone else." in html
    assert '<span class="badge badge-approved">approved</span>' in html
    assert re.search(r"Last decision: <strong>approve</strong>.*by mia", html, re.S)
    assert comment_row(app, comment_id).status == "approved"
    assert [row.action for row in audit_rows(app)] == ["approve"]


def test_decision_is_a_guarded_update_not_a_check_on_a_stale_row(app, seed):
    comment_id, _reader = make_comment(app)
    make_moderator(app, "mia")
    with app.app_context():
        mia = moderators.by_name("mia")
        stale = db.session.get(Comment, comment_id)
        assert stale.status == "pending"
        # Someone else's decision lands after this session read the row.
        db.session.execute(
            db.update(Comment)
            .where(Comment.id == comment_id)
            .values(status="rejected")
            .execution_options(synchronize_session=False)
        )
        assert stale.status == "pending"
        with pytest.raises(moderation.Conflict):
            moderation.decide(stale, "approve", mia, "pending")
        assert stale.status == "rejected"


def test_unknown_comment_is_404(moderator):
    assert moderator.client.get("/moderation/comments/999").status_code == 404
    assert moderator.approve(999).status_code == 404


def test_a_deleted_comment_shows_without_actions(app, moderator):
    comment_id, _reader = make_comment(app, status="deleted")
    html = text(moderator.client.get(f"/moderation/comments/{comment_id}"))
    assert "badge-deleted" in html
    assert "/decision" not in html


# ---- bulk decisions


def test_bulk_approve_asks_for_confirmation_then_decides_each(app, moderator):
    a, _ = make_comment(app, "first")
    b, _ = make_comment(app, "second")
    c, _ = make_comment(app, "third")
    data = {"ids": [a, c], "action": "approve", "queue": "pending"}
    confirm = moderator.client.post("/moderation/bulk", data=data)
    assert confirm.status_code == 200
    html = text(confirm)
    assert "Approve 2 comments?" in html
    assert card_ids(html) == [a, c]
    assert "/decision" not in html  # the confirmation shows the cards without their buttons
    assert [comment_row(app, i).status for i in (a, b, c)] == ["pending"] * 3

    done = moderator.client.post("/moderation/bulk", data={**data, "confirm": "yes"})
    assert done.status_code == 303
    assert [comment_row(app, i).status for i in (a, b, c)] == ["approved", "pending", "approved"]
    assert [(r.action, r.comment_id) for r in audit_rows(app)] == [("approve", a), ("approve", c)]
    assert "2 comments approved." in text(moderator.queue())


def test_bulk_reject_needs_a_reason(app, moderator):
    a, _ = make_comment(app)
    data = {"ids": [a], "action": "reject", "queue": "pending", "confirm": "yes"}
    response = moderator.client.post("/moderation/bulk", data=data, follow_redirects=True)
    assert "Give a reason to reject" in text(response)
    assert comment_row(app, a).status == "pending"
    data["reason"] = "off_topic"
    moderator.client.post("/moderation/bulk", data=data)
    assert comment_row(app, a).status == "rejected"
    assert audit_rows(app)[0].reason == "off_topic"


def test_bulk_needs_a_selection(app, moderator):
    response = moderator.client.post(
        "/moderation/bulk", data={"action": "approve", "queue": "pending"}, follow_redirects=True
    )
    assert "Select at least one comment." in text(response)


def test_bulk_leaves_comments_someone_else_handled(app, moderator):
    a, _ = make_comment(app)
    b, _ = make_comment(app)
    moderator.reject(b, reason="spam")
    data = {"ids": [a, b], "action": "approve", "queue": "pending", "confirm": "yes"}
    response = moderator.client.post("/moderation/bulk", data=data, follow_redirects=True)
    html = text(response)
    assert "1 comments approved." in html
    assert f"Already handled by someone else, left as they were: {b}." in html
    assert comment_row(app, b).status == "rejected"


def test_bulk_offers_only_decisions_that_apply_to_the_queue(app, moderator):
    make_comment(app, status="approved")
    html = text(moderator.queue("approved"))
    bulk = html[html.index('id="bulk-form"') : html.index("</form>", html.index('id="bulk-form"'))]
    assert '<option value="reject">' in bulk
    assert '<option value="approve">' not in bulk


# ---- readers: ban and premoderation


def reader_with_forecasts(app, probabilities: dict[str, int]) -> str:
    with app.app_context():
        reader, _token = readers.create_reader("ip")
        forecasts.submit(questions.get_by_slug("us-russia-relations"), reader, probabilities)
        db.session.commit()
        return reader.id


def counted(app) -> dict[int, dict[int, int]]:
    with app.app_context():
        question = questions.get_by_slug("us-russia-relations")
        ids = [s.id for s in question.scenarios]
        kept = counts.counts_for(ids)
        assert kept == counts.recount(ids)  # the kept counts always match a full recount
        return kept


def test_banning_takes_forecasts_out_and_can_reject_comments(app, moderator):
    reader_id = reader_with_forecasts(app, {"us-eu-strain": 70, "global-instability": 20})
    reader_with_forecasts(app, {"us-eu-strain": 40})
    pending, _ = make_comment(app, "pending one", reader_id=reader_id)
    published, _ = make_comment(app, "published one", status="approved", reader_id=reader_id)
    before = counted(app)
    assert sum(sum(c.values()) for c in before.values()) == 3

    page = text(moderator.client.get(f"/moderation/readers/{reader_id}"))
    assert card_ids(page) == [published, pending]
    response = moderator.client.post(
        f"/moderation/readers/{reader_id}/ban",
        data={"reason": "spam", "note": "Bot network", "reject_comments": "y"},
    )
    assert response.status_code == 303
    after = counted(app)
    assert sum(sum(c.values()) for c in after.values()) == 1
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        assert reader.banned_at is not None and reader.ban_reason == "spam"
        assert questions.forecaster_count(questions.get_by_slug("us-russia-relations")) == 1
    assert comment_row(app, pending).status == "rejected"
    assert comment_row(app, published).status == "rejected"
    actions = [(r.action, r.comment_id, r.note) for r in audit_rows(app)]
    assert actions[0] == ("ban", None, "Bot network")
    assert sorted(actions[1:]) == [
        ("reject", pending, "Reader banned. Bot network"),
        ("reject", published, "Reader banned. Bot network"),
    ]

    again = moderator.client.post(
        f"/moderation/readers/{reader_id}/ban", data={"reason": "spam"}, follow_redirects=True
    )
    assert "The reader is already banned." in text(again)
    assert counted(app) == after

    moderator.client.post(f"/moderation/readers/{reader_id}/unban", data={"note": "Appeal"})
    assert counted(app) == before
    assert audit_rows(app)[-1].action == "unban"
    with app.app_context():
        assert db.session.get(Reader, reader_id).banned_at is None


def test_banning_without_rejecting_keeps_the_comments(app, moderator):
    reader_id = reader_with_forecasts(app, {"us-eu-strain": 70})
    comment_id, _ = make_comment(app, status="approved", reader_id=reader_id)
    moderator.client.post(f"/moderation/readers/{reader_id}/ban", data={"reason": "abuse"})
    assert comment_row(app, comment_id).status == "approved"
    assert [r.action for r in audit_rows(app)] == ["ban"]


def test_ban_needs_a_reason(app, moderator):
    reader_id = reader_with_forecasts(app, {"us-eu-strain": 70})
    response = moderator.client.post(
        f"/moderation/readers/{reader_id}/ban", data={}, follow_redirects=True
    )
    assert "This field is required." in text(response)
    with app.app_context():
        assert db.session.get(Reader, reader_id).banned_at is None


def test_premoderation_is_switched_on_and_off(app, moderator):
    _comment, reader_id = make_comment(app)
    url = f"/moderation/readers/{reader_id}/premod"
    moderator.client.post(url, data={"on": "1"})
    with app.app_context():
        assert db.session.get(Reader, reader_id).premod is True
    assert "premoderated" in text(moderator.client.get(f"/moderation/readers/{reader_id}"))
    moderator.client.post(url, data={"on": "0"})
    with app.app_context():
        assert db.session.get(Reader, reader_id).premod is False
    assert [r.action for r in audit_rows(app)] == ["premod_on", "premod_off"]


def test_unknown_reader_is_404(moderator):
    assert moderator.client.get("/moderation/readers/nobody").status_code == 404


# ---- word lists


def entries(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(db.select(WordListEntry).order_by(WordListEntry.id))
        return [(e.kind, e.phrase) for e in rows]


def test_word_lists_are_edited_on_the_page(app, moderator):
    response = moderator.client.post(
        "/moderation/words", data={"kind": "banned", "phrase": "  buy   now "}
    )
    assert response.status_code == 303
    moderator.client.post("/moderation/words", data={"kind": "suspect", "phrase": "crypto"})
    assert entries(app) == [("banned", "buy now"), ("suspect", "crypto")]
    html = text(moderator.client.get("/moderation/words"))
    assert '<span class="mod-phrase">buy now</span>' in html

    duplicate = moderator.client.post(
        "/moderation/words", data={"kind": "banned", "phrase": "buy now"}
    )
    assert duplicate.status_code == 422
    assert "Already on the banned list." in text(duplicate)
    empty = moderator.client.post("/moderation/words", data={"kind": "banned", "phrase": " "})
    assert empty.status_code == 422
    bad_kind = moderator.client.post("/moderation/words", data={"kind": "odd", "phrase": "x"})
    assert bad_kind.status_code == 422

    with app.app_context():
        entry_id = db.session.scalar(db.select(WordListEntry.id).filter_by(phrase="buy now"))
    moderator.client.post(f"/moderation/words/{entry_id}/remove")
    assert entries(app) == [("suspect", "crypto")]
    gone = moderator.client.post(f"/moderation/words/{entry_id}/remove", follow_redirects=True)
    assert "That entry is no longer on the list." in text(gone)
    assert [(r.action, r.reason, r.note) for r in audit_rows(app)] == [
        ("word_add", "banned", "buy now"),
        ("word_add", "suspect", "crypto"),
        ("word_remove", "banned", "buy now"),
    ]
