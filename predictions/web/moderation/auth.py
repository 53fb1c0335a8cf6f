"""Who may moderate: guards for the moderation pages and API, and the moderator's cookie.

Readers and moderators share Flask's one signed session cookie. A reader's cookie is
`SameSite=Lax` (SPEC §3) so that following a link to a question keeps their identity; once the
cookie holds a moderator's login (Flask-Login's `_user_id`), it is sent `SameSite=Strict` and
without an expiry (gone when the browser closes), so no other site can make a moderator's
browser carry it, not even on a top-level link.
"""

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_smorest import abort as api_abort

from ...core import moderator_decisions as decisions
from ...core.comment_rules import REASONS
from ...core.rendering import render_comment
from ...core.roles import Role
from ...extensions import login
from ...models import Moderator
from ...services import moderators
from ..identity import bearer_token, current_moderator
from .forms import LogoutForm

# Where Flask-Login keeps the logged-in moderator: their session token, not their id.
MODERATOR_SESSION_KEY = "_user_id"


class StrictSessionInterface(SecureCookieSessionInterface):
    def get_cookie_samesite(self, app: Flask) -> str:
        return "Strict"


class ModeratorAwareSessionInterface(SecureCookieSessionInterface):
    """The usual signed cookie, sent `SameSite=Strict` while it holds a moderator's login."""

    strict = StrictSessionInterface()

    def save_session(self, app, session, response) -> None:
        # `in` reads the dict without marking the session accessed (no needless Vary: Cookie).
        if MODERATOR_SESSION_KEY in session:
            return self.strict.save_session(app, session, response)
        return super().save_session(app, session, response)


def page_moderator() -> Moderator | None:
    """The moderator logged in to this browser session (pages take no bearer tokens)."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def require_page_moderator():
    """Before every moderation page but the login: log in first (bearer clients get 401)."""
    if request.endpoint in PUBLIC_ENDPOINTS or page_moderator() is not None:
        return None
    if request.headers.get("Authorization"):
        abort(401, "Moderation pages need a moderator login; API clients use /api/v1/moderation.")
    # Only a page can be returned to; a form sent while logged out has to be sent again.
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("moderation.login", next=target))


PUBLIC_ENDPOINTS = {"moderation.login"}


REFUSALS = {
    Role.EDITOR: "Only editors and admins may manage questions.",
    Role.ADMIN: "Only admins may manage moderators.",
}


def role_required(needed: Role):
    """Only accounts with the rights of `needed` may use this page (others get 403)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            moderator = page_moderator()
            if moderator is None or not moderator.may(needed):
                abort(403, REFUSALS.get(needed, "Your role may not use this page."))
            return view(*args, **kwargs)

        return wrapped

    return decorate


editor_required = role_required(Role.EDITOR)
admin_required = role_required(Role.ADMIN)


def require_api_moderator() -> None:
    """Before every moderation API call: a moderator's session or `mod_` token, else 401."""
    if current_moderator() is None:
        message = "Send a moderator's API token, or log in as a moderator."
        if bearer_token() is not None:
            message = "This token does not belong to a moderator."
        api_abort(401, message=message)


def api_moderator() -> Moderator:
    """The moderator behind this API request (checked before the view ran)."""
    moderator = current_moderator()
    assert moderator is not None
    return moderator


def template_context() -> dict:
    """Names every moderation template uses."""
    return {
        "decisions": decisions,
        "logout_form": LogoutForm,
        "render_comment": render_comment,
        "PIPELINE_REASONS": REASONS,
        "Role": Role,
    }


def safe_next(target: str | None) -> str | None:
    """A local moderation path to return to after login, or None (no open redirects)."""
    # A backslash can turn into a host; a control character cannot go into a Location header.
    if not target or "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/moderation/"):
        return None
    return target


def load_moderator(session_token: str) -> Moderator | None:
    """Flask-Login's user loader: the session holds the account's session token (its
    `get_id()`), so a session ends when the token changes; only active moderators load."""
    return moderators.by_session_token(session_token)


def init_app(app: Flask) -> None:
    """Flask-Login for moderators, and the cookie that turns strict once one logs in."""
    login.init_app(app)
    login.user_loader(load_moderator)
    login.login_view = "moderation.login"
    app.session_interface = ModeratorAwareSessionInterface()
