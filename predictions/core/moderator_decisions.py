"""Pure moderation decisions: which queue a decision may start from, where it leads, and why."""

from dataclasses import dataclass

from .comment_rules import CommentStatus

# Not a stored status: an approved comment whose flags put it in the Reported queue.
REPORTED = "reported"

QUEUES = (
    CommentStatus.PENDING,
    REPORTED,
    CommentStatus.WITHHELD,
    CommentStatus.APPROVED,
    CommentStatus.REJECTED,
)
QUEUE_TITLES = {
    CommentStatus.PENDING: "Pending",
    REPORTED: "Reported",
    CommentStatus.WITHHELD: "Withheld",
    CommentStatus.APPROVED: "Approved",
    CommentStatus.REJECTED: "Rejected",
}

APPROVE = "approve"
REJECT = "reject"
SPAM = "spam"
ACTIONS = (APPROVE, REJECT, SPAM)
ACTION_TARGET = {
    APPROVE: CommentStatus.APPROVED,
    REJECT: CommentStatus.REJECTED,
    SPAM: CommentStatus.REJECTED,
}

# Reason codes a moderator gives for a decision or a ban (shown in the audit log).
DECISION_REASONS: dict[str, str] = {
    "within_rules": "Within the rules.",
    "flags_unfounded": "The flags do not hold up.",
    "spam": "Spam or advertising.",
    "abuse": "Abuse or harassment of a person.",
    "hate": "Hate speech.",
    "off_topic": "Off topic for the question.",
    "personal_data": "Shares someone's personal data.",
    "misinformation": "Deliberate misinformation.",
    "duplicate": "Repeats an earlier comment.",
    "other": "Other (explained in the note).",
}
NOTE_MAX = 500
BULK_MAX = 100

# Every other action written to the audit log, besides the three decisions.
BAN, UNBAN = "ban", "unban"
PREMOD_ON, PREMOD_OFF = "premod_on", "premod_off"
WORD_ADD, WORD_REMOVE = "word_add", "word_remove"
MODERATOR_CREATE, MODERATOR_DISABLE = "moderator_create", "moderator_disable"
MODERATOR_PASSWORD = "moderator_password"
MODERATOR_ROLE = "moderator_role"
QUESTION_CREATE, QUESTION_EDIT = "question_create", "question_edit"
QUESTION_PUBLISH = "question_publish"
# An editor closing a question, or opening it again (the stored names: "question_" + status).
QUESTION_OPEN, QUESTION_CLOSE = "question_open", "question_closed"
RESOLVE, RE_RESOLVE = "resolve", "re-resolve"
AUDIT_ACTIONS = (
    *ACTIONS,
    BAN,
    UNBAN,
    PREMOD_ON,
    PREMOD_OFF,
    WORD_ADD,
    WORD_REMOVE,
    MODERATOR_CREATE,
    MODERATOR_DISABLE,
    MODERATOR_PASSWORD,
    MODERATOR_ROLE,
    QUESTION_CREATE,
    QUESTION_EDIT,
    QUESTION_PUBLISH,
    QUESTION_OPEN,
    QUESTION_CLOSE,
    RESOLVE,
    RE_RESOLVE,
)


@dataclass(frozen=True)
class Plan:
    """A decision as a guarded state change."""

    # The services turn it into `UPDATE ... WHERE id = :id AND status = :from_status`, so a
    # moderator who acted on a stale page gets a conflict instead of overwriting a decision.
    action: str
    # The stored status the comment must still have, and whether it must still be reported.
    from_status: str
    must_be_reported: bool
    to_status: str
    # What the audit log calls the starting point ("reported" for a reported comment).
    audit_from: str


def plan_decision(
    action: str, expected: str, reason: str | None, note: str | None = None
) -> tuple[Plan | None, dict[str, list[str]]]:
    """The plan for a decision on a comment the moderator saw in `expected`, or the problems."""
    errors: dict[str, list[str]] = {}
    if action not in ACTIONS:
        errors["action"] = [f"Choose one of: {', '.join(ACTIONS)}."]
    if expected not in QUEUES:
        errors["expected_status"] = [f"Choose one of: {', '.join(QUEUES)}."]
    if reason is not None and reason not in DECISION_REASONS:
        errors["reason"] = ["Unknown reason code."]
    elif reason is None and action in (REJECT, SPAM):
        errors["reason"] = ["Give a reason to reject a comment or mark it as spam."]
    elif reason == "other" and not (note or "").strip():
        errors["note"] = ["Explain the reason 'other' in a note."]
    if note is not None and len(note) > NOTE_MAX:
        errors["note"] = [f"Keep the note within {NOTE_MAX} characters."]
    if errors:
        return None, errors
    target = ACTION_TARGET[action]
    reported = expected == REPORTED
    stored = CommentStatus.APPROVED if reported else expected
    if stored == target and not (target == CommentStatus.APPROVED and reported):
        return None, {"action": [f"The comment is already {target}."]}
    # Approving a reported comment dismisses its reports: it must still be reported then.
    plan = Plan(
        action=action,
        from_status=stored,
        must_be_reported=reported,
        to_status=target,
        audit_from=REPORTED if reported else stored,
    )
    return plan, {}


def reason_problem(reason: str | None, note: str | None = None) -> dict[str, list[str]]:
    """Problems with a required reason code (bans), by field."""
    if not reason:
        return {"reason": ["Give a reason."]}
    if reason not in DECISION_REASONS:
        return {"reason": ["Unknown reason code."]}
    if reason == "other" and not (note or "").strip():
        return {"note": ["Explain the reason 'other' in a note."]}
    if note is not None and len(note) > NOTE_MAX:
        return {"note": [f"Keep the note within {NOTE_MAX} characters."]}
    return {}
