"""The JSON API under /api/v1: a blueprint per resource, documented by OpenAPI."""

from flask import Flask

from ..errors import PredictionsApi
from . import aggregates, comments, forecasts, me, moderation, questions, scores

RESOURCES = (questions, forecasts, aggregates, scores, comments, me, moderation)


def init_app(app: Flask) -> None:
    api = PredictionsApi(app)
    app.extensions["predictions_api"] = api
    for resource in RESOURCES:
        api.register_blueprint(resource.blp)
