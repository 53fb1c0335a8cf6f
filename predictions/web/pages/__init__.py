"""The public pages: questions with their forecast form, comments, results, the reader's own."""

from flask import Flask

from . import comments, embed, feeds, my_data, previews, questions, results


def init_app(app: Flask) -> None:
    for page in (questions, comments, my_data, results, embed, previews, feeds):
        app.register_blueprint(page.bp)
