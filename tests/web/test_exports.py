"""The moderators' CSV exports: anonymised forecasts and comments, safe in a spreadsheet."""

import csv
import io

import pytest

from predictions.core.csv_export import FORMULA_STARTS
from predictions.extensions import db
from predictions.services import forecasts, questions, readers

from ..conftest import make_comment

FORECASTS = "/api/v1/questions/us-russia-relations/export.csv"
COMMENTS = "/api/v1/questions/us-russia-relations/comments.csv"


@pytest.fixture
def get(client, moderator_token):
    def get(path: str):
        return client.get(path, headers={"Authorization": f"Bearer {moderator_token}"})

    return get


def rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def reader_forecasting(app, *steps: dict[str, int]) -> str:
    with app.app_context():
        reader, _token = readers.create_reader("ip")
        question = questions.get_by_slug("us-russia-relations")
        for probabilities in steps:
            forecasts.submit(question, reader, probabilities)
        db.session.commit()
        return reader.id


def test_forecast_export_is_anonymised_and_keeps_history(app, get):
    alice = reader_forecasting(app, {"us-eu-strain": 60}, {"us-eu-strain": 65})
    bob = reader_forecasting(app, {"global-instability": 80})
    response = get(FORECASTS)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="us-russia-relations-forecasts.csv"'
    )
    assert response.cache_control.no_store and response.cache_control.private
    body = response.get_data(as_text=True)
    assert body.splitlines()[0] == "reader,scenario,percent,created_at,ended_at,reader_banned"
    assert alice not in body and bob not in body
    table = rows(response)
    assert [(r["scenario"], r["percent"]) for r in table] == [
        ("us-eu-strain", "60"),
        ("us-eu-strain", "65"),
        ("global-instability", "80"),
    ]
    assert table[0]["reader"] == table[1]["reader"] != table[2]["reader"]
    assert table[0]["ended_at"] and not table[1]["ended_at"]
    assert {r["reader_banned"] for r in table} == {"false"}
    assert rows(get(FORECASTS))[0]["reader"] == table[0]["reader"]  # stable across exports


def test_exports_use_the_same_pseudonym_for_a_reader(app, get):
    reader_id = reader_forecasting(app, {"us-eu-strain": 60})
    make_comment(app, "Because of the summit.", status="approved", reader_id=reader_id)
    (forecast,) = rows(get(FORECASTS))
    (comment,) = rows(get(COMMENTS))
    assert forecast["reader"] == comment["reader"]


def test_comment_export_lists_every_comment_but_deleted_ones(app, get):
    kept, reader_id = make_comment(app, "Line one\nline two, with a comma", status="approved")
    make_comment(app, "Awaiting review", reader_id=reader_id, reasons=["premoderation"])
    make_comment(app, "Deleted by its author", status="deleted", reader_id=reader_id)
    response = get(COMMENTS)
    assert response.status_code == 200
    table = rows(response)
    assert [r["body"] for r in table] == ["Line one\nline two, with a comma", "Awaiting review"]
    assert [r["status"] for r in table] == ["approved", "pending"]
    assert table[0]["id"] == str(kept)
    assert table[1]["reasons"] == "premoderation"
    assert reader_id not in response.get_data(as_text=True)


def test_cells_that_look_like_formulas_are_defused(app, get):
    bodies = ['=HYPERLINK("http://evil.example")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    for body in bodies:
        make_comment(app, body, display_name="=cmd|' /C calc'!A0")
    table = rows(get(COMMENTS))
    assert [r["body"] for r in table] == ["'" + b for b in bodies]
    for row in table:
        assert row["display_name"] == "'=cmd|' /C calc'!A0"
        for cell in row.values():
            assert not cell.startswith(FORMULA_STARTS)


def test_exports_are_for_moderators_only(app, client, api_reader, seed):
    api_reader.forecast({"us-eu-strain": 60})
    for path in (FORECASTS, COMMENTS):
        assert client.get(path).status_code == 401
        assert api_reader.client.get(path, headers=api_reader.headers).status_code == 401


def test_moderator_session_can_export(moderator):
    response = moderator.client.get(FORECASTS)
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("reader,")


def test_export_of_an_unknown_question_is_404(get):
    assert get("/api/v1/questions/nope/export.csv").status_code == 404
    assert get("/api/v1/questions/nope/comments.csv").status_code == 404
