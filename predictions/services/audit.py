"""The audit log: one append-only row per moderation decision or change."""

from dataclasses import dataclass

from ..extensions import db
from ..models import ModerationAction, Moderator, Question, Scenario
from .paging import Page, paginate


def record(action: str, moderator: Moderator | None, **fields) -> ModerationAction:
    """Append one row to the audit log (moderator None: the system or the CLI acted)."""
    row = ModerationAction(
        action=action, moderator_id=moderator.id if moderator is not None else None, **fields
    )
    db.session.add(row)
    return row


@dataclass(frozen=True)
class AuditEntry:
    """An audit row with the name of the moderator who acted (and, for a resolution, the
    scenario it concerns in words)."""

    action: ModerationAction
    moderator_name: str | None
    scenario: "ScenarioName | None" = None


@dataclass(frozen=True)
class ScenarioName:
    """What a resolution row names: the question's slug, the scenario's key and label."""

    slug: str
    key: str
    label: str


def scenario_names(scenario_ids: set[int]) -> dict[int, ScenarioName]:
    """Slug, key and label of these scenarios (a scenario removed since is left out)."""
    if not scenario_ids:
        return {}
    rows = db.session.execute(
        db.select(Scenario.id, Question.slug, Scenario.key, Scenario.label)
        .join(Question, Question.id == Scenario.question_id)
        .where(Scenario.id.in_(scenario_ids))
    )
    return {id_: ScenarioName(slug, key, label) for id_, slug, key, label in rows}


def entries(
    page: int, per_page: int, action: str | None = None, moderator_id: int | None = None
) -> Page:
    """The audit log, newest first, optionally for one action or one moderator."""
    query = db.select(ModerationAction, Moderator.name).outerjoin(
        Moderator, Moderator.id == ModerationAction.moderator_id
    )
    if action:
        query = query.where(ModerationAction.action == action)
    if moderator_id:
        query = query.where(ModerationAction.moderator_id == moderator_id)
    query = query.order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
    result = paginate(query, page, per_page, scalars=False)
    names = scenario_names({row.scenario_id for row, _ in result.items if row.scenario_id})
    items = [AuditEntry(row, name, names.get(row.scenario_id)) for row, name in result.items]
    return Page(items=items, page=result.page, per_page=per_page, total=result.total)


def latest_for_comments(comment_ids: list[int]) -> dict[int, AuditEntry]:
    """The most recent decision on each of these comments."""
    if not comment_ids:
        return {}
    rows = db.session.execute(
        db.select(ModerationAction, Moderator.name)
        .outerjoin(Moderator, Moderator.id == ModerationAction.moderator_id)
        .where(ModerationAction.comment_id.in_(comment_ids))
        .order_by(ModerationAction.id)
    )
    return {row.comment_id: AuditEntry(row, name) for row, name in rows}
