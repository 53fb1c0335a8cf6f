"""What a question's Atom feed says: its events derived from stored facts at a given moment.

No event is stored: the question opened, is closing soon, closed, and each scenario resolved are
read off the question's times, its status (with the audit log's moment of a manual close) and
its scenarios' outcomes. The same facts and the same `now` always give the same entries, with
ids that never change, so a feed reader never sees an entry twice.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote

# "Closing soon" is posted this long before forecasts close: time to come back and revise.
CLOSING_SOON = timedelta(days=3)
# The year in every entry's tag URI (RFC 4151): fixed once, ids must never change with it.
TAG_YEAR = 2026
# The feed for all questions carries at most this many entries, newest first.
ALL_QUESTIONS_LIMIT = 50


class EventKind(StrEnum):
    OPENED = "opened"
    CLOSING_SOON = "closing-soon"
    CLOSED = "closed"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class ResolutionFacts:
    """A resolved scenario, with the scorecard's headline as it stood after it resolved."""

    key: str
    label: str
    outcome: str  # yes, no or annulled
    resolved_at: datetime
    corrected_at: datetime | None  # the last correction of the outcome, if any
    headline: str


@dataclass(frozen=True)
class QuestionFacts:
    """What the feed needs to know of a question, as plain data."""

    slug: str
    title: str
    closing_question: str
    created_at: datetime
    opens_at: datetime | None
    closes_at: datetime | None
    # Its status: a moderator (or the CLI) can close it before its closing time.
    status_closed: bool
    # When its status was last set to closed, from the audit log (None: no such row).
    manually_closed_at: datetime | None
    resolutions: tuple[ResolutionFacts, ...] = ()
    # When it was published (a question loaded from a file is published as it is loaded).
    published_at: datetime | None = None

    @property
    def opened_at(self) -> datetime:
        # Published after its opening time, it opened when it was published: a follower's
        # entry is never dated before anyone could see the question.
        opened = self.opens_at or self.created_at
        return max(opened, self.published_at) if self.published_at else opened


@dataclass(frozen=True)
class FeedEntry:
    """One Atom entry; it links to the question's page or its results page, at `anchor`."""

    id: str
    kind: EventKind
    slug: str
    title: str
    summary: str
    published: datetime
    updated: datetime
    page: str  # "question" or "results"
    anchor: str = ""


def entry_id(authority: str, slug: str, kind: EventKind, key: str = "") -> str:
    """A tag URI (RFC 4151) that names one event of one question for good."""
    specific = "/".join(quote(part, safe="") for part in ("q", slug, kind, key) if part)
    return f"tag:{authority},{TAG_YEAR}:{specific}"


def feed_id(authority: str, slug: str | None = None) -> str:
    """The tag URI of one question's feed, or of the feed of all questions (slug None)."""
    specific = f"q/{quote(slug, safe='')}" if slug else "questions"
    return f"tag:{authority},{TAG_YEAR}:{specific}"


def closed_at(facts: QuestionFacts, now: datetime) -> datetime | None:
    """When the question stopped taking forecasts, if it has by `now`: its closing time or
    the moment its status was set to closed, whichever came first."""
    moments = []
    if facts.closes_at is not None and facts.closes_at <= now:
        moments.append(facts.closes_at)
    if facts.status_closed and facts.manually_closed_at is not None:
        moments.append(facts.manually_closed_at)
    if facts.status_closed and not moments:
        # Closed with no trace of when: the earliest moment it can have been is its opening.
        moments.append(facts.opened_at)
    return min(moments) if moments else None


def _when(moment: datetime) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC")


def question_entries(facts: QuestionFacts, authority: str, now: datetime) -> list[FeedEntry]:
    """The question's entries that have happened by `now`, newest first."""
    opened = facts.opened_at
    if now < opened:
        return []  # not public yet: nothing has happened
    closed = closed_at(facts, now)

    def entry(kind, title, summary, at, key="", page="question", anchor="", updated=None):
        return FeedEntry(
            id=entry_id(authority, facts.slug, kind, key),
            kind=kind,
            slug=facts.slug,
            title=title,
            summary=summary,
            published=at,
            updated=updated or at,
            page=page,
            anchor=anchor,
        )

    closes = f" Forecasts close on {_when(facts.closes_at)}." if facts.closes_at else ""
    entries = [
        entry(
            EventKind.OPENED,
            f"Open for forecasts: {facts.title}",
            f"“{facts.closing_question}”{closes}",
            opened,
        )
    ]
    if facts.closes_at is not None:
        soon = max(facts.closes_at - CLOSING_SOON, opened)
        # A question a moderator closed before the window began never closes "soon".
        if now >= soon and (closed is None or closed > soon):
            entries.append(
                entry(
                    EventKind.CLOSING_SOON,
                    f"Closing soon: {facts.title}",
                    f"Forecasts close on {_when(facts.closes_at)}: "
                    "there is still time to give or revise yours.",
                    soon,
                )
            )
    if closed is not None:
        entries.append(
            entry(
                EventKind.CLOSED,
                f"Closed: {facts.title}",
                "Forecasts are closed. See the crowd against the article.",
                max(closed, opened),
                page="results",
            )
        )
    for resolution in facts.resolutions:
        entries.append(
            entry(
                EventKind.RESOLVED,
                f"Resolved {resolution.outcome}: {resolution.label}",
                f"{facts.title} — “{resolution.label}” resolved {resolution.outcome}. "
                f"{resolution.headline}",
                resolution.resolved_at,
                key=resolution.key,
                page="results",
                anchor="scores-heading",
                updated=resolution.corrected_at,
            )
        )
    return newest_first(entries)


# Events of one moment in the order they happened: a question opens before it closes.
_ORDER = {kind: index for index, kind in enumerate(EventKind)}


def newest_first(entries: Iterable[FeedEntry], limit: int | None = None) -> list[FeedEntry]:
    """Entries by last update, newest first, at most `limit` of them."""
    ordered = sorted(entries, key=lambda e: (e.updated, _ORDER[e.kind], e.id), reverse=True)
    return ordered if limit is None else ordered[:limit]
