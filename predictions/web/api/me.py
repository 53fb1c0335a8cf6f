"""A reader's own data through the API: export it, or delete it."""

from flask import session
from flask.views import MethodView

from ...services import reader_data
from ..identity import SESSION_KEY, reader_or_401
from ..writes import committed
from .base import api_blueprint
from .schemas import ExportSchema

blp = api_blueprint("privacy_api", __name__, "Your own data: download it, or delete it")


@blp.route("/me/export")
class MyData(MethodView):
    @blp.response(200, ExportSchema)
    def get(self):
        """Download your data.

        Everything the site holds about you as a reader: your record, every forecast
        (withdrawn ones included), your comments and your flags, as JSON.
        """
        reader = reader_or_401()
        return reader_data.export(reader)


@blp.route("/me")
class Me(MethodView):
    @blp.response(204)
    def delete(self):
        """Delete your data.

        Deletes your comments, withdraws your standing forecasts, forgets your display
        name and revokes your token. It cannot be undone.
        """
        reader = reader_or_401()
        committed(lambda: reader_data.erase(reader))
        session.pop(SESSION_KEY, None)
