"""Actions for the comment tests: readers who comment through the API, and a moderator's hand
on the database (the moderation UI lives elsewhere; here we set statuses directly)."""

import secrets
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from predictions.core.pseudonyms import token_hash
from predictions.extensions import db
from predictions.models import Comment, ModerationAction, Moderator, Question, Reader
from predictions.services import questions, readers

SLUG = "us-russia-relations"


class Commenter:
    """A reader using the comments API with a bearer token."""

    def __init__(self, app: Flask, client: FlaskClient, token: str | None = None, slug=SLUG):
        self.app = app
        self.client = client
        self.token = token
        self.slug = slug

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    @property
    def reader_id(self) -> str:
        with self.app.app_context():
            return readers.by_token(self.token).id

    def post(self, body: str, **extra):
        response = self.client.post(
            f"/api/v1/questions/{self.slug}/comments",
            json={"body": body, **extra},
            headers=self.headers,
        )
        if response.status_code in (201, 202) and "reader_token" in response.json:
            self.token = response.json["reader_token"]
        return response

    def forecast(self, probabilities: dict[str, int], **extra):
        response = self.client.post(
            f"/api/v1/questions/{self.slug}/forecasts",
            json={"probabilities": probabilities, **extra},
            headers=self.headers,
        )
        if response.status_code == 201 and "reader_token" in response.json:
            self.token = response.json["reader_token"]
        return response

    def list(self, **params):
        return self.client.get(
            f"/api/v1/questions/{self.slug}/comments", query_string=params, headers=self.headers
        )

    def edit(self, comment_id: int, body: str):
        return self.client.patch(
            f"/api/v1/comments/{comment_id}", json={"body": body}, headers=self.headers
        )

    def delete(self, comment_id: int):
        return self.client.delete(f"/api/v1/comments/{comment_id}", headers=self.headers)

    def flag(self, comment_id: int, reason: str = "spam", **extra):
        response = self.client.post(
            f"/api/v1/comments/{comment_id}/flags",
            json={"reason": reason, **extra},
            headers=self.headers,
        )
        if response.status_code == 201 and "reader_token" in response.json:
            self.token = response.json["reader_token"]
        return response


def new_commenter(app: Flask, display_name: str | None = None, **reader_fields) -> Commenter:
    """A reader created in the database, with a token and a client of their own."""
    with app.app_context():
        reader, token = readers.create_reader(None, display_name)
        for name, value in reader_fields.items():
            setattr(reader, name, value)
        db.session.commit()
    return Commenter(app, app.test_client(), token)


def trusted_commenter(app: Flask, display_name: str | None = None) -> Commenter:
    """A reader with two approved comments: the pipeline no longer holds them as new."""
    commenter = new_commenter(app, display_name)
    for n in range(2):
        add_comment(app, commenter.reader_id, f"earlier approved comment {n}", status="approved")
    return commenter


def add_comment(
    app: Flask,
    reader_id: str,
    body: str,
    status: str = "approved",
    parent_id: int | None = None,
    created_at: datetime | None = None,
    slug: str = SLUG,
    snapshot: dict | None = None,
) -> int:
    """A comment written straight into the database."""
    with app.app_context():
        question = questions.get_by_slug(slug)
        comment = Comment(
            question_id=question.id,
            reader_id=reader_id,
            parent_id=parent_id,
            body=body,
            display_name=db.session.get(Reader, reader_id).display_name,
            status=status,
            reasons=[],
            forecast_snapshot=snapshot or {},
            created_at=created_at or datetime.now(UTC),
        )
        db.session.add(comment)
        db.session.commit()
        return comment.id


def set_status(app: Flask, comment_id: int, status: str) -> None:
    """A moderator's decision, taken directly."""
    with app.app_context():
        db.session.get(Comment, comment_id).status = status
        db.session.commit()


def comment(app: Flask, comment_id: int) -> Comment:
    with app.app_context():
        row = db.session.get(Comment, comment_id)
        db.session.expunge(row)
        return row


def age(app: Flask, comment_id: int, minutes: float) -> None:
    """Move a comment's creation back in time."""
    with app.app_context():
        row = db.session.get(Comment, comment_id)
        row.created_at = row.created_at - timedelta(minutes=minutes)
        db.session.commit()


def set_moderation_mode(app: Flask, mode: str, slug: str = SLUG) -> None:
    with app.app_context():
        questions.get_by_slug(slug).moderation_mode = mode
        db.session.commit()


def close_question(app: Flask, slug: str = SLUG) -> None:
    with app.app_context():
        questions.get_by_slug(slug).status = "closed"
        db.session.commit()


def actions_for(app: Flask, comment_id: int) -> list[tuple]:
    """(action, moderator_id, from, to, reason) of a comment's audit rows, oldest first."""
    with app.app_context():
        rows = db.session.scalars(
            db.select(ModerationAction)
            .filter_by(comment_id=comment_id)
            .order_by(ModerationAction.id)
        )
        return [(r.action, r.moderator_id, r.from_status, r.to_status, r.reason) for r in rows]


def moderator_token(app: Flask) -> str:
    """A moderator's personal API token."""
    token = "mod_" + secrets.token_urlsafe(24)
    with app.app_context():
        db.session.add(Moderator(name="mia", password_hash="x", api_token_hash=token_hash(token)))
        db.session.commit()
    return token


def question_id(app: Flask, slug: str = SLUG) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Question.id).filter_by(slug=slug))
