"""One way to write: reads never write, the forecast service answers with what it stored, and
where the answer's reads go is decided by committed() alone."""

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta

import pytest

from predictions.errors import DomainError
from predictions.extensions import db
from predictions.models import Forecast
from predictions.services import questions, readers, submissions
from predictions.web import writes

from ..conftest import write_statements
from .crowd_helpers import add_readers, close, moderator_headers

EU, COOP = "us-eu-strain", "us-russia-cooperation"
READS = [
    "/",
    "/q/{slug}",
    "/q/{slug}/results",
    "/q/{slug}/results.csv",
    "/q/{slug}/history.csv",
    "/q/{slug}/feed.atom",
    "/feed.atom",
    "/me",
    "/api/v1/questions/{slug}",
    "/api/v1/questions/{slug}/aggregate",
    "/api/v1/questions/{slug}/aggregate/history",
    "/api/v1/questions/{slug}/comments",
    "/api/v1/moderation/comments",
]


@pytest.mark.parametrize("path", READS)
def test_a_read_sends_no_write_to_the_database(app, client, seed, path):
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    add_readers(app, seed, [{COOP: 20}, {COOP: 60, EU: 35}], start=three_days_ago)
    close(app, seed)  # the crowd is public: the history's past days are computed on this read
    headers = moderator_headers(app)
    with write_statements(app) as writes_seen:
        response = client.get(path.format(slug=seed), headers=headers)
    assert response.status_code == 200
    assert writes_seen == []


def test_the_forecast_service_answers_with_what_it_stored(app, seed):
    with app.app_context():
        question = questions.get_by_slug(seed)
        newcomer = readers.visitor(None)
        first = submissions.submit_forecast(
            question, newcomer, {EU: 40}, "Tariffs loom.", "Ana", "ip-hash"
        )
        db.session.commit()
        assert first.reader.id == newcomer.id  # the id the limits counted
        assert first.token and readers.by_token(first.token) is first.reader
        assert first.reader.display_name == "Ana"
        assert {k: f.percent for k, f in first.active.items()} == {EU: 40}
        assert first.comment.forecast_snapshot == {EU: 40}
        with pytest.raises(FrozenInstanceError):
            first.token = None

        returning = readers.visitor(first.reader)
        again = submissions.submit_forecast(question, returning, {EU: 55, COOP: 20}, None, "", "ip")
        db.session.commit()
        assert (again.reader, again.token, again.comment) == (first.reader, None, None)
        assert again.reader.display_name == "Ana"  # an empty name keeps the old one
        assert {k: f.percent for k, f in again.active.items()} == {EU: 55, COOP: 20}
        standing = db.session.scalars(
            db.select(Forecast.percent).where(Forecast.ended_at.is_(None)).order_by(Forecast.id)
        ).all()
        assert standing == [55, 20]


def test_a_refused_comment_refuses_the_forecast_and_names_the_comment_field(app, seed):
    with app.app_context():
        question = questions.get_by_slug(seed)
        with pytest.raises(DomainError) as refused:
            submissions.check_forecast(question, {EU: 40}, "\u2800")
        assert refused.value.errors == {"comment": ["The comment is empty."]}
        with pytest.raises(DomainError) as refused_again:
            newcomer = readers.visitor(None)
            submissions.submit_forecast(question, newcomer, {EU: 40}, "\u2800", None, "")
        assert refused_again.value.errors == refused.value.errors


def test_committed_builds_the_answer_after_the_commit_only_where_writers_queue(app, monkeypatch):
    steps: list[str] = []
    real_commit = writes._commit_keeping_rows
    monkeypatch.setattr(
        writes, "_commit_keeping_rows", lambda: steps.append("commit") or real_commit()
    )
    with app.test_request_context(method="POST"):
        answer = writes.committed(
            lambda: steps.append("work") or "stored",
            then=lambda stored: steps.append("then") or f"answer to {stored}",
        )
        sqlite = writes.one_writer_at_a_time()
    assert answer == "answer to stored"
    assert steps == (["work", "commit", "then"] if sqlite else ["work", "then", "commit"])
