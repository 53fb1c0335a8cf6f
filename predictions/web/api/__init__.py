"""The JSON API under /api/v1: a blueprint per resource, documented by OpenAPI."""

from flask import Flask

from ..errors import PredictionsApi
from . import aggregates, comments, forecasts, me, moderation, questions, scores
from .reference import ReferencePlugin, finish_document

RESOURCES = (questions, forecasts, aggregates, scores, comments, me, moderation)


def init_app(app: Flask) -> None:
    api = PredictionsApi(app)
    api.spec.plugins.append(ReferencePlugin())
    app.extensions["predictions_api"] = api
    for resource in RESOURCES:
        api.register_blueprint(resource.blp)
    finish_document(api.spec)
