"""Moderator accounts: argon2id password hashes and personal API tokens (only hashes stored)."""

import re
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..core import moderator_decisions as decisions
from ..core.pseudonyms import token_hash
from ..core.roles import Role
from ..errors import Invalid
from ..extensions import db
from ..models import Moderator, new_session_token, utcnow
from .audit import record

PASSWORD_MIN = 12
PASSWORD_MAX = 1024
NAME_MAX = 40
NAME_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{NAME_MAX - 1}}}")
NAME_MESSAGE = f"Use 1 to {NAME_MAX} letters, digits, dots, dashes or underscores."
# zxcvbn's score 3 of 0-4: "safely unguessable", about 10^10 guesses or more.
STRENGTH_MIN = 3
# zxcvbn judges at most its own default of 72 characters: its cost grows fast with the length
# (seconds for a few hundred), and a longer password is at least as strong as its start.
STRENGTH_CHARS = 72
STRENGTH_ADVICE = "A few uncommon words make a strong password."
# Must match predictions.web.identity.MODERATOR_TOKEN_PREFIX.
TOKEN_PREFIX = "mod_"

# Written to the audit log when an account's password is set anew.

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory parameters.
hasher = PasswordHasher()


def name_problem(name: str) -> str | None:
    """Why a moderator name is not acceptable, or None."""
    return None if NAME_PATTERN.fullmatch(name or "") else NAME_MESSAGE


def password_problem(password: str, name: str | None = None) -> str | None:
    """Why a password is not acceptable (too short or long, or easy to guess), or None."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    # zxcvbn knows common passwords, words, names, keyboard patterns, repeats and dates. Its
    # lists take some 14 MB: imported here, only processes that set passwords hold them.
    from zxcvbn import zxcvbn

    guess = zxcvbn(password[:STRENGTH_CHARS], user_inputs=[name] if name else [])
    if guess["score"] < STRENGTH_MIN:
        warning = guess["feedback"]["warning"]
        return " ".join(
            part
            for part in ("This password is easy to guess.", warning, STRENGTH_ADVICE)
            if part
        )
    return None


def by_name(name: str) -> Moderator | None:
    """The moderator with this name."""
    return db.session.scalar(db.select(Moderator).filter_by(name=name))


def list_moderators() -> list[Moderator]:
    """Every moderator, by name."""
    return list(db.session.scalars(db.select(Moderator).order_by(Moderator.name)))


def role_problem(role: str) -> str | None:
    """Why a role is not one of ours, or None."""
    return None if role in tuple(Role) else f"A role is one of: {', '.join(Role)}."


def create_moderator(
    name: str, password: str, role: str = Role.MODERATOR, by: Moderator | None = None
) -> Moderator:
    """A new moderator account (audited; `by` is None from the CLI); raises Invalid."""
    errors = {}
    if problem := name_problem(name):
        errors["name"] = [problem]
    elif by_name(name) is not None:
        errors["name"] = [f"A moderator called {name!r} already exists."]
    if problem := password_problem(password, name):
        errors["password"] = [problem]
    if problem := role_problem(role):
        errors["role"] = [problem]
    if errors:
        raise Invalid(errors=errors)
    moderator = Moderator(name=name, password_hash=hasher.hash(password), role=Role(role))
    db.session.add(moderator)
    db.session.flush()
    record(decisions.MODERATOR_CREATE, by, note=f"{moderator.name} ({role})")
    return moderator


def set_role(moderator: Moderator, role: str, by: Moderator | None = None) -> bool:
    """Give an account another role (audited, from and to); False if it already had it."""
    if problem := role_problem(role):
        raise Invalid(errors={"role": [problem]})
    before = moderator.role
    if before == role:
        return False
    moderator.role = Role(role)
    db.session.flush()
    record(
        decisions.MODERATOR_ROLE, by, from_status=before, to_status=role, note=moderator.name
    )
    return True


@cache
def _dummy_hash() -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def authenticate(name: str, password: str) -> Moderator | None:
    """The active moderator with this name and password, or None."""
    # An unknown name still costs one hash verification, so timing does not reveal names.
    moderator = by_name(name)
    stored = moderator.password_hash if moderator is not None else _dummy_hash()
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if moderator is None or not moderator.is_active:
        return None
    if hasher.check_needs_rehash(moderator.password_hash):
        moderator.password_hash = hasher.hash(password)
    return moderator


def issue_token(moderator: Moderator) -> str:
    """A new personal API token (replacing any earlier one); shown once, only its hash kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    moderator.api_token_hash = token_hash(token)
    db.session.flush()
    return token


def by_session_token(token: str) -> Moderator | None:
    """The active moderator whose current login sessions carry this token."""
    moderator = db.session.scalar(db.select(Moderator).filter_by(session_token=token))
    return moderator if moderator is not None and moderator.is_active else None


def end_sessions(moderator: Moderator) -> None:
    """End every login session of the account (a new session token; API tokens stay)."""
    moderator.session_token = new_session_token()
    db.session.flush()


def change_password(moderator: Moderator, password: str, by: Moderator | None = None) -> None:
    """Set a new password and end every session of the account (audited); raises Invalid."""
    if problem := password_problem(password, moderator.name):
        raise Invalid(errors={"password": [problem]})
    moderator.password_hash = hasher.hash(password)
    end_sessions(moderator)
    record(decisions.MODERATOR_PASSWORD, by, note=moderator.name)


def disable(moderator: Moderator, by: Moderator | None = None) -> bool:
    """Disable an account (its sessions and token stop working); False if already disabled."""
    disabled = db.session.execute(
        db.update(Moderator)
        .where(Moderator.id == moderator.id, Moderator.disabled_at.is_(None))
        .values(disabled_at=utcnow(), session_token=new_session_token())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(moderator)
    if disabled:
        record(decisions.MODERATOR_DISABLE, by, note=moderator.name)
    return bool(disabled)
