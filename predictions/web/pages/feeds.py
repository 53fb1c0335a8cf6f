"""Atom feeds: follow one question, or every question, without an account."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, request, url_for

from ...core.feed_events import TAG_YEAR, FeedEntry, feed_id
from ...models import utcnow
from ...services import feeds
from ..lookups import question_or_404

bp = Blueprint("feeds", __name__)

ATOM = "application/atom+xml"
# Feed readers poll: a few minutes of freshness, then a cheap 304 while nothing happened.
MAX_AGE = 300
# An empty feed still needs an `updated`: a fixed moment keeps its ETag steady.
EPOCH = datetime(TAG_YEAR, 1, 1, tzinfo=UTC)


def _authority() -> str:
    """The host name the entries' tag URIs are minted under (no port)."""
    return urlsplit(f"//{request.host}").hostname or "localhost"


def _entry_link(entry: FeedEntry) -> str:
    endpoint = "pages.question" if entry.page == "question" else "results.results"
    return url_for(endpoint, slug=entry.slug, _external=True, _anchor=entry.anchor or None)


def _atom(
    *, id: str, title: str, subtitle: str, page: str, entries: list[FeedEntry], empty: datetime
) -> Response:
    """The Atom document, cached publicly and answered with 304 when the reader has it."""
    generator = FeedGenerator()
    generator.id(id)
    generator.title(title)
    generator.subtitle(subtitle)
    generator.author({"name": "Predictions"})
    generator.link(href=request.base_url, rel="self", type=ATOM)
    generator.link(href=page, rel="alternate", type="text/html")
    generator.language("en")
    updated = max((e.updated for e in entries), default=empty)
    generator.updated(updated)
    for entry in entries:
        item = generator.add_entry(order="append")
        item.id(entry.id)
        item.title(entry.title)
        item.summary(entry.summary)
        item.link(href=_entry_link(entry), rel="alternate", type="text/html")
        item.published(entry.published)
        item.updated(entry.updated)
        item.category(term=entry.kind)
    response = Response(generator.atom_str(pretty=True), content_type=f"{ATOM}; charset=utf-8")
    response.add_etag()
    response.last_modified = updated
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response.make_conditional(request)


@bp.get("/q/<slug>/feed.atom")
def question_feed(slug: str):
    """One question's events: opened, closing soon, closed, and each resolution."""
    question = question_or_404(slug)
    return _atom(
        id=feed_id(_authority(), question.slug),
        title=question.title,
        subtitle=f"Reader forecast: “{question.closing_question}”",
        page=url_for("pages.question", slug=question.slug, _external=True),
        entries=feeds.question_feed(question, _authority(), utcnow()),
        empty=question.created_at,
    )


@bp.get("/feed.atom")
def all_questions_feed():
    """The newest events of every question."""
    return _atom(
        id=feed_id(_authority()),
        title="Predictions: every question",
        subtitle="Questions opening, closing and resolving, newest first.",
        page=url_for("pages.index", _external=True),
        entries=feeds.all_questions_feed(_authority(), utcnow()),
        empty=EPOCH,
    )
