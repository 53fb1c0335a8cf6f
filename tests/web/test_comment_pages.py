"""Comments on the question page: published ones for everyone, the reader's own pending ones
for them alone, forms for comments, replies, edits, deletions, and the bot traps."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from predictions.extensions import db
from predictions.models import Comment, CommentRevision
from predictions.web.pages.forms import form_stamp

from ..conftest import table_counts
from .commenting import (
    SLUG,
    add_comment,
    age,
    close_question,
    comment,
    new_commenter,
    set_moderation_mode,
    set_status,
)

PAGE = f"/q/{SLUG}"


def text(response) -> str:
    return response.get_data(as_text=True)


def stamp(app, seconds_ago: float = 60) -> str:
    """The hidden `issued` value of a form served `seconds_ago`."""
    with app.app_context():
        return form_stamp(time.time() - seconds_ago)


def post_comment(client, app, body: str, prefix: str = "c", url: str | None = None, **fields):
    data = {f"{prefix}-body": body, f"{prefix}-issued": stamp(app)}
    data.update({f"{prefix}-{name}": value for name, value in fields.items()})
    return client.post(url or f"/q/{SLUG}/comments", data=data)


def only_comment(app) -> Comment:
    with app.app_context():
        row = db.session.scalars(db.select(Comment)).one()
        db.session.expunge(row)
        return row


def test_published_comments_show_name_time_and_safe_body(app, client, seed):
    author = new_commenter(app, "Ana")
    add_comment(app, author.reader_id, "See https://example.org/report\nand <b>think</b>")
    anonymous = new_commenter(app)
    add_comment(app, anonymous.reader_id, "No name here")
    html = text(client.get(PAGE))
    assert "Readers' comments (2)" in html
    assert '<strong class="comment-author">Ana</strong>' in html
    assert '<strong class="comment-author">Anonymous</strong>' in html
    assert (
        '<a href="https://example.org/report" rel="nofollow ugc noopener" target="_blank">' in html
    )
    assert "<br>and &lt;b&gt;think&lt;/b&gt;" in html
    assert re.search(r'<time datetime="[^"]+">\d\d \w{3} \d{4}, \d\d:\d\d UTC</time>', html)


def test_pending_comment_is_shown_only_to_its_author_as_awaiting_review(app, client, seed):
    response = post_comment(client, app, "My own pending words")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{PAGE}#comments")
    html = text(client.get(PAGE))
    assert "Your comment will appear once a moderator has approved it." in html
    assert "Your comments awaiting review" in html
    assert "My own pending words" in html
    assert "My own pending words" not in text(app.test_client().get(PAGE))


def test_withheld_comment_looks_pending_to_its_author(app, client, seed):
    post_comment(client, app, "Sent by a bot", website="http://spam.example")
    stored = only_comment(app)
    assert (stored.status, stored.reasons) == ("withheld", ["honeypot"])
    for url in (PAGE, "/me"):
        html = text(client.get(url))
        assert "awaiting review" in html
        assert "withheld" not in html.lower()


def test_form_sent_faster_than_a_person_types_is_withheld(app, client, seed):
    client.post(
        f"/q/{SLUG}/comments",
        data={"c-body": "Instant comment", "c-issued": stamp(app, seconds_ago=0.5)},
    )
    assert only_comment(app).reasons == ["too_fast"]


@pytest.mark.parametrize("issued", ["", "forged.value", None])
def test_form_without_a_valid_stamp_counts_as_too_fast(app, client, seed, issued):
    data = {"c-body": "Where is my stamp?"}
    if issued is not None:
        data["c-issued"] = issued
    client.post(f"/q/{SLUG}/comments", data=data)
    assert only_comment(app).status == "withheld"


def test_person_speed_form_passes_the_bot_checks(app, client, seed):
    post_comment(client, app, "Typed with care")
    assert only_comment(app).reasons == ["new_reader", "premoderation"]


def test_honeypot_on_the_forecast_form_withholds_its_comment(app, client, seed):
    client.post(
        PAGE,
        data={
            "p_us_eu_strain": "70",
            "comment": "Bot reasoning",
            "website": "filled",
            "issued": stamp(app),
        },
    )
    assert only_comment(app).reasons == ["honeypot"]


def test_the_one_forecast_and_comment_form_carries_the_hidden_traps(client, seed):
    html = text(client.get(PAGE))
    assert 'name="website"' in html
    assert re.search(r'name="issued" type="hidden" value="[^"]+"', html)
    assert '<div class="hp-field" aria-hidden="true">' in html


def test_trusted_reader_is_published_at_once_on_postmoderated_question(app, client, seed):
    set_moderation_mode(app, "post")
    post_comment(client, app, "warm-up")
    reader_id = only_comment(app).reader_id
    for n in range(2):
        add_comment(app, reader_id, f"approved {n}")
    response = post_comment(client, app, "Published now")
    assert response.headers["Location"].endswith("#comment-" + str(response_id(app)))
    html = text(client.get(PAGE))
    assert "Your comment is published." in html
    assert "Published now" in html


def response_id(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.max(Comment.id)))


def test_reply_form_posts_a_reply_under_its_parent(app, client, seed):
    author = new_commenter(app, "Ana")
    parent = add_comment(app, author.reader_id, "Top-level thought")
    html = text(client.get(PAGE))
    assert f'action="/q/{SLUG}/comments/{parent}/replies"' in html
    response = post_comment(
        client, app, "A reply", prefix=f"r{parent}", url=f"/q/{SLUG}/comments/{parent}/replies"
    )
    assert response.status_code == 303
    reply = comment(app, response_id(app))
    assert reply.parent_id == parent
    set_status(app, reply.id, "approved")
    html = text(app.test_client().get(PAGE))
    replies = re.search(r'<ol class="comment-replies".*?</ol>', html, re.S).group()
    assert "A reply" in replies
    assert "Top-level thought" not in replies


def test_reply_to_a_reply_is_refused_on_its_own_page(app, client, seed):
    author = new_commenter(app)
    parent = add_comment(app, author.reader_id, "Top")
    child = add_comment(app, author.reader_id, "Reply", parent_id=parent)
    before = table_counts(app)
    response = post_comment(
        client, app, "Deeper", prefix=f"r{child}", url=f"/q/{SLUG}/comments/{child}/replies"
    )
    assert response.status_code == 422
    assert "Replies go one level deep" in text(response)
    assert table_counts(app) == before


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "Write your comment first."),
        ("\u200b\u2800", "The comment is empty."),
        ("x" * 2001, "Field cannot be longer than 2000 characters."),
    ],
)
def test_bad_comment_form_is_shown_again_with_the_text_kept(app, client, seed, body, message):
    before = table_counts(app)
    response = post_comment(client, app, body, display_name="Kept Name")
    assert response.status_code == 422
    html = text(response)
    assert message in html
    assert 'value="Kept Name"' in html
    assert table_counts(app) == before


def test_closed_question_has_no_comment_forms_and_refuses_posts(app, client, seed):
    author = new_commenter(app)
    add_comment(app, author.reader_id, "Before the close")
    close_question(app)
    html = text(client.get(PAGE))
    assert "This question is closed to new comments." in html
    assert 'name="c-body"' not in html and "/replies" not in html
    before = table_counts(app)
    response = post_comment(client, app, "Too late")
    assert response.status_code == 303
    assert "closed to comments" in text(client.get(response.headers["Location"]))
    assert table_counts(app) == before


def test_sort_toggle_and_pagination_links(app, client, seed):
    author = new_commenter(app)
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(21):
        add_comment(app, author.reader_id, f"number {n:02}", created_at=start + timedelta(hours=n))
    html = text(client.get(PAGE))
    assert "number 20" in html and "number 00" not in html
    assert f'href="/q/{SLUG}?sort=oldest#comments"' in html
    assert re.search(
        rf'rel="next" href="/q/{SLUG}\?(sort=newest&amp;page=2|page=2&amp;sort=newest)', html
    )
    second = text(client.get(f"{PAGE}?page=2"))
    assert "number 00" in second and "number 20" not in second
    oldest = text(client.get(f"{PAGE}?sort=oldest"))
    assert oldest.index("number 00") < oldest.index("number 01")
    assert text(client.get(f"{PAGE}?page=abc&sort=nonsense")).count("number 20") == 1


def own_approved(app, client, body="Original words") -> int:
    post_comment(client, app, body)
    comment_id = response_id(app)
    set_status(app, comment_id, "approved")
    return comment_id


def test_author_sees_edit_and_delete_forms_for_ten_minutes_only(app, client, seed):
    comment_id = own_approved(app, client)
    html = text(client.get(PAGE))
    assert f'action="/comments/{comment_id}/edit"' in html
    assert f'action="/comments/{comment_id}/delete"' in html
    assert f'action="/comments/{comment_id}/flag"' not in html  # not on one's own
    stranger_html = text(app.test_client().get(PAGE))
    assert f'action="/comments/{comment_id}/edit"' not in stranger_html
    assert f'action="/comments/{comment_id}/flag"' in stranger_html
    age(app, comment_id, 11)
    assert f'action="/comments/{comment_id}/edit"' not in text(client.get(PAGE))


def test_edit_form_changes_the_text_and_sends_it_back_to_review(app, client, seed):
    comment_id = own_approved(app, client)
    response = client.post(
        f"/comments/{comment_id}/edit", data={f"e{comment_id}-body": "Better words"}
    )
    assert response.status_code == 303
    stored = comment(app, comment_id)
    assert (stored.body, stored.status) == ("Better words", "pending")
    with app.app_context():
        assert db.session.scalars(db.select(CommentRevision.body)).all() == ["Original words"]
    assert "awaiting review" in text(client.get(PAGE))


def test_edit_form_after_the_window_is_refused(app, client, seed):
    comment_id = own_approved(app, client)
    age(app, comment_id, 11)
    response = client.post(f"/comments/{comment_id}/edit", data={f"e{comment_id}-body": "Late"})
    assert response.status_code == 409
    assert "10 minutes" in text(response)
    assert comment(app, comment_id).body == "Original words"


def test_stranger_cannot_edit_or_delete_from_the_page(app, client, seed):
    comment_id = own_approved(app, client)
    stranger = app.test_client()
    edit = stranger.post(f"/comments/{comment_id}/edit", data={f"e{comment_id}-body": "Mine"})
    assert edit.status_code == 403
    assert stranger.post(f"/comments/{comment_id}/delete").status_code == 403
    assert comment(app, comment_id).status == "approved"


def test_delete_form_removes_the_comment_from_the_page(app, client, seed):
    comment_id = own_approved(app, client, "Regrettable")
    response = client.post(f"/comments/{comment_id}/delete")
    assert response.status_code == 303
    assert comment(app, comment_id).status == "deleted"
    html = text(client.get(PAGE))
    assert "Your comment is deleted." in html
    assert "Regrettable" not in html


def test_snapshot_is_shown_only_to_viewers_who_may_see_the_crowd(app, client, seed):
    app.config["MIN_CROWD"] = 1
    author = new_commenter(app)
    add_comment(app, author.reader_id, "With numbers", snapshot={"us-eu-strain": 70})
    assert "Forecast when posting" not in text(client.get(PAGE))
    client.post(PAGE, data={"p_us_eu_strain": "55"})
    html = text(client.get(PAGE))
    assert "Forecast when posting" in html
    assert "Strained US-EU Relations 70 %" in html


def test_me_shows_author_words_for_each_status(app, client, seed):
    post_comment(client, app, "one")
    first = response_id(app)
    post_comment(client, app, "two")
    set_status(app, first, "rejected")
    html = text(client.get("/me"))
    assert "not published" in html and "awaiting review" in html


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_comment_form_without_csrf_token_is_refused(self, app, client, seed):
        before = table_counts(app)
        response = post_comment(client, app, "No token")
        assert response.status_code == 400
        assert table_counts(app) == before

    def test_comment_form_with_csrf_token_is_accepted(self, app, client, seed):
        html = text(client.get(PAGE))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        data = {"comment": "With token", "csrf_token": token, "issued": stamp(app, 60)}
        response = client.post(PAGE, data=data)
        assert response.status_code == 303
        assert only_comment(app).body == "With token"


def test_forecast_form_with_an_invisible_comment_is_shown_again(app, client, seed):
    before = table_counts(app)
    response = client.post(PAGE, data={"p_us_eu_strain": "70", "comment": "\u200b\u2800"})
    assert response.status_code == 422
    assert "The comment is empty." in text(response)
    assert 'value="70"' in text(response)
    assert table_counts(app) == before
