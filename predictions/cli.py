"""Command-line groups: flask --app predictions questions …"""

import time
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


demo_cli = AppGroup("demo", help="Synthetic data for demos and benchmarks.")
aggregates_cli = AppGroup("aggregates", help="Repair the crowd's counts, store daily history.")


def _question_or_fail(slug: str):
    question = question_service.get_by_slug(slug)
    if question is None:
        raise click.ClickException(f"no question with the slug {slug!r}")
    return question


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
        f"({time.monotonic() - started:.1f} s). Daily history is computed on first read, or "
        f"now with: flask --app predictions aggregates snapshot {slug}"
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
    points = aggregates.snapshots(question)
    db.session.commit()
    click.echo(f"{slug}: {len(points)} days of history ({time.monotonic() - started:.1f} s)")


def init_app(app: Flask) -> None:
    app.cli.add_command(questions_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(aggregates_cli)
