"""Questions: load definitions, look them up, publish, open and close them.

A question the editors' form creates is a draft (published_at None) until an editor publishes
it; one loaded from a file by the CLI is published at once. Lookups leave drafts out unless the
caller asks for them (drafts=True), so a public view that forgets cannot show one.
"""

from importlib import resources

import tomli_w
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..cache import MISSING, MemoryCache
from ..core import moderator_decisions as decisions
from ..core.question_file import (
    QuestionSpec,
    ScenarioSpec,
    article_url,
    data_from_spec,
    parse_question,
)
from ..core.question_status import Phase
from ..errors import Invalid
from ..extensions import db
from ..models import Forecast, Moderator, Question, QuestionStatus, Scenario, utcnow
from . import audit, counts

SEED_FILE = "us-russia-relations.toml"
# How long a worker keeps a copy of a question nobody asks for (the versions decide the rest).
KEPT_SECONDS = 3600


def seed_text() -> str:
    """The TOML of the question that ships with the package."""
    return resources.files("predictions.data").joinpath(SEED_FILE).read_text(encoding="utf-8")


def load_question(spec: QuestionSpec) -> tuple[Question, bool]:
    """Create or update a question from its definition (the CLI: a new one is published at
    once, no draft); returns (question, changed)."""
    question = db.session.scalar(db.select(Question).filter_by(slug=spec.slug))
    question, changed_fields = apply_spec(spec, question)
    if changed_fields[:1] == ["created"]:
        question.published_at = utcnow()
        db.session.flush()
    return question, bool(changed_fields)


def apply_spec(spec: QuestionSpec, question: Question | None) -> tuple[Question, list[str]]:
    """Create a question (None) or update this one from a definition; returns the question and
    the names of the fields that changed (`title`, `scenarios.us-eu-strain.label`, …)."""
    created = question is None
    if created:
        question = Question(slug=spec.slug)
        db.session.add(question)
    fields = {
        "slug": spec.slug,
        "title": spec.title,
        "summary": spec.summary,
        "source_name": spec.source_name,
        "source_url": spec.source_url,
        "closing_question": spec.closing_question,
        "faq": [{"question": q, "answer": a} for q, a in spec.faq],
        "article_urls": list(spec.article_urls),
        "opens_at": spec.opens_at,
        "closes_at": spec.closes_at,
        "moderation_mode": spec.moderation_mode,
    }
    changed = ["created"] if created else []
    changed += _assign(question, fields)
    existing = {s.key: s for s in question.scenarios}
    new_scenarios = []
    for position, item in enumerate(spec.scenarios):
        scenario = existing.get(item.key)
        if scenario is None:
            scenario = Scenario(key=item.key)
            question.scenarios.append(scenario)
            new_scenarios.append(scenario)
            changed.append(f"scenarios.{item.key}")
        changed += _assign(
            scenario,
            {
                "label": item.label,
                "baseline": item.baseline,
                "impact": item.impact,
                "resolution_criteria": item.resolution_criteria,
                "position": position,
            },
            prefix=f"scenarios.{item.key}.",
        )
    db.session.flush()
    for scenario in new_scenarios:
        counts.create_rows(scenario)
    if changed and not created:
        counts.moved(question.id)  # a baseline or a label may have changed the crowd's rows
    db.session.flush()
    return question, changed


def _assign(row: object, values: dict, prefix: str = "") -> list[str]:
    changed = []
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(prefix + name)
    return changed


def save_from_editor(
    spec: QuestionSpec, moderator: Moderator, question: Question | None = None
) -> Question:
    """Create or edit a question from the editors' form, audited with the fields that changed;
    raises Invalid (per field) when the slug is taken. A question created here is a draft
    (published_at None) until an editor publishes it."""
    other = db.session.scalar(db.select(Question).filter_by(slug=spec.slug))
    if other is not None and other is not question:
        raise Invalid(errors={"slug": [f"Another question has the slug {spec.slug!r}."]})
    removed = []
    if question is not None:
        _check_safe_edit(question, spec)
        kept = {item.key for item in spec.scenarios}
        for scenario in [s for s in question.scenarios if s.key not in kept]:
            question.scenarios.remove(scenario)
            db.session.delete(scenario)
            removed.append(f"scenarios.{scenario.key} removed")
    question, changed = apply_spec(spec, question)
    if changed and changed[0] == "created":
        audit.record(decisions.QUESTION_CREATE, moderator, note=question.slug)
    elif changed or removed:
        fields = ", ".join(changed + removed)
        audit.record(decisions.QUESTION_EDIT, moderator, note=f"{question.slug}: {fields}")
    return question


SCENARIOS_LOCKED = (
    "Readers have forecast on this question: scenarios cannot be removed and their keys and "
    "the article's baselines cannot change (their labels and texts can)."
)
SLUG_LOCKED = "The slug cannot change once the question has opened (links to it exist)."


def _check_safe_edit(question: Question, spec: QuestionSpec) -> None:
    """Refuse the edits that would change what readers forecast on, or break links."""
    errors: dict[str, list[str]] = {}
    if spec.slug != question.slug and slug_is_locked(question):
        errors["slug"] = [SLUG_LOCKED]
    if has_forecasts(question):
        given = {item.key: item.baseline for item in spec.scenarios}
        stored = {s.key: s.baseline for s in question.scenarios}
        if any(key not in given or given[key] != baseline for key, baseline in stored.items()):
            errors["scenarios"] = [SCENARIOS_LOCKED]
    if errors:
        raise Invalid(errors=errors)


def slug_is_locked(question: Question) -> bool:
    """Whether the question has opened to readers, so that links to its slug may exist (a
    draft's or a scheduled question's slug can still change)."""
    return question.phase(utcnow()) not in (Phase.DRAFT, Phase.SCHEDULED)


def has_forecasts(question: Question) -> bool:
    """Whether anyone ever forecast on the question (withdrawn forecasts count: they are scored
    history)."""
    return db.session.scalar(
        db.select(db.exists().where(Forecast.question_id == question.id))
    )


def spec_of(question: Question) -> QuestionSpec:
    """The stored question as a definition (what its TOML file or the editors' form holds)."""
    return QuestionSpec(
        slug=question.slug,
        title=question.title,
        summary=question.summary,
        source_name=question.source_name,
        source_url=question.source_url,
        closing_question=question.closing_question,
        faq=tuple((item["question"], item["answer"]) for item in question.faq or []),
        opens_at=question.opens_at,
        closes_at=question.closes_at,
        moderation_mode=question.moderation_mode,
        scenarios=tuple(
            ScenarioSpec(
                key=s.key,
                label=s.label,
                baseline=s.baseline,
                impact=s.impact,
                resolution_criteria=s.resolution_criteria,
            )
            for s in question.scenarios
        ),
        article_urls=tuple(question.article_urls or []),
    )


def question_toml(question: Question) -> str:
    """The stored question as its TOML file (`questions load` or the upload read it back)."""
    return tomli_w.dumps(data_from_spec(spec_of(question)), multiline_strings=True)


def load_seed() -> tuple[Question, bool]:
    """Load the packaged seed question (idempotent)."""
    return load_question(parse_question(seed_text()))


# Every request about a question starts here: built once, only the slug varies.
_BY_SLUG = (
    db.select(Question)
    .options(joinedload(Question.scenarios))
    .where(Question.slug == db.bindparam("slug"))
)
_PUBLISHED_BY_SLUG = _BY_SLUG.where(Question.published_at.is_not(None))


def get_by_slug(slug: str, *, drafts: bool = False) -> Question | None:
    """The question with this slug, its scenarios loaded in the same query; a draft only when
    the caller may see drafts."""
    query = _BY_SLUG if drafts else _PUBLISHED_BY_SLUG
    return db.session.execute(query, {"slug": slug}).unique().scalar_one_or_none()


# What a request reads of a kept question: one indexed row, no ORM objects.
_QUESTION_ROW = db.select(
    Question.id,
    Question.published_at,
    Question.edit_version,
    Question.outcome_version,
    Question.crowd_version,
    Question.forecaster_count,
).where(Question.slug == db.bindparam("slug"))
# What every forecast moves: read per request, never taken from a copy.
COUNTERS = ("crowd_version", "forecaster_count", "outcome_version")


class KeptQuestions:
    """Questions as a worker last loaded them (detached, with their scenarios), each under the
    edit and outcome versions it was loaded at. Shared by the threads of one app; no copy is
    ever attached to a session, so none is changed."""

    def __init__(self, max_entries: int = 256):
        self._copies = MemoryCache(max_entries=max_entries, as_json=False)

    def get(self, slug: str, *, drafts: bool = False) -> Question | None:
        """get_by_slug for a request: one row read for the versions and counters; the
        question and its scenarios from the copy loaded at those versions (loaded now when
        there is none), merged into the request's session without a query."""
        # On the session's connection (its transaction) but past the ORM's execution.
        row = db.session.connection().execute(_QUESTION_ROW, {"slug": slug}).one_or_none()
        if row is None or (row.published_at is None and not drafts):
            return None
        present = db.session.identity_map.get(identity_key(Question, row.id))
        if present is not None:  # this request has it already, perhaps with changes
            return present
        versions = (row.id, row.edit_version, row.outcome_version)
        copy = self._copies.get(slug)
        if copy is MISSING or versions != (copy.id, copy.edit_version, copy.outcome_version):
            copy = self._load(slug)
            # Kept under the versions it holds: newer than the row's when an edit committed
            # in between, and then the next request's row matches it.
            self._copies.set(slug, copy, KEPT_SECONDS)
        question = db.session.merge(copy, load=False)
        for name in COUNTERS:  # as this request read them, not as the copy was loaded
            set_committed_value(question, name, getattr(row, name))
        return question

    @staticmethod
    def _load(slug: str) -> Question:
        # A session of its own on the request's connection (so in its transaction, never
        # ending it): the copy never belongs to the request's session.
        with Session(bind=db.session.connection()) as scratch:
            return scratch.execute(_BY_SLUG, {"slug": slug}).unique().scalar_one()


def by_article_url(url: str) -> Question | None:
    """The published question whose article is at this address (query and fragment aside)."""
    wanted = article_url(url)
    # Few questions, short lists: comparing in Python keeps the JSON column portable.
    for question in list_questions():
        if wanted in (question.article_urls or []):
            return question
    return None


def list_questions(*, drafts: bool = False) -> list[Question]:
    """The published questions (and drafts, when asked), newest first (each carries its
    forecaster count)."""
    query = db.select(Question).order_by(Question.created_at.desc())
    if not drafts:
        query = query.where(Question.published_at.is_not(None))
    return list(db.session.scalars(query))


def publish(question: Question, moderator: Moderator) -> bool:
    """Make a draft public now: it opens at once, or at its opening time (audited with the
    phase it moves to); False when it was already published."""
    if question.published_at is not None:
        return False
    question.published_at = utcnow()
    audit.record(
        decisions.QUESTION_PUBLISH,
        moderator,
        from_status=Phase.DRAFT,
        to_status=question.phase(),
        note=question.slug,
    )
    db.session.flush()
    return True


def forecaster_count(question: Question) -> int:
    """Readers with at least one active forecast on the question, bans excluded."""
    # The counter moves by atomic UPDATEs that also update the loaded question (counts.py).
    return question.forecaster_count


def set_status(question: Question, status: QuestionStatus) -> None:
    """Open or close a question (unaudited: change_status is the audited way)."""
    question.status = status
    db.session.flush()


def change_status(question: Question, after: QuestionStatus, moderator: Moderator | None) -> bool:
    """Open or close a question, in the audit log (moderator None: the CLI acted); False when
    it already had that status. The feeds read when it closed from this row."""
    before = question.status
    if before == after:
        return False
    set_status(question, after)
    action = decisions.QUESTION_OPEN if after == QuestionStatus.OPEN else decisions.QUESTION_CLOSE
    audit.record(action, moderator, from_status=before, to_status=after, note=question.slug)
    return True


def toggle_status(question: Question, moderator: Moderator) -> QuestionStatus:
    """Close an open question or open a closed one, in the audit log; returns the new status."""
    after = QuestionStatus.CLOSED if question.status == QuestionStatus.OPEN else QuestionStatus.OPEN
    change_status(question, after, moderator)
    return after
