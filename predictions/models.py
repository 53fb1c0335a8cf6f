"""Typed models: questions and their scenarios, readers, forecasts and comments."""

import enum
import secrets
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import (
    DDL,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.types import JSON, DateTime, TypeDecorator

from .core import roles
from .core.comment_rules import CommentStatus
from .core.question_status import Phase, phase_at
from .core.roles import Role
from .core.validation import DISPLAY_NAME_MAX
from .extensions import db


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store naive UTC, hand back aware UTC: SQLite keeps no zone, PostgreSQL would convert."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


def new_reader_id() -> str:
    """An opaque reader id of 128 random bits."""
    return secrets.token_urlsafe(16)


class Outcome(enum.StrEnum):
    YES = "yes"
    NO = "no"
    ANNULLED = "annulled"


class FlagReason(enum.StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    HATE = "hate"
    OFF_TOPIC = "off-topic"
    OTHER = "other"


class QuestionStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Question(db.Model):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(String(200))
    source_url: Mapped[str] = mapped_column(String(500))
    closing_question: Mapped[str] = mapped_column(String(500))
    faq: Mapped[list] = mapped_column(JSON, default=list)
    # The article's addresses (normalised by question_file.article_url): an embed placed on
    # one of them without a slug finds the question by the page's canonical URL.
    article_urls: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    status: Mapped[str] = mapped_column(String(16), default=QuestionStatus.OPEN)
    moderation_mode: Mapped[str] = mapped_column(String(8), default="pre")
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None while the question is a draft (only editors see it); set once, when it is published.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Readers with a standing forecast on the question, bans excluded; kept in step with every
    # forecast change (like ScenarioCount) so that nobody counts distinct readers per request.
    forecaster_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Moves by one in the same transaction as every change of the crowd (a forecast, a
    # withdrawal, a ban or unban, a resolution, an erasure; services/counts.py): caches of
    # crowd numbers are keyed by it, so none outlives the change.
    crowd_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Moves with every resolution or correction of one of its scenarios: a forecast that sees
    # it moved since it loaded the question reads the outcomes again before it commits.
    outcome_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Moves with every change of the question or its scenarios made through the ORM (their
    # texts, status, publication, outcomes; the flush listener below): a worker keeps a copy of
    # the question per edit version and reads only the versions and counters per request.
    edit_version: Mapped[int] = mapped_column(default=0, server_default="0")

    scenarios: Mapped[list["Scenario"]] = relationship(
        back_populates="question", order_by="Scenario.position", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("moderation_mode IN ('pre', 'post')", name="moderation_mode"),
    )

    def phase(self, now: datetime | None = None) -> Phase:
        """Draft, scheduled, open or closed at this moment (core/question_status.py)."""
        return phase_at(
            now or utcnow(),
            published_at=self.published_at,
            opens_at=self.opens_at,
            closes_at=self.closes_at,
            closed_by_hand=self.status != QuestionStatus.OPEN,
        )

    def is_open(self, now: datetime | None = None) -> bool:
        """Whether the question takes forecasts at this moment (never a draft's or a scheduled
        question's)."""
        return self.phase(now) == Phase.OPEN

    @property
    def public_status(self) -> str:
        """'scheduled', 'open' or 'closed' ('draft' only for the editors who see drafts)."""
        return self.phase().value

    def scenario(self, key: str) -> "Scenario | None":
        """The scenario with this key, if any."""
        return next((s for s in self.scenarios if s.key == key), None)


class Scenario(db.Model):
    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    baseline: Mapped[int]
    impact: Mapped[str] = mapped_column(String(300), default="")
    resolution_criteria: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str | None] = mapped_column(String(8))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    question: Mapped[Question] = relationship(back_populates="scenarios")

    __table_args__ = (
        UniqueConstraint("question_id", "key"),
        CheckConstraint("baseline BETWEEN 1 AND 99", name="baseline_percent"),
        CheckConstraint("outcome IN ('yes', 'no', 'annulled')", name="outcome"),
    )


class ScenarioCount(db.Model):
    """How many unbanned readers' active forecasts on a scenario stand at each percent.

    Kept in the same transaction as every forecast change, so the aggregate is read from 99
    rows instead of a scan of every forecast.
    """

    __tablename__ = "scenario_counts"

    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenarios.id", ondelete="CASCADE"), primary_key=True
    )
    percent: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        CheckConstraint("percent BETWEEN 1 AND 99", name="percent"),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )


class AggregateSnapshot(db.Model):
    """A scenario's crowd at the end of a past day (immutable once written)."""

    __tablename__ = "aggregate_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # 99 counts, index i for percent i + 1.
    counts: Mapped[list] = mapped_column(JSON)
    recency_median: Mapped[float | None]

    __table_args__ = (UniqueConstraint("scenario_id", "at"),)


class Reader(db.Model):
    __tablename__ = "readers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_reader_id)
    # Only a hash of the bearer token is kept; the token itself is shown once.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME_MAX))
    # HMAC of the /24 (IPv4) or /48 (IPv6) prefix: enough for abuse limits, never the address.
    ip_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    banned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ban_reason: Mapped[str | None] = mapped_column(String(200))
    # Every comment of a premoderated reader waits for a moderator.
    premod: Mapped[bool] = mapped_column(default=False)
    # Set when the reader deleted their data: the row stays as a tombstone for the audit log.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Forecast(db.Model):
    """One reader's probability for one scenario, from created_at until ended_at (append-only)."""

    __tablename__ = "forecasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    reader_id: Mapped[str] = mapped_column(ForeignKey("readers.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    percent: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    scenario: Mapped[Scenario] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("percent BETWEEN 1 AND 99", name="percent"),
        # At most one active forecast per reader and scenario, whatever races the writers run.
        Index(
            "uq_forecasts_active",
            "reader_id",
            "scenario_id",
            unique=True,
            sqlite_where=db.text("ended_at IS NULL"),
            postgresql_where=db.text("ended_at IS NULL"),
        ),
        Index("ix_forecasts_reader_question", "reader_id", "question_id"),
        Index("ix_forecasts_scenario_created", "scenario_id", "created_at"),
    )


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    reader_id: Mapped[str] = mapped_column(ForeignKey("readers.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME_MAX))
    status: Mapped[str] = mapped_column(String(16), default=CommentStatus.PENDING)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    # The author's active forecasts (key -> percent) when the comment was posted.
    forecast_snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flag_count: Mapped[int] = mapped_column(default=0)
    # Set when a published comment reaches the flag threshold; cleared by a moderator decision.
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withheld', 'deleted')", name="status"
        ),
        Index("ix_comments_question_status_created", "question_id", "status", "created_at"),
        Index("ix_comments_reader", "reader_id"),
    )


class CommentRevision(db.Model):
    """An earlier text of an edited comment."""

    __tablename__ = "comment_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Flag(db.Model):
    """A reader's report that a comment breaks the rules (one per reader and comment)."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    reader_id: Mapped[str] = mapped_column(ForeignKey("readers.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))
    details: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("comment_id", "reader_id"),
        CheckConstraint("reason IN ('spam', 'abuse', 'hate', 'off-topic', 'other')", name="reason"),
    )


def new_session_token() -> str:
    """A random token naming one generation of a moderator's login sessions."""
    return secrets.token_urlsafe(32)


class Moderator(UserMixin, db.Model):
    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # What the account may do (core/roles.py): rights add up from moderator to editor to admin.
    role: Mapped[str] = mapped_column(
        String(16), default=Role.MODERATOR, server_default=Role.MODERATOR.value
    )
    # Only a hash of the personal API token is kept.
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What a login session stores instead of the id (Flask-Login's "alternative token"); a new
    # one on logout, disable or password change ends every session of the account at once.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)

    __table_args__ = (
        CheckConstraint("role IN ('moderator', 'editor', 'admin')", name="role"),
    )

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def may(self, needed: Role) -> bool:
        """Whether this account has the rights of `needed`."""
        return roles.may(self.role, needed)

    def get_id(self) -> str:
        return self.session_token


class WordListEntry(db.Model):
    """A banned or suspect word or phrase for the comment pipeline."""

    __tablename__ = "word_list_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    phrase: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("kind", "phrase"),
        CheckConstraint("kind IN ('banned', 'suspect')", name="kind"),
    )


class ModerationAction(db.Model):
    """One decision, append-only: the database refuses UPDATE and DELETE on these rows.

    Subjects are plain ids, not foreign keys, so that erasing a reader's data never has to
    rewrite the audit log.
    """

    __tablename__ = "moderation_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None when the system acted (the comment pipeline, a purge).
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
    action: Mapped[str] = mapped_column(String(32))
    comment_id: Mapped[int | None] = mapped_column(index=True)
    reader_id: Mapped[str | None] = mapped_column(String(32), index=True)
    scenario_id: Mapped[int | None]
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


# The same statements are in the migration that creates the table.
APPEND_ONLY_DDL = {
    "sqlite": [
        "CREATE TRIGGER moderation_actions_no_update BEFORE UPDATE ON moderation_actions "
        "BEGIN SELECT RAISE(ABORT, 'moderation_actions is append-only'); END",
        "CREATE TRIGGER moderation_actions_no_delete BEFORE DELETE ON moderation_actions "
        "BEGIN SELECT RAISE(ABORT, 'moderation_actions is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION moderation_actions_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'moderation_actions is append-only'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER moderation_actions_append_only BEFORE UPDATE OR DELETE "
        "ON moderation_actions FOR EACH ROW EXECUTE FUNCTION moderation_actions_append_only()",
    ],
}

for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(
            ModerationAction.__table__,
            "after_create",
            DDL(_statement).execute_if(dialect=_dialect),
        )


@event.listens_for(Session, "before_flush")
def _move_edit_versions(session: Session, _context, _instances) -> None:
    """Every flush that changes a question or one of its scenarios moves the question's
    edit_version, in the same UPDATE: no kept copy of the question outlives the change."""
    edited = set()
    for row in (*session.dirty, *session.deleted, *session.new):
        if isinstance(row, Question) and row not in session.new:
            if row in session.deleted or session.is_modified(row):
                edited.add(row.id)
        elif isinstance(row, Scenario):
            # A removed scenario has lost its question but not its id; a new one has its
            # question (appended to it) but no id yet.
            question_id = row.question_id or (row.question and row.question.id)
            if question_id is not None:
                edited.add(question_id)
    for question_id in edited:
        question = session.get(Question, question_id)  # the identity map, but for odd cases
        if question is not None and question not in session.deleted:
            # An SQL expression: concurrent edits each move it, none is lost.
            question.edit_version = Question.edit_version + 1
