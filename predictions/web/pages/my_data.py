"""A reader's own data on the pages: download it as JSON or delete it, from /me."""

import json

from flask import Blueprint, Response, flash, redirect, render_template, session, url_for

from ...services import reader_data
from ..api.schemas import ExportSchema
from ..identity import SESSION_KEY, current_reader
from ..writes import committed
from .forms import EraseForm

bp = Blueprint("privacy", __name__)

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
        committed(lambda: reader_data.erase(reader))
        session.pop(SESSION_KEY, None)
        flash("Your data is deleted. This browser is no longer linked to it.", "success")
        return redirect(url_for("pages.me"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("privacy/delete.html", form=form), status
