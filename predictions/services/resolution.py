"""Resolution: a scenario's outcome (yes, no or annulled), set once and corrected with an audit."""

from datetime import datetime

from ..core import moderator_decisions as decisions
from ..errors import Conflict
from ..extensions import db
from ..models import ModerationAction, Moderator, Outcome, Scenario, utcnow
from . import counts
from .audit import record

DRAFT_MESSAGE = "Publish the question before resolving its scenarios: a draft has no forecasts."


def resolve(
    scenario: Scenario,
    outcome: str,
    moderator: Moderator | None,
    note: str,
    now: datetime | None = None,
    audit_note: str | None = None,
) -> ModerationAction | None:
    """Set (or correct) a scenario's outcome and append the audit row; None when nothing changed."""
    # The first resolution fixes resolved_at, the moment whose standing forecasts are scored. A
    # correction keeps that moment: the scenario has taken no forecasts since, and scores are
    # always derived, so they follow the new outcome.
    outcome = Outcome(outcome).value  # ValueError for anything but yes, no, annulled
    if scenario.question.published_at is None:
        raise Conflict(DRAFT_MESSAGE)
    previous = scenario.outcome
    if previous == outcome and scenario.resolution_note == note:
        return None
    # First: this locks the question's row until the commit, so a forecast racing the
    # resolution either committed before (and is standing at resolved_at, taken after the
    # lock) or sees the outcome and is refused (services/forecasts.py).
    counts.moved(scenario.question_id, outcomes=1)
    now = now or utcnow()
    if previous is None:
        scenario.resolved_at = now
    scenario.outcome = outcome
    scenario.resolved_by_id = moderator.id if moderator is not None else None
    scenario.resolution_note = note
    action = record(
        decisions.RESOLVE if previous is None else decisions.RE_RESOLVE,
        moderator,
        created_at=now,
        scenario_id=scenario.id,
        from_status=previous,
        to_status=outcome,
        note=audit_note if audit_note is not None else note,
    )
    db.session.flush()
    return action
