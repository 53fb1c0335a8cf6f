"""Who may moderate: login, the moderator's cookie, rate limits, and every route refusing others."""

import re
import uuid

import pytest
from flask import Flask

from predictions.extensions import db
from predictions.models import Comment
from predictions.services import readers

from ..conftest import SEED_SLUG, make_moderator, make_test_app

# ---- every moderation route refuses anyone but a moderator


def moderation_routes() -> list[tuple[str, str, str]]:
    """(method, rule, endpoint) of every moderation page and API route, from the URL map."""
    app = make_test_app("sqlite://")
    routes = []
    for rule in app.url_map.iter_rules():
        moderation_path = rule.rule.startswith(("/moderation", "/api/v1/moderation"))
        if not (moderation_path or rule.endpoint.startswith("moderation_api.")):
            continue
        if rule.endpoint == "moderation.login":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, rule.rule, rule.endpoint))
    return routes


ROUTES = moderation_routes()
ARGUMENTS = {
    "comment_id": "1",
    "reader_id": "some-reader",
    "entry_id": "1",
    "moderator_id": "1",
    "name": "pending",
    "slug": SEED_SLUG,
    "key": "us-eu-strain",
}
# The least role each moderation route needs (rights add up: moderator < editor < admin).
# Every route in the URL map must be here: a new route fails test_every_route_has_a_role.
M, E, A = "moderator", "editor", "admin"
ROLE_OF_ENDPOINT = {
    "moderation.logout": M,
    "moderation.index": M,
    "moderation.queue": M,
    "moderation.comment": M,
    "moderation.decide": M,
    "moderation.bulk": M,
    "moderation_tools.reader": M,
    "moderation_tools.ban": M,
    "moderation_tools.unban": M,
    "moderation_tools.premod": M,
    "moderation_tools.words": M,
    "moderation_tools.remove_word": M,
    "moderation_tools.audit_log": M,
    "moderation_tools.accounts": A,
    "moderation_tools.change_password": A,
    "moderation_tools.disable": A,
    "moderation_tools.set_role": A,
    "moderation_questions.index": E,
    "moderation_questions.resolve": E,
    "moderation_questions.toggle_status": E,
    "moderation_questions.preview": E,
    "moderation_questions.publish": E,
    "moderation_questions.new": E,
    "moderation_questions.edit": E,
    "moderation_questions.download": E,
    "moderation_questions.upload": E,
    "moderation_api.Queue": M,
    "moderation_api.Decision": M,
    "moderation_api.Ban": M,
    "moderation_api.Unban": M,
    "moderation_api.ForecastExport": M,
    "moderation_api.CommentExport": M,
}
ROLES = (M, E, A)


def concrete(rule: str) -> str:
    """The rule with every <converter:argument> filled in (a new argument must be added above)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: ARGUMENTS[m.group(1)], rule)


def is_api(rule: str) -> bool:
    return rule.startswith("/api/")


def test_the_route_list_covers_pages_api_and_exports():
    rules = {rule for _method, rule, _endpoint in ROUTES}
    assert "/moderation/queue/<name>" in rules
    assert "/moderation/audit" in rules
    assert "/moderation/logout" in rules
    assert "/api/v1/moderation/comments/<int:comment_id>/decision" in rules
    assert "/api/v1/moderation/readers/<reader_id>/ban" in rules
    assert "/api/v1/questions/<slug>/export.csv" in rules
    assert "/api/v1/questions/<slug>/comments.csv" in rules


def call(client, method: str, rule: str, headers: dict | None = None):
    kwargs = {"json": {}} if is_api(rule) and method == "POST" else {}
    return client.open(concrete(rule), method=method, headers=headers or {}, **kwargs)


def assert_refused(response, rule: str) -> None:
    if is_api(rule):
        assert response.status_code == 401
        assert response.json["code"] == 401
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/moderation/login")


@pytest.mark.parametrize(("method", "rule", "endpoint"), ROUTES)
def test_anonymous_visitors_are_sent_to_login_or_refused(client, seed, method, rule, endpoint):
    assert_refused(call(client, method, rule), rule)


@pytest.mark.parametrize(("method", "rule", "endpoint"), ROUTES)
def test_readers_with_a_session_cookie_are_refused(page_reader, method, rule, endpoint):
    assert page_reader.forecast({"us-eu-strain": 55}).status_code == 303
    assert_refused(call(page_reader.client, method, rule), rule)


@pytest.mark.parametrize(("method", "rule", "endpoint"), ROUTES)
def test_readers_with_a_reader_token_get_401(app, client, seed, method, rule, endpoint):
    with app.app_context():
        _reader, token = readers.create_reader("ip")
        from predictions.extensions import db

        db.session.commit()
    response = call(client, method, rule, {"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize(("method", "rule", "endpoint"), ROUTES)
def test_a_forged_moderator_token_gets_401(client, seed, method, rule, endpoint):
    response = call(client, method, rule, {"Authorization": "Bearer mod_not-a-real-token"})
    assert response.status_code == 401


def test_every_route_has_a_role():
    assert {endpoint for *_rest, endpoint in ROUTES} == set(ROLE_OF_ENDPOINT)


ROLE_CASES = [
    pytest.param(role, method, rule, endpoint, id=f"{role}-{method}-{rule}")
    for method, rule, endpoint in ROUTES
    for role in ROLES
    if endpoint in ROLE_OF_ENDPOINT
]


@pytest.mark.parametrize(("role", "method", "rule", "endpoint"), ROLE_CASES)
def test_each_role_reaches_exactly_its_routes(app, seed, role, method, rule, endpoint):
    from ..conftest import ModeratorActions

    make_moderator(app, "someone", role=role)
    me = ModeratorActions(app.test_client(), "someone")
    assert me.login().status_code == 303
    status = call(me.client, method, rule).status_code
    needed = ROLE_OF_ENDPOINT[endpoint]
    if ROLES.index(role) >= ROLES.index(needed):
        assert status not in (401, 403), (role, rule, status)
    else:
        assert status == 403, (role, rule, status)


# ---- login and logout


def test_login_redirects_to_the_pending_queue(app, client, seed):
    make_moderator(app, "mia")
    page = client.get("/moderation/login")
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.get_data(as_text=True)
    response = client.post("/moderation/login", data={"name": "mia", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/queue/pending"
    assert client.get("/moderation/login").headers["Location"] == "/moderation/queue/pending"


PASSWORD = "correct horse battery staple"


def test_login_returns_to_the_page_asked_for(app, client, seed):
    make_moderator(app, "mia")
    asked = client.get("/moderation/audit?action=ban")
    assert asked.headers["Location"] == "/moderation/login?next=/moderation/audit?action%3Dban"
    form = client.get(asked.headers["Location"]).get_data(as_text=True)
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', form).group(1)
    assert next_value == "/moderation/audit?action=ban"
    response = client.post(
        "/moderation/login", data={"name": "mia", "password": PASSWORD, "next": next_value}
    )
    assert response.headers["Location"] == "/moderation/audit?action=ban"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/me",
        "javascript:x",
        "/moderationx",
        "/moderation/queue\r\nX-Injected: 1",
        "/moderation/queue\nX",
        "/moderation/\x00queue",
    ],
)
def test_login_never_redirects_off_the_moderation_pages(app, client, seed, target):
    make_moderator(app, "mia")
    response = client.post(
        "/moderation/login", data={"name": "mia", "password": PASSWORD, "next": target}
    )
    assert response.headers["Location"] == "/moderation/queue/pending"


def test_a_form_sent_while_logged_out_is_not_replayed_after_login(client, seed):
    response = client.post("/moderation/comments/1/decision", data={"action": "approve"})
    assert response.headers["Location"] == "/moderation/login"


def test_login_form_needs_both_fields(client, seed):
    response = client.post("/moderation/login", data={"name": "mia"})
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)


def test_logout_is_a_post_and_ends_the_session(moderator):
    assert moderator.client.get("/moderation/logout").status_code == 405
    response = moderator.logout()
    assert response.status_code == 303
    assert "_user_id" not in session_of(moderator.client)
    assert moderator.queue().status_code == 302


def session_of(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


# ---- the moderator's cookie


def set_cookie(response) -> str:
    (cookie,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return cookie


def test_moderator_cookie_is_httponly_strict_and_ends_with_the_browser(app, client, seed):
    make_moderator(app, "mia")
    response = client.post("/moderation/login", data={"name": "mia", "password": PASSWORD})
    cookie = set_cookie(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Expires=" not in cookie
    assert "SameSite=Strict" in set_cookie(client.get("/moderation/queue/pending"))


def test_reader_cookie_stays_lax_and_lasts(page_reader):
    cookie = set_cookie(page_reader.forecast({"us-eu-strain": 55}))
    assert "SameSite=Lax" in cookie
    assert "HttpOnly" in cookie
    assert "Expires=" in cookie


def test_login_starts_a_fresh_session(app, client, seed):
    make_moderator(app, "mia")
    with client.session_transaction() as session:
        session["reader_id"] = "someone-elses-reader"
        session["csrf_token"] = "planted-by-an-attacker"
    client.post("/moderation/login", data={"name": "mia", "password": PASSWORD})
    after = session_of(client)
    assert after["_user_id"]
    assert "reader_id" not in after
    assert after.get("csrf_token") != "planted-by-an-attacker"


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_login_form_needs_its_csrf_token(app, client, seed):
    make_moderator(app, "mia")
    refused = client.post("/moderation/login", data={"name": "mia", "password": PASSWORD})
    assert refused.status_code == 400
    html = client.get("/moderation/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    accepted = client.post(
        "/moderation/login", data={"name": "mia", "password": PASSWORD, "csrf_token": token}
    )
    assert accepted.status_code == 303


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_moderation_forms_need_the_csrf_token(app, seed):
    from ..conftest import ModeratorActions, make_comment

    make_moderator(app, "mia")
    mia = ModeratorActions(app.test_client(), "mia")
    html = mia.client.get("/moderation/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert mia.login(csrf_token=token).status_code == 303
    comment_id, _reader = make_comment(app)
    assert mia.approve(comment_id).status_code == 400
    assert mia.approve(comment_id, csrf_token=mia.csrf_token()).status_code == 303


def test_session_api_calls_need_the_csrf_header(app, moderator):
    from ..conftest import make_comment

    comment_id, _reader = make_comment(app)
    body = {"action": "approve", "expected_status": "pending"}
    url = f"/api/v1/moderation/comments/{comment_id}/decision"
    refused = moderator.client.post(url, json=body)
    assert refused.status_code == 400
    assert "CSRF" in refused.json["message"]
    accepted = moderator.api("POST", f"/moderation/comments/{comment_id}/decision", json=body)
    assert accepted.status_code == 200


@pytest.mark.parametrize("bearer", ["nonsense", "mod_nonsense", "Bearer"])
def test_a_bearer_token_that_authenticates_no_one_does_not_lift_csrf(app, moderator, bearer):
    from ..conftest import make_comment

    comment_id, _reader = make_comment(app)
    response = moderator.client.post(
        f"/api/v1/moderation/comments/{comment_id}/decision",
        json={"action": "approve", "expected_status": "pending"},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert response.status_code in (400, 401)
    with app.app_context():
        assert db.session.get(Comment, comment_id).status == "pending"


def test_token_api_calls_need_no_csrf(app, client, moderator_token):
    from ..conftest import make_comment

    comment_id, _reader = make_comment(app)
    response = client.post(
        f"/api/v1/moderation/comments/{comment_id}/decision",
        json={"action": "approve", "expected_status": "pending"},
        headers={"Authorization": f"Bearer {moderator_token}"},
    )
    assert response.status_code == 200


# ---- login rate limit


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_login_attempts_are_limited_to_five_a_minute(app: Flask, client, seed):
    make_moderator(app, "mia")
    # A network of its own: counters of other runs may still stand in a shared Redis.
    octets = uuid.uuid4().bytes
    client.environ_base["REMOTE_ADDR"] = f"10.{octets[0]}.{octets[1]}.9"
    for _ in range(3):
        assert client.get("/moderation/login").status_code == 200  # looking is free
    for _ in range(5):
        wrong = client.post("/moderation/login", data={"name": "mia", "password": "x" * 16})
        assert wrong.status_code == 401
    blocked = client.post("/moderation/login", data={"name": "mia", "password": PASSWORD})
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 61  # the window ends within the minute
    assert "_user_id" not in session_of(client)
    other_network = app.test_client()
    allowed = other_network.post(
        "/moderation/login",
        data={"name": "mia", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert allowed.status_code == 303


# ---- sessions end everywhere: logout, disable, a new password

NEW_PASSWORD = "an entirely different passphrase"


def copy_of_browser(app: Flask, client):
    """Another browser holding a copy of this one's session cookie (as a thief would)."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def logged_in(app: Flask, name: str, admin: bool = False):
    from ..conftest import ModeratorActions

    if admin:
        make_moderator(app, name, admin=True)
    actions = ModeratorActions(app.test_client(), name)
    assert actions.login().status_code == 303
    return actions


def moderator_id(app: Flask, name: str) -> int:
    from predictions.services import moderators

    with app.app_context():
        return moderators.by_name(name).id


def logout(app, runner, mia) -> None:
    assert mia.logout().status_code == 303


def disable_on_the_page(app, runner, mia) -> None:
    ada = logged_in(app, "ada", admin=True)
    url = f"/moderation/moderators/{moderator_id(app, 'mia')}/disable"
    assert ada.client.post(url).status_code == 303


def disable_with_the_cli(app, runner, mia) -> None:
    assert runner.invoke(args=["moderators", "disable", "mia"]).exit_code == 0


def new_password_on_the_page(app, runner, mia) -> None:
    ada = logged_in(app, "ada", admin=True)
    data = {"pw-moderator": moderator_id(app, "mia"), "pw-password": NEW_PASSWORD}
    response = ada.client.post(
        "/moderation/moderators/password", data={**data, "pw-confirm": NEW_PASSWORD}
    )
    assert response.status_code == 303


def new_password_with_the_cli(app, runner, mia) -> None:
    result = runner.invoke(
        args=["moderators", "password", "mia", "--password-stdin"], input=NEW_PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output


ENDINGS = [
    logout,
    disable_on_the_page,
    disable_with_the_cli,
    new_password_on_the_page,
    new_password_with_the_cli,
]


@pytest.mark.parametrize("end", ENDINGS, ids=lambda end: end.__name__)
def test_a_cookie_copied_before_the_session_ended_opens_nothing(app, runner, moderator, end):
    from predictions.models import Reader
    from predictions.services import moderators

    from ..conftest import make_comment

    _comment_id, reader_id = make_comment(app)
    with app.app_context():
        api_token = moderators.issue_token(moderators.by_name("mia"))
        db.session.commit()
    stolen = copy_of_browser(app, moderator.client)
    stolen_csrf = moderator.csrf_token()  # the copy carries the same CSRF secret
    second_browser = logged_in(app, "mia")
    second_csrf = second_browser.csrf_token()
    make_moderator(app, "tom")
    tom = logged_in(app, "tom")
    assert stolen.get("/moderation/queue/pending").status_code == 200

    end(app, runner, moderator)

    for client, csrf in ((stolen, stolen_csrf), (second_browser.client, second_csrf)):
        queue = client.get("/moderation/queue/pending")
        assert queue.status_code == 302
        assert queue.headers["Location"].startswith("/moderation/login")
        assert client.get("/api/v1/moderation/comments").status_code == 401
        ban = client.post(
            f"/api/v1/moderation/readers/{reader_id}/ban",
            json={"reason": "spam"},
            headers={"X-CSRFToken": csrf},
        )
        assert ban.status_code == 401
        page_ban = client.post(
            f"/moderation/readers/{reader_id}/ban", data={"reason": "spam", "csrf_token": csrf}
        )
        assert page_ban.headers["Location"] == "/moderation/login"
    with app.app_context():
        assert db.session.get(Reader, reader_id).banned_at is None
    # Another account's session is untouched.
    assert tom.queue().status_code == 200
    assert tom.api("GET", "/moderation/comments").status_code == 200
    # The API token is a credential of its own: only disabling the account stops it.
    bearer = {"Authorization": f"Bearer {api_token}"}
    api = app.test_client().get("/api/v1/moderation/comments", headers=bearer)
    assert api.status_code == (401 if "disable" in end.__name__ else 200)


def test_the_session_holds_the_account_token_not_its_id(app, moderator):
    from predictions.services import moderators

    with app.app_context():
        mia = moderators.by_name("mia")
        stored = session_of(moderator.client)["_user_id"]
        assert stored == mia.session_token != str(mia.id)
        assert len(stored) >= 43  # 32 random bytes


def test_a_session_of_a_token_no_account_holds_opens_nothing(app, client, seed):
    make_moderator(app, "mia")
    with client.session_transaction() as session:
        session["_user_id"] = "1"  # a moderator's id, as sessions held before the token
    response = client.get("/moderation/queue/pending")
    assert response.status_code == 302
    assert client.get("/api/v1/moderation/comments").status_code == 401


def test_logging_in_again_after_logout_works(moderator):
    assert moderator.logout().status_code == 303
    assert moderator.login().status_code == 303
    assert moderator.queue().status_code == 200
