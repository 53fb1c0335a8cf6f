"""Moderation (login required): the queues and decisions, readers, word lists, questions."""

from flask import Flask

from . import questions, queue, tools


def init_app(app: Flask) -> None:
    for section in (queue, tools, questions):
        app.register_blueprint(section.bp)
