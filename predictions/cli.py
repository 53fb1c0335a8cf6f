"""Command-line groups: flask --app predictions questions|scenarios|moderators|demo|… ."""

import sys
import time
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .core.question_file import QuestionFileError, parse_question
from .core.roles import Role
from .errors import Invalid
from .extensions import db
from .models import Outcome, QuestionStatus
from .services import comments as comment_service
from .services import health, resolution
from .services import moderators as moderators_service
from .services import questions as question_service
from .web.writes import committed

questions_cli = AppGroup("questions", help="Load, list, open and close questions.")


@questions_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_command(path: Path) -> None:
    """Load (or update) a question from a TOML file."""
    try:
        spec = parse_question(path.read_text(encoding="utf-8"))
    except QuestionFileError as error:
        for problem in error.problems:
            click.echo(f"{path}: {problem}", err=True)
        raise SystemExit(1) from error
    question, changed = question_service.load_question(spec)
    db.session.commit()
    click.echo(f"{question.slug}: {'loaded' if changed else 'unchanged'}")


@questions_cli.command("seed")
def seed_command() -> None:
    """Load the question that ships with the package (changes nothing when already loaded)."""
    question, changed = question_service.load_seed()
    db.session.commit()
    click.echo(f"{question.slug}: {'loaded' if changed else 'unchanged'}")


@questions_cli.command("list")
def list_command() -> None:
    """List the questions with status and forecaster count."""
    for q in question_service.list_questions(drafts=True):
        click.echo(f"{q.slug}\t{q.public_status}\t{q.forecaster_count} forecasters\t{q.title}")


def _set_status(slug: str, status: QuestionStatus) -> None:
    question_service.change_status(_question_or_fail(slug), status, None)
    db.session.commit()
    click.echo(f"{slug}: {status}")


@questions_cli.command("open")
@click.argument("slug")
def open_command(slug: str) -> None:
    """Open a question to forecasts."""
    _set_status(slug, QuestionStatus.OPEN)


@questions_cli.command("close")
@click.argument("slug")
def close_command(slug: str) -> None:
    """Close a question to new forecasts."""
    _set_status(slug, QuestionStatus.CLOSED)


@click.command("doctor")
@click.option(
    "--bind",
    "binds",
    multiple=True,
    metavar="ADDRESS",
    help="Where the server listens (as gunicorn's --bind); by default read from "
    "GUNICORN_CMD_ARGS, else HOST.",
)
@with_appcontext
def doctor_command(binds: tuple[str, ...]) -> None:
    """Check configuration, database, schema revision and Redis; exit 1 if anything is wrong
    (a warning, such as trusted proxies on a server reachable from outside, does not)."""
    app = current_app
    checks = [
        health.Check(
            "secret key",
            True,
            "generated into instance/secret_key: set SECRET_KEY alike on every machine"
            if app.config["SECRET_KEY_GENERATED"]
            else "configured",
        ),
        health.database(),
        health.revision(Path(app.extensions["migrate"].directory)),
        health.redis(app.config.get("REDIS_URL")),
        health.Check(
            "cookies",
            True,
            "Secure"
            if app.config["SESSION_COOKIE_SECURE"]
            else "not Secure: set SESSION_COOKIE_SECURE=true behind HTTPS",
        ),
    ]
    warnings = [health.proxies_check(app.config["TRUSTED_PROXIES"], binds)]
    for check in checks:
        click.echo(f"{'ok ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    for check in warnings:
        click.echo(f"{'ok ' if check.ok else 'WARN'}  {check.name}: {check.detail}")
    if not all(check.ok for check in checks):
        raise SystemExit(1)


scenarios_cli = AppGroup("scenarios", help="List scenarios and resolve them.")

demo_cli = AppGroup("demo", help="Synthetic data for demos and benchmarks.")
aggregates_cli = AppGroup("aggregates", help="Repair the crowd's counts, store daily history.")


def _question_or_fail(slug: str):
    question = question_service.get_by_slug(slug, drafts=True)
    if question is None:
        raise click.ClickException(f"no question with the slug {slug!r}")
    return question


@scenarios_cli.command("list")
@click.argument("slug")
def scenarios_list_command(slug: str) -> None:
    """List a question's scenarios with their outcomes."""
    for s in _question_or_fail(slug).scenarios:
        when = s.resolved_at.isoformat(timespec="seconds") if s.resolved_at else "-"
        click.echo(f"{s.key}\t{s.outcome or 'unresolved'}\t{when}\t{s.baseline}%\t{s.label}")


@scenarios_cli.command("resolve")
@click.argument("slug")
@click.argument("key")
@click.argument("outcome", type=click.Choice([o.value for o in Outcome]))
@click.option("--note", required=True, help="Why it resolved so (shown with the scores).")
@click.option(
    "--moderator", "moderator_name", help="The editor or admin resolving it (else the CLI)."
)
def resolve_command(slug: str, key: str, outcome: str, note: str, moderator_name: str | None):
    """Resolve a scenario yes, no or annulled; again to correct it (audited)."""
    scenario = _question_or_fail(slug).scenario(key)
    if scenario is None:
        raise click.ClickException(f"{slug} has no scenario {key!r}")
    moderator = None
    if moderator_name is not None:
        moderator = moderators_service.by_name(moderator_name)
        if moderator is None or not moderator.is_active or not moderator.may(Role.EDITOR):
            raise click.ClickException(f"{moderator_name!r} is not an active editor or admin")
    previous = scenario.outcome
    # As the web's writes do: on SQLite it queues with the service's writers for the lock
    # (a transaction that read first would otherwise be refused it under their traffic).
    action = committed(
        lambda: resolution.resolve(scenario, outcome, moderator, note, audit_note=f"CLI: {note}")
    )
    if action is None:
        click.echo(f"{slug} {key}: unchanged ({outcome})")
    elif previous is None:
        click.echo(f"{slug} {key}: resolved {outcome}")
    else:
        click.echo(f"{slug} {key}: re-resolved {outcome} (was {previous})")


comments_cli = AppGroup("comments", help="Housekeeping of readers' comments.")


@comments_cli.command("purge-pending")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True)
def purge_pending_command(days: int) -> None:
    """Delete comments still awaiting review after DAYS (text emptied, audit rows written)."""
    purged = comment_service.purge_unreviewed(timedelta(days=days))
    db.session.commit()
    click.echo(
        f"{purged} unreviewed {'comment' if purged == 1 else 'comments'} older than "
        f"{days} days deleted"
    )


@demo_cli.command("populate")
@click.argument("slug")
@click.option("--readers", type=click.IntRange(min=0), required=True, help="How many to add.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--days", type=click.FloatRange(min=0.01), default=7.0, show_default=True)
@click.option("--update-share", type=click.FloatRange(0, 1), default=0.1, show_default=True)
def populate_command(slug: str, readers: int, seed: int, days: float, update_share: float):
    """Add N synthetic readers who forecast every scenario over the last days."""
    from .services import demo

    question = _question_or_fail(slug)
    started = time.monotonic()
    result = demo.populate(question, readers, seed=seed, days=days, update_share=update_share)
    db.session.commit()
    click.echo(
        f"{slug}: added {result.readers} readers and {result.forecasts} forecasts "
        f"({time.monotonic() - started:.1f} s). Store its daily history with: "
        f"flask --app predictions aggregates snapshot {slug}"
    )


@aggregates_cli.command("recount")
@click.argument("slug")
def recount_command(slug: str) -> None:
    """Set the per-percent counts and the forecaster count from the forecasts themselves."""
    from .services import counts

    question = _question_or_fail(slug)
    wrong = counts.rebuild(question)
    db.session.commit()
    click.echo(f"{slug}: {wrong} stored numbers were off and are now repaired")


@aggregates_cli.command("snapshot")
@click.argument("slug")
def snapshot_command(slug: str) -> None:
    """Compute and store the crowd at the end of every completed UTC day not stored yet."""
    from .services import aggregates

    question = _question_or_fail(slug)
    started = time.monotonic()
    points = aggregates.store_snapshots(question)
    db.session.commit()
    click.echo(f"{slug}: {len(points)} days of history ({time.monotonic() - started:.1f} s)")


moderators_cli = AppGroup(
    "moderators", help="Create, list and disable moderator accounts; set their passwords."
)


def _moderator_or_fail(name: str):
    moderator = moderators_service.by_name(name)
    if moderator is None:
        raise click.ClickException(f"no moderator called {name!r}")
    return moderator


def _read_password(from_stdin: bool) -> str:
    """The first line of stdin, or a password typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)


ROLE_CHOICE = click.Choice([role.value for role in Role])


@moderators_cli.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=ROLE_CHOICE,
    default=Role.MODERATOR.value,
    show_default=True,
    help="moderator: the queues; editor: questions too; admin: accounts too.",
)
@click.option("--admin", is_flag=True, help="The same as --role admin.")
@PASSWORD_STDIN
def moderators_create_command(name: str, role: str, admin: bool, password_stdin: bool) -> None:
    """Create a moderator account (the password is asked for twice, or read from stdin)."""
    role = Role.ADMIN if admin else role
    password = _read_password(password_stdin)
    try:
        moderator = moderators_service.create_moderator(name, password, role=role)
    except Invalid as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{moderator.name}: created ({moderator.role})")


@moderators_cli.command("role")
@click.argument("name")
@click.argument("role", type=ROLE_CHOICE)
def moderators_role_command(name: str, role: str) -> None:
    """Give an account a role: moderator, editor or admin (audited)."""
    moderator = _moderator_or_fail(name)
    before = moderator.role
    changed = moderators_service.set_role(moderator, role)
    db.session.commit()
    click.echo(f"{name}: {role} (was {before})" if changed else f"{name}: already {role}")


@moderators_cli.command("password")
@click.argument("name")
@PASSWORD_STDIN
def moderators_password_command(name: str, password_stdin: bool) -> None:
    """Set a new password: every login session of the account ends (its API token stays)."""
    moderator = _moderator_or_fail(name)
    try:
        moderators_service.change_password(moderator, _read_password(password_stdin))
    except Invalid as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{name}: password set, every session ended")


@moderators_cli.command("token")
@click.argument("name")
def moderators_token_command(name: str) -> None:
    """Print a new personal API token (shown once; it replaces any earlier token)."""
    moderator = _moderator_or_fail(name)
    if not moderator.is_active:
        raise click.ClickException(f"{name} is disabled")
    token = moderators_service.issue_token(moderator)
    db.session.commit()
    click.echo(token)


@moderators_cli.command("list")
def moderators_list_command() -> None:
    """List moderators: name, role, state, whether they hold an API token."""
    for moderator in moderators_service.list_moderators():
        role = moderator.role
        state = "active" if moderator.is_active else "disabled"
        token = "token" if moderator.api_token_hash else "no token"
        click.echo(f"{moderator.name}\t{role}\t{state}\t{token}")


@moderators_cli.command("disable")
@click.argument("name")
def moderators_disable_command(name: str) -> None:
    """Disable an account: its sessions and API token stop working at once."""
    moderator = _moderator_or_fail(name)
    changed = moderators_service.disable(moderator)
    db.session.commit()
    click.echo(f"{name}: {'disabled' if changed else 'already disabled'}")


def init_app(app: Flask) -> None:
    app.cli.add_command(questions_cli)
    app.cli.add_command(scenarios_cli)
    app.cli.add_command(comments_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(aggregates_cli)
    app.cli.add_command(doctor_command)
    app.cli.add_command(moderators_cli)
