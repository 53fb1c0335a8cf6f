"""What each kind of moderator account may do (pure: no Flask, no database).

Rights add up: an editor also works the queues, an admin also runs questions.
"""

import enum


class Role(enum.StrEnum):
    MODERATOR = "moderator"  # the comment queues, readers, word lists, the audit log
    EDITOR = "editor"  # questions too: create, edit, schedule, publish, close, resolve
    ADMIN = "admin"  # accounts too


_RANK = {Role.MODERATOR: 0, Role.EDITOR: 1, Role.ADMIN: 2}

ROLES = tuple(Role)

DESCRIPTIONS = {
    Role.MODERATOR: "comment queues, readers, word lists",
    Role.EDITOR: "questions too: create, edit, publish, resolve",
    Role.ADMIN: "moderator accounts too",
}


def may(role: str, needed: Role) -> bool:
    """Whether an account with `role` has the rights of `needed` (unknown roles have none)."""
    try:
        return _RANK[Role(role)] >= _RANK[needed]
    except ValueError:
        return False
