"""Command-line groups: flask --app predictions questions …"""

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from .extensions import db
from .models import QuestionStatus
from .question_file import QuestionFileError, parse_question
from .services import questions as question_service

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
    for q in question_service.list_questions():
        click.echo(f"{q.slug}\t{q.public_status}\t{q.forecaster_count} forecasters\t{q.title}")


def _set_status(slug: str, status: QuestionStatus) -> None:
    question = question_service.get_by_slug(slug)
    if question is None:
        raise click.ClickException(f"no question with the slug {slug!r}")
    question_service.set_status(question, status)
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


def init_app(app: Flask) -> None:
    from .moderators_cli import moderators_cli

    app.cli.add_command(questions_cli)
    app.cli.add_command(moderators_cli)
