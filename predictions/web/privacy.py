"""A reader's own data: download it as JSON or delete it, from /me or through the API."""

import json

from flask import Blueprint, Response, flash, redirect, render_template, session, url_for
from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint
from flask_smorest import abort as api_abort

from ..extensions import csrf, db
from ..forms import EraseForm
from ..schemas import ExportSchema
from ..services import reader_data
from .api import check_body_and_csrf
from .identity import SESSION_KEY, current_reader

bp = Blueprint("privacy", __name__)
blp = ApiBlueprint("privacy_api", __name__, url_prefix="/api/v1", description="Your own data")
blp.before_request(check_body_and_csrf)
csrf.exempt(blp)  # checked in check_body_and_csrf, where bearer clients are told apart

EXPORT_SCHEMA = ExportSchema()
EXPORT_FILENAME = "predictions-my-data.json"


@bp.app_context_processor
def privacy_helpers() -> dict:
    return {"erase_form": lambda: EraseForm(prefix="erase", formdata=None)}


@bp.get("/me/export.json")
def export():
    """Everything we hold about the reader, as a JSON download."""
    document = EXPORT_SCHEMA.dump(reader_data.export(current_reader()))
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{EXPORT_FILENAME}"'},
    )


@bp.route("/me/delete", methods=["GET", "POST"])
def erase():
    """Delete the reader's data after they confirm."""
    reader = current_reader()
    form = EraseForm(prefix="erase")
    if reader is None:
        flash("There is nothing stored for you in this browser.", "info")
        return redirect(url_for("pages.me"), code=303)
    if form.validate_on_submit():
        reader_data.erase(reader)
        db.session.commit()
        session.pop(SESSION_KEY, None)
        flash("Your data is deleted. This browser is no longer linked to it.", "success")
        return redirect(url_for("pages.me"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("privacy/delete.html", form=form), status


@blp.route("/me/export")
class MyData(MethodView):
    @blp.response(200, ExportSchema)
    def get(self):
        """Everything we hold about the reader: record, forecasts, comments, flags."""
        reader = current_reader()
        if reader is None:
            api_abort(401, message="Send your reader token (or session cookie).")
        return reader_data.export(reader)


@blp.route("/me")
class Me(MethodView):
    @blp.response(204)
    def delete(self):
        """Delete the reader's data: comments, standing forecasts, name and token."""
        reader = current_reader()
        if reader is None:
            api_abort(401, message="Send your reader token (or session cookie).")
        reader_data.erase(reader)
        db.session.commit()
        session.pop(SESSION_KEY, None)
