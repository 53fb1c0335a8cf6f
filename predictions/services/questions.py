"""Questions: load definitions, look them up, open and close them."""

from importlib import resources

from sqlalchemy.orm import joinedload

from ..core.question_file import QuestionSpec, parse_question
from ..extensions import db
from ..models import Moderator, Question, QuestionStatus, Scenario
from . import audit, counts

SEED_FILE = "us-russia-relations.toml"


def seed_text() -> str:
    """The TOML of the question that ships with the package."""
    return resources.files("predictions.data").joinpath(SEED_FILE).read_text(encoding="utf-8")


def load_question(spec: QuestionSpec) -> tuple[Question, bool]:
    """Create or update a question from its definition; returns (question, changed)."""
    question = db.session.scalar(db.select(Question).filter_by(slug=spec.slug))
    created = question is None
    if created:
        question = Question(slug=spec.slug)
        db.session.add(question)
    fields = {
        "title": spec.title,
        "summary": spec.summary,
        "source_name": spec.source_name,
        "source_url": spec.source_url,
        "closing_question": spec.closing_question,
        "faq": [{"question": q, "answer": a} for q, a in spec.faq],
        "opens_at": spec.opens_at,
        "closes_at": spec.closes_at,
        "moderation_mode": spec.moderation_mode,
    }
    changed = created | _assign(question, fields)
    existing = {s.key: s for s in question.scenarios}
    new_scenarios = []
    for position, item in enumerate(spec.scenarios):
        scenario = existing.get(item.key)
        if scenario is None:
            scenario = Scenario(key=item.key)
            question.scenarios.append(scenario)
            new_scenarios.append(scenario)
            changed = True
        changed |= _assign(
            scenario,
            {
                "label": item.label,
                "baseline": item.baseline,
                "impact": item.impact,
                "resolution_criteria": item.resolution_criteria,
                "position": position,
            },
        )
    db.session.flush()
    for scenario in new_scenarios:
        counts.create_rows(scenario)
    if changed and not created:
        counts.moved(question.id)  # a baseline or a label may have changed the crowd's rows
    db.session.flush()
    return question, changed


def _assign(row: object, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def load_seed() -> tuple[Question, bool]:
    """Load the packaged seed question (idempotent)."""
    return load_question(parse_question(seed_text()))


# Every request about a question starts here: built once, only the slug varies.
_BY_SLUG = (
    db.select(Question)
    .options(joinedload(Question.scenarios))
    .where(Question.slug == db.bindparam("slug"))
)


def get_by_slug(slug: str) -> Question | None:
    """The question with this slug, its scenarios loaded in the same query."""
    return db.session.execute(_BY_SLUG, {"slug": slug}).unique().scalar_one_or_none()


def list_questions() -> list[Question]:
    """Every question, newest first (each carries its forecaster count)."""
    return list(db.session.scalars(db.select(Question).order_by(Question.created_at.desc())))


def forecaster_count(question: Question) -> int:
    """Readers with at least one active forecast on the question, bans excluded."""
    # The counter moves by atomic UPDATEs that also update the loaded question (counts.py).
    return question.forecaster_count


def set_status(question: Question, status: QuestionStatus) -> None:
    """Open or close a question."""
    question.status = status
    db.session.flush()


def toggle_status(question: Question, moderator: Moderator) -> QuestionStatus:
    """Close an open question or open a closed one, in the audit log; returns the new status."""
    before = question.status
    after = QuestionStatus.CLOSED if before == QuestionStatus.OPEN else QuestionStatus.OPEN
    set_status(question, after)
    audit.record(
        f"question_{after}", moderator, from_status=before, to_status=after, note=question.slug
    )
    return after
