"""Moderator accounts: the moderators command group and the admins' page."""

import pytest

from predictions.core import moderator_decisions as decisions
from predictions.core.pseudonyms import token_hash
from predictions.extensions import db
from predictions.models import ModerationAction, Moderator
from predictions.services import moderators

from ..conftest import MODERATOR_PASSWORD, make_moderator

PASSWORD = "a long enough passphrase"


def moderator_row(app, name: str) -> Moderator | None:
    with app.app_context():
        moderator = moderators.by_name(name)
        if moderator is not None:
            db.session.expunge(moderator)
        return moderator


def audit_actions(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        rows = db.session.scalars(db.select(ModerationAction).order_by(ModerationAction.id))
        return [(row.action, row.note) for row in rows]


def test_create_reads_the_password_from_stdin_and_stores_an_argon2id_hash(app, runner):
    result = runner.invoke(
        args=["moderators", "create", "mia", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "mia: created (moderator)"
    row = moderator_row(app, "mia")
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    assert not row.is_admin
    assert moderators.hasher.verify(row.password_hash, PASSWORD)
    assert audit_actions(app) == [("moderator_create", "mia (moderator)")]


def test_create_prompts_for_the_password_twice(app, runner):
    result = runner.invoke(
        args=["moderators", "create", "ada", "--admin"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "ada: created (admin)" in result.output
    assert PASSWORD not in result.output
    assert moderator_row(app, "ada").is_admin


def test_create_refuses_differing_passwords_at_the_prompt(app, runner):
    result = runner.invoke(args=["moderators", "create", "ada"], input=f"{PASSWORD}\nother\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert moderator_row(app, "ada") is None


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("mia", "short pw 11", "at least 12 characters"),
        ("two words", PASSWORD, "letters, digits"),
        ("", PASSWORD, "letters, digits"),
    ],
)
def test_create_refuses_bad_names_and_short_passwords(app, runner, name, password, message):
    result = runner.invoke(
        args=["moderators", "create", name, "--password-stdin"], input=password + "\n"
    )
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Moderator)) == 0


def test_create_refuses_a_name_already_taken(app, runner):
    make_moderator(app, "mia")
    result = runner.invoke(
        args=["moderators", "create", "mia", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_token_is_printed_once_and_only_its_hash_is_stored(app, runner, seed):
    make_moderator(app, "mia")
    token = runner.invoke(args=["moderators", "token", "mia"]).output.strip()
    assert token.startswith("mod_") and len(token) > 40
    row = moderator_row(app, "mia")
    assert row.api_token_hash == token_hash(token)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/moderation/comments", headers=headers).status_code == 200

    newer = runner.invoke(args=["moderators", "token", "mia"]).output.strip()
    assert newer != token
    assert client.get("/api/v1/moderation/comments", headers=headers).status_code == 401
    headers = {"Authorization": f"Bearer {newer}"}
    assert client.get("/api/v1/moderation/comments", headers=headers).status_code == 200


def test_token_for_an_unknown_moderator_fails(runner):
    result = runner.invoke(args=["moderators", "token", "nobody"])
    assert result.exit_code != 0
    assert "no moderator called 'nobody'" in result.output


def test_list_shows_role_state_and_token(app, runner):
    make_moderator(app, "mia")
    make_moderator(app, "ada", admin=True)
    runner.invoke(args=["moderators", "token", "ada"])
    runner.invoke(args=["moderators", "disable", "mia"])
    lines = runner.invoke(args=["moderators", "list"]).output.splitlines()
    assert lines == ["ada\tadmin\tactive\ttoken", "mia\tmoderator\tdisabled\tno token"]


def test_disable_ends_the_session_and_the_token_at_once(app, runner, moderator, moderator_token):
    headers = {"Authorization": f"Bearer {moderator_token}"}
    assert moderator.queue().status_code == 200
    assert runner.invoke(args=["moderators", "disable", "mia"]).output.strip() == "mia: disabled"
    assert runner.invoke(args=["moderators", "disable", "tom"]).exit_code == 0
    response = moderator.queue()
    assert response.status_code == 302
    assert "/moderation/login" in response.headers["Location"]
    assert moderator.client.get("/api/v1/moderation/comments", headers=headers).status_code == 401
    assert moderator.login().status_code == 401
    again = runner.invoke(args=["moderators", "disable", "mia"]).output.strip()
    assert again == "mia: already disabled"
    assert [a for a, _ in audit_actions(app)].count("moderator_disable") == 2


def test_admin_creates_a_moderator_on_the_page(app, admin):
    page = admin.client.get("/moderation/moderators")
    assert page.status_code == 200
    response = admin.client.post(
        "/moderation/moderators",
        data={"name": "newbie", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 303
    assert moderator_row(app, "newbie") is not None
    assert ("moderator_create", "newbie (moderator)") in audit_actions(app)
    assert "newbie" in admin.client.get("/moderation/moderators").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "newbie", "password": "too short", "confirm": "too short"}, "at least 12"),
        ({"name": "newbie", "password": PASSWORD, "confirm": PASSWORD + "!"}, "differ"),
        ({"name": "ada", "password": PASSWORD, "confirm": PASSWORD}, "already exists"),
        ({"name": "bad name", "password": PASSWORD, "confirm": PASSWORD}, "letters, digits"),
    ],
)
def test_admin_page_refuses_bad_accounts_with_a_message(app, admin, data, message):
    response = admin.client.post("/moderation/moderators", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert moderator_row(app, "newbie") is None


def test_admin_disables_a_moderator_but_not_themselves(app, admin):
    mia = make_moderator(app, "mia")
    response = admin.client.post(f"/moderation/moderators/{mia}/disable")
    assert response.status_code == 303
    assert not moderator_row(app, "mia").is_active
    me = moderator_row(app, "ada").id
    assert admin.client.post(f"/moderation/moderators/{me}/disable").status_code == 422
    assert moderator_row(app, "ada").is_active


def test_moderators_who_are_not_admins_cannot_manage_accounts(app, moderator):
    assert moderator.client.get("/moderation/moderators").status_code == 403
    response = moderator.client.post(
        "/moderation/moderators", data={"name": "x1", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 403
    assert moderator_row(app, "x1") is None
    assert "/moderation/moderators" not in moderator.queue().get_data(as_text=True)


def test_wrong_password_and_unknown_name_fail_alike(app, client, seed):
    make_moderator(app, "mia")
    wrong = client.post("/moderation/login", data={"name": "mia", "password": "x" * 20})
    unknown = client.post(
        "/moderation/login", data={"name": "nobody", "password": MODERATOR_PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    message = "The name or the password is wrong."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_production_hashes_use_argon2id_with_rfc_9106_parameters():
    from argon2 import PasswordHasher, Type, profiles

    assert PasswordHasher().type is Type.ID
    assert PasswordHasher().memory_cost == profiles.RFC_9106_LOW_MEMORY.memory_cost


# ---- setting a password anew

NEW_PASSWORD = "an entirely different passphrase"


def logs_in(app, name: str, password: str) -> bool:
    response = app.test_client().post(
        "/moderation/login", data={"name": name, "password": password}
    )
    return response.status_code == 303


def test_password_command_reads_stdin_and_only_the_new_password_logs_in(app, runner):
    make_moderator(app, "mia")
    result = runner.invoke(
        args=["moderators", "password", "mia", "--password-stdin"], input=NEW_PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "mia: password set, every session ended"
    assert logs_in(app, "mia", NEW_PASSWORD)
    assert not logs_in(app, "mia", MODERATOR_PASSWORD)
    assert audit_actions(app)[-1] == (decisions.MODERATOR_PASSWORD, "mia")


def test_password_command_prompts_twice_and_refuses_what_create_refuses(app, runner):
    make_moderator(app, "mia")
    typed = runner.invoke(args=["moderators", "password", "mia"], input=f"{NEW_PASSWORD}\n" * 2)
    assert typed.exit_code == 0, typed.output
    assert NEW_PASSWORD not in typed.output
    short = runner.invoke(
        args=["moderators", "password", "mia", "--password-stdin"], input="short pw 11\n"
    )
    assert short.exit_code != 0
    assert "at least 12 characters" in short.output
    assert logs_in(app, "mia", NEW_PASSWORD)
    unknown = runner.invoke(args=["moderators", "password", "nobody", "--password-stdin"])
    assert "no moderator called 'nobody'" in unknown.output


def password_form(moderator_id: int, password: str, confirm: str | None = None) -> dict:
    confirm = password if confirm is None else confirm
    return {"pw-moderator": moderator_id, "pw-password": password, "pw-confirm": confirm}


def test_admin_sets_a_moderators_password_on_the_page(app, admin):
    mia = make_moderator(app, "mia")
    page = admin.client.get("/moderation/moderators").get_data(as_text=True)
    assert 'name="pw-password"' in page
    response = admin.client.post(
        "/moderation/moderators/password", data=password_form(mia, NEW_PASSWORD)
    )
    assert response.status_code == 303
    assert logs_in(app, "mia", NEW_PASSWORD)
    assert not logs_in(app, "mia", MODERATOR_PASSWORD)
    with app.app_context():
        row = db.session.scalars(db.select(ModerationAction)).all()[-1]
        assert (row.action, row.note) == (decisions.MODERATOR_PASSWORD, "mia")
        assert row.moderator_id == moderators.by_name("ada").id


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("too short", None, "at least 12"),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "differ"),
    ],
)
def test_admin_page_refuses_bad_new_passwords_with_a_message(
    app, admin, password, confirm, message
):
    mia = make_moderator(app, "mia")
    response = admin.client.post(
        "/moderation/moderators/password", data=password_form(mia, password, confirm)
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert logs_in(app, "mia", MODERATOR_PASSWORD)


def test_admin_page_refuses_an_account_that_does_not_exist(app, admin):
    response = admin.client.post(
        "/moderation/moderators/password", data=password_form(999, NEW_PASSWORD)
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_an_admin_who_sets_their_own_password_stays_logged_in_only_here(app, admin):
    from ..conftest import ModeratorActions

    elsewhere = ModeratorActions(app.test_client(), "ada")
    assert elsewhere.login().status_code == 303
    ada = moderator_row(app, "ada").id
    response = admin.client.post(
        "/moderation/moderators/password", data=password_form(ada, NEW_PASSWORD)
    )
    assert response.status_code == 303
    assert admin.client.get("/moderation/moderators").status_code == 200
    assert elsewhere.queue().status_code == 302


def test_moderators_who_are_not_admins_cannot_set_passwords(app, moderator):
    mia = moderator_row(app, "mia").id
    response = moderator.client.post(
        "/moderation/moderators/password", data=password_form(mia, NEW_PASSWORD)
    )
    assert response.status_code == 403
    assert logs_in(app, "mia", MODERATOR_PASSWORD)


# ---- passwords that are easy to guess


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("a" * 12, 'Repeats like "aaa" are easy to guess.'),
        ("password1234", "This is a very common password."),
        ("qwertyuiop12", "similar to a commonly used password"),
        ("iloveyou2024", "similar to a commonly used password"),
        ("kestrelwing2024", "This password is easy to guess."),  # the account's own name
    ],
)
def test_passwords_that_are_easy_to_guess_are_refused(app, runner, password, message):
    result = runner.invoke(
        args=["moderators", "create", "kestrelwing", "--password-stdin"], input=password + "\n"
    )
    assert result.exit_code != 0
    assert message in result.output
    assert "A few uncommon words make a strong password." in result.output
    assert moderator_row(app, "kestrelwing") is None


@pytest.mark.parametrize("password", [MODERATOR_PASSWORD, PASSWORD, "kestrelwing2024"])
def test_passphrases_and_other_names_pass(password):
    assert moderators.password_problem(password, "mia") is None


def test_only_the_first_72_characters_are_judged_and_fast():
    import time

    started = time.monotonic()
    assert moderators.password_problem("Zq7#" + "x" * (moderators.PASSWORD_MAX - 4)) is not None
    assert moderators.password_problem(MODERATOR_PASSWORD + " a" * 400) is None
    assert time.monotonic() - started < 2  # zxcvbn takes minutes on 1,024 repeated characters


def test_admin_page_refuses_a_common_password(app, admin):
    data = {"name": "newbie", "password": "password1234", "confirm": "password1234"}
    response = admin.client.post("/moderation/moderators", data=data)
    assert response.status_code == 422
    assert "This is a very common password." in response.get_data(as_text=True)
    mia = make_moderator(app, "mia")
    response = admin.client.post(
        "/moderation/moderators/password", data=password_form(mia, "a" * 12)
    )
    assert response.status_code == 422
    assert "easy to guess" in response.get_data(as_text=True)


def test_the_cli_creates_an_editor_and_changes_roles_audited(app, runner):
    result = runner.invoke(
        args=["moderators", "create", "eda", "--role", "editor", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.output.strip() == "eda: created (editor)"
    assert runner.invoke(args=["moderators", "role", "eda", "admin"]).output.strip() == (
        "eda: admin (was editor)"
    )
    assert runner.invoke(args=["moderators", "role", "eda", "admin"]).output.strip() == (
        "eda: already admin"
    )
    assert runner.invoke(args=["moderators", "role", "eda", "boss"]).exit_code != 0
    assert moderator_row(app, "eda").role == "admin"
    assert "eda\tadmin\tactive" in runner.invoke(args=["moderators", "list"]).output
    assert audit_actions(app)[-1] == ("moderator_role", "eda")


def test_an_admin_sets_a_role_on_the_page_but_not_their_own(app, admin):
    make_moderator(app, "mia")
    mia = moderator_row(app, "mia")
    response = admin.client.post(
        f"/moderation/moderators/{mia.id}/role", data={f"role-{mia.id}-role": "editor"}
    )
    assert response.status_code == 303
    assert moderator_row(app, "mia").role == "editor"
    me = moderator_row(app, "ada")
    own = admin.client.post(
        f"/moderation/moderators/{me.id}/role", data={f"role-{me.id}-role": "moderator"}
    )
    assert own.status_code == 422
    assert moderator_row(app, "ada").role == "admin"
