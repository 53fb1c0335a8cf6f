"""The questions command group."""

from pathlib import Path

import pytest

from predictions.extensions import db
from predictions.models import Question
from predictions.services.questions import seed_text


def test_seed_loads_once_and_again_changes_nothing(app, runner):
    assert runner.invoke(args=["questions", "seed"]).output.strip() == "us-russia-relations: loaded"
    again = runner.invoke(args=["questions", "seed"])
    assert again.output.strip() == "us-russia-relations: unchanged"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Question)) == 1


def test_load_another_question_and_list_both(app, runner, tmp_path: Path):
    other = seed_text().replace('slug = "us-russia-relations"', 'slug = "second-question"')
    path = tmp_path / "second.toml"
    path.write_text(other)
    runner.invoke(args=["questions", "seed"])
    result = runner.invoke(args=["questions", "load", str(path)])
    assert result.exit_code == 0
    assert "second-question: loaded" in result.output
    listing = runner.invoke(args=["questions", "list"]).output
    assert "second-question\topen\t0 forecasters" in listing
    assert "us-russia-relations\topen" in listing


def test_load_reports_every_problem_of_a_bad_file(runner, tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text('slug = "Bad Slug"\ntitle = ""\n')
    result = runner.invoke(args=["questions", "load", str(path)])
    assert result.exit_code == 1
    assert "slug: Use lowercase letters, digits and single hyphens." in result.output
    assert "title: Fill this in." in result.output
    assert "scenarios: Give 2 to 10 scenarios." in result.output


def test_close_and_open_a_question(app, runner, seed):
    assert runner.invoke(args=["questions", "close", seed]).output.strip() == f"{seed}: closed"
    assert "\tclosed\t" in runner.invoke(args=["questions", "list"]).output
    assert runner.invoke(args=["questions", "open", seed]).output.strip() == f"{seed}: open"
    assert runner.invoke(args=["questions", "close", "nope"]).exit_code != 0


@pytest.mark.parametrize("app_config", [{"REDIS_URL": None}])  # whatever the shell exports
def test_doctor_reports_a_database_behind_its_migrations(runner):
    # The test database is made with create_all, so it has no Alembic revision stamped.
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "ok   database:" in result.output
    assert "FAIL  revision: database at nothing" in result.output
    assert "redis: not configured" in result.output


def test_doctor_passes_on_a_migrated_database_and_reaches_redis(tmp_path):
    from ..conftest import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path}/doctor.db", REDIS_URL="redis://127.0.0.1:6379/0")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    assert "ok   revision: at head" in result.output
    assert "ok   redis: answers" in result.output
    unreachable = (
        make_test_app(f"sqlite:///{tmp_path}/doctor.db", REDIS_URL="redis://127.0.0.1:1/0")
        .test_cli_runner()
        .invoke(args=["doctor"])
    )
    assert unreachable.exit_code == 1
    assert "FAIL  redis: unreachable" in unreachable.output


# ---- doctor: trusted proxies and where the server listens

NO_BIND = {"GUNICORN_CMD_ARGS": None, "HOST": None}  # whatever the shell exports


@pytest.mark.parametrize(
    ("trusted", "env", "options", "line"),
    [
        (0, {"HOST": "0.0.0.0"}, [], "ok   proxies: TRUSTED_PROXIES=0: X-Forwarded-For is ignored"),
        (1, {}, [], "ok   proxies: TRUSTED_PROXIES=1, listening on 127.0.0.1 (from the default"),
        (2, {"HOST": "localhost"}, [], "ok   proxies: TRUSTED_PROXIES=2, listening on localhost"),
        (1, {"HOST": "::1"}, [], "ok   proxies:"),
        (1, {"HOST": "0.0.0.0"}, [], "WARN  proxies: TRUSTED_PROXIES=1 but listening on 0.0.0.0"),
        (1, {"HOST": "10.0.0.5"}, [], "WARN  proxies:"),
        (1, {"GUNICORN_CMD_ARGS": "-w 4 --bind=0.0.0.0:8000"}, [], "WARN  proxies:"),
        (1, {"GUNICORN_CMD_ARGS": "-b 127.0.0.1:8000 -b [::]:8000"}, [], "WARN  proxies:"),
        (1, {"GUNICORN_CMD_ARGS": "--bind unix:/run/predictions.sock"}, [], "ok   proxies:"),
        (1, {"HOST": "0.0.0.0"}, ["--bind", "127.0.0.1:5000"], "ok   proxies:"),
        (1, {}, ["--bind", "[::1]:5000", "--bind", ":5000"], "WARN  proxies:"),
    ],
)
def test_doctor_warns_when_proxies_are_trusted_on_a_server_reachable_from_outside(
    trusted, env, options, line
):
    from ..conftest import make_test_app

    app = make_test_app("sqlite://", TRUSTED_PROXIES=trusted)
    result = app.test_cli_runner().invoke(args=["doctor", *options], env={**NO_BIND, **env})
    assert line in result.output


def test_doctor_names_the_exposed_address_and_a_warning_does_not_fail_it(tmp_path):
    from ..conftest import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path}/doctor.db", REDIS_URL=None, TRUSTED_PROXIES=1)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    env = {**NO_BIND, "GUNICORN_CMD_ARGS": "--workers 4 -b 0.0.0.0:8000"}
    result = runner.invoke(args=["doctor"], env=env)
    assert result.exit_code == 0, result.output
    assert (
        "WARN  proxies: TRUSTED_PROXIES=1 but listening on 0.0.0.0:8000 (from GUNICORN_CMD_ARGS)"
        ": a client that reaches 0.0.0.0:8000 directly chooses its own address"
    ) in result.output
