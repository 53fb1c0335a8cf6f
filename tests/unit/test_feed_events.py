"""Which Atom entries a question has at a given moment: derived from its stored facts only."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from predictions.core.feed_events import (
    ALL_QUESTIONS_LIMIT,
    CLOSING_SOON,
    EventKind,
    QuestionFacts,
    ResolutionFacts,
    closed_at,
    entry_id,
    feed_id,
    newest_first,
    question_entries,
)

HOST = "news.example"
OPENS = datetime(2026, 11, 1, tzinfo=UTC)
CLOSES = datetime(2026, 12, 1, tzinfo=UTC)
FACTS = QuestionFacts(
    slug="a-summit",
    title="A summit?",
    closing_question="Will they meet?",
    created_at=OPENS - timedelta(days=2),
    opens_at=OPENS,
    closes_at=CLOSES,
    status_closed=False,
    manually_closed_at=None,
)


def kinds(facts: QuestionFacts, now: datetime) -> list[str]:
    return [entry.kind for entry in question_entries(facts, HOST, now)]


def resolution(key: str, at: datetime, outcome: str = "yes", **extra) -> ResolutionFacts:
    return ResolutionFacts(
        key=key,
        label=f"Label {key}",
        outcome=outcome,
        resolved_at=at,
        corrected_at=extra.get("corrected_at"),
        headline=extra.get("headline", "The crowd beat the article on 1 of 1 resolved scenario."),
    )


def test_nothing_before_the_question_opens():
    assert question_entries(FACTS, HOST, OPENS - timedelta(seconds=1)) == []


def test_opened_at_opens_at_else_at_creation():
    (opened,) = question_entries(FACTS, HOST, OPENS)
    assert (opened.kind, opened.published, opened.updated) == (EventKind.OPENED, OPENS, OPENS)
    assert opened.title == "Open for forecasts: A summit?"
    assert "Will they meet?" in opened.summary and "01 Dec 2026, 00:00 UTC" in opened.summary
    no_opening = replace(FACTS, opens_at=None)
    (opened,) = question_entries(no_opening, HOST, OPENS)
    assert opened.published == FACTS.created_at


def test_a_question_published_after_its_opening_time_opened_when_published():
    published = OPENS + timedelta(days=2)
    late = replace(FACTS, published_at=published)
    assert question_entries(late, HOST, OPENS + timedelta(days=1)) == []
    (opened,) = question_entries(late, HOST, published)
    assert opened.published == published
    early = replace(FACTS, published_at=OPENS - timedelta(days=1))
    assert question_entries(early, HOST, OPENS)[0].published == OPENS


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (CLOSES - CLOSING_SOON - timedelta(seconds=1), ["opened"]),
        (CLOSES - CLOSING_SOON, ["closing-soon", "opened"]),
        (CLOSES - timedelta(seconds=1), ["closing-soon", "opened"]),
        (CLOSES, ["closed", "closing-soon", "opened"]),
    ],
)
def test_closing_soon_within_the_window_then_closed_at_closing_time(now, expected):
    assert kinds(FACTS, now) == expected


def test_closing_soon_is_dated_when_the_window_began():
    entries = question_entries(FACTS, HOST, CLOSES)
    soon = next(e for e in entries if e.kind == EventKind.CLOSING_SOON)
    closed = next(e for e in entries if e.kind == EventKind.CLOSED)
    assert soon.published == CLOSES - CLOSING_SOON
    assert (closed.published, closed.page) == (CLOSES, "results")


def test_without_a_closing_time_it_never_closes_soon_nor_closes():
    assert kinds(replace(FACTS, closes_at=None), CLOSES + timedelta(days=400)) == ["opened"]


def test_a_question_opening_inside_the_window_is_closing_soon_from_its_opening():
    late = replace(FACTS, opens_at=CLOSES - timedelta(days=1))
    soon = next(
        e for e in question_entries(late, HOST, CLOSES) if e.kind == EventKind.CLOSING_SOON
    )
    assert soon.published == late.opens_at


def test_a_manual_close_before_the_window_skips_closing_soon_and_dates_closed():
    moment = OPENS + timedelta(days=5)
    closed = replace(FACTS, status_closed=True, manually_closed_at=moment)
    assert kinds(closed, CLOSES + timedelta(days=1)) == ["closed", "opened"]
    assert closed_at(closed, CLOSES + timedelta(days=1)) == moment


def test_a_manual_close_after_the_closing_time_keeps_the_closing_time():
    closed = replace(FACTS, status_closed=True, manually_closed_at=CLOSES + timedelta(days=2))
    assert closed_at(closed, CLOSES + timedelta(days=3)) == CLOSES


def test_a_reopened_question_ignores_its_old_close():
    reopened = replace(FACTS, manually_closed_at=OPENS + timedelta(days=1))
    assert kinds(reopened, OPENS + timedelta(days=2)) == ["opened"]


def test_closed_without_a_trace_of_when_is_dated_at_its_opening():
    closed = replace(FACTS, closes_at=None, status_closed=True)
    assert closed_at(closed, OPENS + timedelta(days=2)) == OPENS


def test_each_resolution_is_an_entry_with_its_headline_and_correction():
    first = resolution("meet", OPENS + timedelta(days=40), headline="The crowd beat it.")
    corrected = resolution(
        "sign", OPENS + timedelta(days=41), "no", corrected_at=OPENS + timedelta(days=45)
    )
    facts = replace(FACTS, resolutions=(first, corrected))
    entries = question_entries(facts, HOST, OPENS + timedelta(days=50))
    assert [e.kind for e in entries[:2]] == [EventKind.RESOLVED, EventKind.RESOLVED]
    sign, meet = entries[0], entries[1]  # the correction makes "sign" the newest
    assert sign.title == "Resolved no: Label sign"
    assert (sign.published, sign.updated) == (corrected.resolved_at, corrected.corrected_at)
    assert meet.summary == "A summit? — “Label meet” resolved yes. The crowd beat it."
    assert (meet.page, meet.anchor) == ("results", "scores-heading")
    assert meet.id == f"tag:{HOST},2026:q/a-summit/resolved/meet"


def test_ids_are_stable_and_distinct():
    facts = replace(FACTS, resolutions=(resolution("x", CLOSES + timedelta(days=1)),))
    later = CLOSES + timedelta(days=30)
    ids = [e.id for e in question_entries(facts, HOST, later)]
    assert ids == [e.id for e in question_entries(facts, HOST, later + timedelta(days=9))]
    assert len(set(ids)) == 4
    assert all(i.startswith(f"tag:{HOST},2026:q/a-summit/") for i in ids)
    assert feed_id(HOST, "a-summit") == f"tag:{HOST},2026:q/a-summit"
    assert feed_id(HOST) == f"tag:{HOST},2026:questions"


def test_ids_quote_what_a_tag_uri_cannot_hold():
    assert entry_id(HOST, "été/2", EventKind.RESOLVED, "a b") == (
        f"tag:{HOST},2026:q/%C3%A9t%C3%A9%2F2/resolved/a%20b"
    )


def test_titles_keep_user_text_as_given():
    # Escaping is the XML writer's job: the core hands on the text unchanged.
    hostile = replace(FACTS, title="<script>alert(1)</script> & co")
    (opened,) = question_entries(hostile, HOST, OPENS)
    assert opened.title == "Open for forecasts: <script>alert(1)</script> & co"


def test_newest_first_across_questions_is_capped():
    many = [
        e
        for n in range(30)
        for e in question_entries(
            replace(FACTS, slug=f"q{n}", opens_at=OPENS + timedelta(hours=n)), HOST, CLOSES
        )
    ]
    assert len(many) == 90
    newest = newest_first(many, ALL_QUESTIONS_LIMIT)
    assert len(newest) == ALL_QUESTIONS_LIMIT
    assert [e.updated for e in newest] == sorted((e.updated for e in newest), reverse=True)
    assert newest[0].kind == EventKind.CLOSED
