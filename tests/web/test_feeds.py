"""Atom feeds: one per question and one for all, valid Atom, linked from the pages."""

import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from werkzeug.http import http_date

from predictions.core.feed_events import CLOSING_SOON
from predictions.core.question_file import parse_question
from predictions.extensions import db
from predictions.models import ModerationAction, QuestionStatus, utcnow
from predictions.services import questions, resolution, scores

from .resolution_actions import admin, forecast, new_reader, seed_question

SLUG = "us-russia-relations"
FEED = f"/q/{SLUG}/feed.atom"
KEY = "us-eu-strain"


def parsed(response) -> feedparser.FeedParserDict:
    """The feed as a well-kept parser reads it; it must find nothing wrong."""
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def kinds(feed) -> list[str]:
    return [entry.tags[0].term for entry in feed.entries]


def edit_seed(app, **fields) -> None:
    with app.app_context():
        question = seed_question()
        for name, value in fields.items():
            setattr(question, name, value)
        db.session.commit()


def seed_published_at(app) -> datetime:
    with app.app_context():
        return seed_question().published_at


def test_question_feed_is_valid_atom_with_absolute_links(client, seed):
    feed = parsed(client.get(FEED))
    assert feed.feed.title.startswith("After the Budapest summit plan")
    assert feed.feed.id == f"tag:localhost,2026:q/{SLUG}"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": f"http://localhost{FEED}", "alternate": f"http://localhost/q/{SLUG}"}
    (opened,) = feed.entries
    assert opened.id == f"tag:localhost,2026:q/{SLUG}/opened"
    assert opened.title.startswith("Open for forecasts: After the Budapest")
    assert opened.link == f"http://localhost/q/{SLUG}"
    # The seed opens on 1 November; loaded (published) later, it opened then for its followers.
    published = seed_published_at(client.application)
    assert published > datetime(2026, 11, 1, tzinfo=UTC)
    assert opened.published == opened.updated == published.isoformat()
    assert feed.feed.updated == opened.updated  # the feed's is its newest entry's


def test_unknown_question_has_no_feed(client, seed):
    assert client.get("/q/nope/feed.atom").status_code == 404


def test_closing_soon_then_closed_as_time_passes(app, client, seed, clock):
    edit_seed(app, closes_at=utcnow() + CLOSING_SOON + timedelta(hours=1))
    assert kinds(parsed(client.get(FEED))) == ["opened"]
    clock.shift(timedelta(hours=1))
    assert kinds(parsed(client.get(FEED))) == ["closing-soon", "opened"]
    clock.shift(CLOSING_SOON)
    feed = parsed(client.get(FEED))
    assert kinds(feed) == ["closed", "closing-soon", "opened"]
    assert feed.entries[0].link == f"http://localhost/q/{SLUG}/results"


def test_a_moderator_close_is_dated_from_the_audit_log(app, client, seed, clock):
    closed_at = utcnow()
    with app.app_context():
        questions.toggle_status(seed_question(), admin())
        db.session.commit()
    clock.shift(timedelta(days=2))
    feed = parsed(client.get(FEED))
    assert kinds(feed) == ["closed", "opened"]
    assert feed.entries[0].updated == closed_at.isoformat()


def test_a_close_from_the_cli_is_in_the_audit_log_too(app, runner, seed):
    assert runner.invoke(args=["questions", "close", SLUG]).exit_code == 0
    runner.invoke(args=["questions", "close", SLUG])  # already closed: no second row
    with app.app_context():
        rows = db.session.scalars(db.select(ModerationAction)).all()
        assert [(r.action, r.moderator_id, r.note) for r in rows] == [
            ("question_closed", None, SLUG)
        ]
        assert seed_question().status == QuestionStatus.CLOSED


def test_a_resolution_carries_the_scorecards_headline(app, client, seed, clock):
    with app.app_context():
        question = seed_question()
        forecast(question, new_reader("ann"), {KEY: 90})
        forecast(question, new_reader("bob"), {KEY: 80})
        db.session.commit()
    clock.shift(timedelta(hours=1))
    resolved_at = utcnow()
    with app.app_context():
        resolution.resolve(seed_question().scenario(KEY), "yes", admin(), "It happened.")
        db.session.commit()
        headline = scores.question_scores(seed_question()).headline
    assert headline == "The crowd beat the article on 1 of 1 resolved scenario."
    feed = parsed(client.get(FEED))
    entry = feed.entries[0]
    assert entry.id == f"tag:localhost,2026:q/{SLUG}/resolved/{KEY}"
    assert entry.title.startswith("Resolved yes: ")
    assert headline in entry.summary
    assert entry.link == f"http://localhost/q/{SLUG}/results#scores-heading"
    assert entry.published == entry.updated == resolved_at.isoformat()
    # The results page shows the same headline, in the same words.
    assert headline in client.get(f"/q/{SLUG}/results").get_data(as_text=True)

    clock.shift(timedelta(hours=1))
    with app.app_context():
        resolution.resolve(seed_question().scenario(KEY), "no", admin("bea"), "Corrected.")
        db.session.commit()
    corrected = parsed(client.get(FEED)).entries[0]
    assert corrected.id == entry.id
    assert corrected.title.startswith("Resolved no: ")
    assert corrected.published == entry.published
    assert corrected.updated == utcnow().isoformat()


def test_user_text_is_escaped_in_the_xml(app, client, seed):
    hostile = '<script>alert("x")</script> & co'
    edit_seed(app, title=hostile)
    response = client.get(FEED)
    raw = response.get_data(as_text=True)
    assert "<script>" not in raw
    assert "&lt;script&gt;" in raw and "&amp; co" in raw
    feed = parsed(response)
    assert feed.feed.title == hostile
    assert feed.entries[0].title == f"Open for forecasts: {hostile}"


def second_question(app, slug: str) -> None:
    text = questions.seed_text().replace(f'slug = "{SLUG}"', f'slug = "{slug}"')
    text = text.replace("opens_at = 2026-11-01", "opens_at = 2026-11-10")
    with app.app_context():
        questions.load_question(parse_question(text))
        db.session.commit()


def test_the_feed_of_all_questions_has_every_question_newest_first(app, client, seed, clock):
    clock.shift(timedelta(hours=1))
    second_question(app, "second")
    feed = parsed(client.get("/feed.atom"))
    assert feed.feed.id == "tag:localhost,2026:questions"
    assert {link.rel: link.href for link in feed.feed.links} == {
        "self": "http://localhost/feed.atom",
        "alternate": "http://localhost/",
    }
    assert [entry.id for entry in feed.entries] == [
        "tag:localhost,2026:q/second/opened",
        f"tag:localhost,2026:q/{SLUG}/opened",
    ]
    assert feed.feed.updated == feed.entries[0].updated


def test_the_feed_of_all_questions_is_valid_when_empty(client):
    feed = parsed(client.get("/feed.atom"))
    assert feed.entries == []


@pytest.mark.parametrize("path", [FEED, "/feed.atom"])
def test_feeds_are_cached_publicly_and_answer_304(client, seed, path):
    first = client.get(path)
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert first.headers["Last-Modified"] == http_date(seed_published_at(client.application))
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert (again.status_code, again.data) == (304, b"")
    since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304


def alternate_feeds(html: str) -> list[str]:
    """The hrefs of the page's <link rel="alternate" type="application/atom+xml">."""
    return [
        re.search(r'href="([^"]+)"', tag).group(1)
        for tag in re.findall(r"<link [^>]*>", html)
        if 'rel="alternate"' in tag and 'type="application/atom+xml"' in tag
    ]


@pytest.mark.parametrize(
    ("page", "feed"),
    [
        ("/", "http://localhost/feed.atom"),
        (f"/q/{SLUG}", f"http://localhost{FEED}"),
        (f"/q/{SLUG}/results", f"http://localhost{FEED}"),
    ],
)
def test_pages_link_their_feed_in_the_head(client, seed, page, feed):
    html = client.get(page).get_data(as_text=True)
    head = html.split("</head>")[0]
    assert alternate_feeds(head) == [feed]


def test_the_question_page_shows_a_follow_link(client, seed):
    html = client.get(f"/q/{SLUG}").get_data(as_text=True)
    assert (
        # The visible words start the accessible name (WCAG 2.5.3, label in name).
        f'<a class="follow" href="{FEED}" type="application/atom+xml">Follow (Atom feed)'
        '<span class="visually-hidden"> for this question</span></a>'
    ) in html
