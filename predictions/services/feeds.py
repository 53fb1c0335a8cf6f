"""The facts the Atom feeds are made of, gathered from the questions, scores and audit log."""

from collections.abc import Sequence
from datetime import datetime

from ..core import feed_events
from ..core.feed_events import FeedEntry, QuestionFacts, ResolutionFacts
from ..extensions import db
from ..models import ModerationAction, Question, QuestionStatus
from . import questions, scores

# The audit actions that services/questions.toggle_status and services/resolution.resolve write.
CLOSED_ACTION = f"question_{QuestionStatus.CLOSED}"
CORRECTION_ACTION = "re-resolve"


def _manual_closes(slugs: Sequence[str]) -> dict[str, datetime]:
    """{slug: when a moderator last closed it}; the audit row names the question by its slug."""
    if not slugs:
        return {}
    rows = db.session.execute(
        db.select(ModerationAction.note, db.func.max(ModerationAction.created_at))
        .where(ModerationAction.action == CLOSED_ACTION, ModerationAction.note.in_(slugs))
        .group_by(ModerationAction.note)
    )
    return {key: at for key, at in rows}


def _corrections(scenario_ids: Sequence[int]) -> dict[int, datetime]:
    """{scenario id: when its outcome was last corrected}."""
    if not scenario_ids:
        return {}
    rows = db.session.execute(
        db.select(ModerationAction.scenario_id, db.func.max(ModerationAction.created_at))
        .where(
            ModerationAction.action == CORRECTION_ACTION,
            ModerationAction.scenario_id.in_(scenario_ids),
        )
        .group_by(ModerationAction.scenario_id)
    )
    return {key: at for key, at in rows}


def question_facts(items: Sequence[Question]) -> list[QuestionFacts]:
    """The feed's facts of each question, in the same order (two audit queries in all)."""
    closed = [q.slug for q in items if q.status == QuestionStatus.CLOSED]
    manual = _manual_closes(closed)
    resolved = [s.id for q in items for s in q.scenarios if s.outcome is not None]
    corrected = _corrections(resolved)
    return [_facts(q, manual.get(q.slug), corrected) for q in items]


def _facts(
    question: Question, manually_closed_at: datetime | None, corrected: dict[int, datetime]
) -> QuestionFacts:
    resolutions = ()
    if any(s.outcome is not None for s in question.scenarios):
        headlines = scores.headlines_as_resolved(question)
        resolutions = tuple(
            ResolutionFacts(
                key=s.key,
                label=s.label,
                outcome=s.outcome,
                resolved_at=s.resolved_at,
                corrected_at=corrected.get(s.id),
                headline=headlines[s.key],
            )
            for s in question.scenarios
            if s.outcome is not None
        )
    return QuestionFacts(
        slug=question.slug,
        title=question.title,
        closing_question=question.closing_question,
        created_at=question.created_at,
        opens_at=question.opens_at,
        closes_at=question.closes_at,
        status_closed=question.status == QuestionStatus.CLOSED,
        manually_closed_at=manually_closed_at,
        resolutions=resolutions,
        published_at=question.published_at,
    )


def question_feed(question: Question, authority: str, now: datetime) -> list[FeedEntry]:
    """One question's entries by `now`, newest first."""
    (facts,) = question_facts([question])
    return feed_events.question_entries(facts, authority, now)


def all_questions_feed(authority: str, now: datetime) -> list[FeedEntry]:
    """The newest entries of every question listed publicly, at most ALL_QUESTIONS_LIMIT."""
    # Through list_questions, so that whatever it leaves out of the public list (drafts) stays
    # out of the feed too.
    facts = question_facts(questions.list_questions())
    entries = [e for f in facts for e in feed_events.question_entries(f, authority, now)]
    return feed_events.newest_first(entries, feed_events.ALL_QUESTIONS_LIMIT)
