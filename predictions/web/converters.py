"""URL converters shared by every blueprint."""

from flask import Flask
from werkzeug.routing import IntegerConverter

# Primary keys are 32-bit integers on PostgreSQL; larger path ids can name no row.
MAX_DATABASE_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """<int:…> that refuses what no row can have (404), instead of overflowing the driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DATABASE_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter
