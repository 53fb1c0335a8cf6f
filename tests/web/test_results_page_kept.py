"""The results page kept per worker for visitors with nothing of their own on it: rendered once
per (question versions, crowd version, phase, day, scorecard page), never for a reader, a
moderator or anyone with a session, and never kept while a recency median lags."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import template_rendered

from predictions.extensions import db
from predictions.models import utcnow
from predictions.services import questions, resolution

from .crowd_helpers import add_readers, close, moderator_headers
from .resolution_actions import admin

COOP = "us-russia-cooperation"


@pytest.fixture
def app_config():
    return {"CROWD_CACHE_SECONDS": 60, "AGGREGATE_CACHE_SECONDS": 0}


@contextmanager
def renders(app):
    """How many times the results page is rendered meanwhile."""
    seen = []

    def count(_sender, template, **_extra):
        if template.name == "results/results.html":
            seen.append(template.name)

    template_rendered.connect(count, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(count, app)


def visit(app, slug: str, **kwargs) -> str:
    """The page as a new visitor sees it: a client of its own, no cookie."""
    response = app.test_client().get(f"/q/{slug}/results", **kwargs)
    assert response.status_code == 200
    return response.text


def test_visitors_with_nothing_of_their_own_share_one_rendering(app, seed):
    add_readers(app, seed, [{COOP: 50}] * 6)
    close(app, seed)
    with renders(app) as rendered:
        first, second = visit(app, seed), visit(app, seed)
    assert rendered == ["results/results.html"]
    assert first == second and "6 readers have forecast" in first


def test_every_change_of_the_crowd_shows_at_once(app, seed):
    add_readers(app, seed, [{COOP: 50}] * 6)
    close(app, seed)
    assert "6 readers have forecast" in visit(app, seed)
    add_readers(app, seed, [{COOP: 60}])
    assert "7 readers have forecast" in visit(app, seed)


def test_an_edit_and_a_resolution_show_at_once(app, seed):
    add_readers(app, seed, [{COOP: 50}] * 6)
    close(app, seed)
    visit(app, seed)
    with app.app_context():
        questions.get_by_slug(seed).title = "A title edited elsewhere"
        db.session.commit()
    assert "A title edited elsewhere" in visit(app, seed)
    with app.app_context():
        scenario = questions.get_by_slug(seed).scenario(COOP)
        resolution.resolve(scenario, "yes", admin(), "It happened.")
        db.session.commit()
    assert "Resolved" in visit(app, seed) or "resolved" in visit(app, seed)


def test_the_phase_and_the_scorecard_page_are_part_of_the_key(app, seed, clock):
    add_readers(app, seed, [{COOP: 50}] * 6)
    closes = utcnow() + timedelta(hours=1)
    with app.app_context():
        questions.get_by_slug(seed).closes_at = closes
        db.session.commit()
    clock.move_to(closes - timedelta(seconds=5))
    open_page = visit(app, seed)
    clock.move_to(closes + timedelta(seconds=5))  # closed by the clock: no version moves
    closed_page = visit(app, seed)
    assert open_page != closed_page
    with renders(app) as rendered:
        visit(app, seed, query_string={"page": 2})
        visit(app, seed, query_string={"page": 2})
        visit(app, seed)
    assert len(rendered) == 1


def test_readers_moderators_and_sessions_get_their_own_rendering(app, seed, page_reader):
    add_readers(app, seed, [{COOP: 50}] * 6)
    assert page_reader.forecast({COOP: 70}).status_code == 303
    headers = moderator_headers(app)
    with renders(app) as rendered:
        for _ in range(2):
            page_reader.client.get(f"/q/{seed}/results")  # their own number on the charts
            app.test_client().get(f"/q/{seed}/results", headers=headers)
    assert len(rendered) == 4
    mine = page_reader.client.get(f"/q/{seed}/results").text
    assert "You" in mine or "you" in mine
    assert mine != visit(app, seed)


def test_a_page_with_a_lagging_recency_median_is_not_kept(app, seed, clock):
    app.config["AGGREGATE_CACHE_SECONDS"] = 60
    add_readers(app, seed, [{COOP: 10}, {COOP: 20}, {COOP: 30}] * 2)
    close(app, seed)
    visit(app, seed)
    clock.shift(1)
    add_readers(app, seed, [{COOP: 90}] * 4)
    with renders(app) as rendered:
        lagging = visit(app, seed)
        visit(app, seed)
    assert "they are being brought up to date" in lagging
    assert len(rendered) == 2
