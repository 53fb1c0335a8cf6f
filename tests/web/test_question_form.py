"""The editors' question form and the question's TOML file: the same rules, the same messages."""

import html
import io
import re
import tomllib
from datetime import UTC, datetime

import pytest
import tomli_w

from predictions.core.question_file import COUNT_MESSAGE, QuestionFileError, parse_question
from predictions.extensions import db
from predictions.models import ModerationAction
from predictions.services import questions
from predictions.services.questions import SCENARIOS_LOCKED

from ..conftest import MODERATOR_PASSWORD, SEED_SLUG, make_moderator, table_counts

NEW = "/moderation/questions/new"
EDIT = f"/moderation/questions/{SEED_SLUG}/edit"


def seed_data() -> dict:
    return tomllib.loads(questions.seed_text())


def local(moment) -> str:
    """A TOML date or datetime as the form's datetime-local text (the tests' newsroom is UTC)."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def form_fields(data: dict) -> dict:
    """What a browser posts for the question `data` (the TOML's shape) typed into the form."""
    fields = {
        "title": data.get("title", ""),
        "slug": data.get("slug", ""),
        "source_name": data.get("source", {}).get("name", ""),
        "source_url": data.get("source", {}).get("url", ""),
        "summary": data.get("summary", ""),
        "closing_question": data.get("closing_question", ""),
        "article_urls": "\n".join(data.get("article_urls", [])),
        "moderation": data.get("moderation", "pre"),
        "opens_at": local(data["opens_at"]) if data.get("opens_at") else "",
        "closes_at": local(data["closes_at"]) if data.get("closes_at") else "",
    }
    for i, item in enumerate(data.get("faq", [])):
        fields |= {f"faq-{i}-question": item["question"], f"faq-{i}-answer": item["answer"]}
    for i, item in enumerate(data.get("scenarios", [])):
        for name in ("label", "key", "baseline", "impact", "resolution"):
            fields[f"scenarios-{i}-{name}"] = str(item.get(name, ""))
    return fields


def shown_errors(page: str) -> list[tuple[str, str]]:
    """(field id, message) of every message shown beside a field, and the scenarios' own."""
    beside = re.findall(r'<p class="error" id="([^"]+)-error">([^<]*)</p>', page)
    found = [(field_id, html.unescape(message)) for field_id, message in beside]
    found += [
        ("scenarios", html.unescape(message))
        for message in re.findall(r'<p class="error">([^<]*)</p>', page)
    ]
    return sorted(found)


def form_id(path: str) -> str:
    """The form field's id for a problem's path in the file (`scenarios[1].key`)."""
    path = re.sub(r"\[(\d+)\]\.", r"-\1-", path)
    return {"source.url": "source_url", "source.name": "source_name"}.get(path, path)


def last_audit() -> tuple[str, str]:
    row = db.session.scalars(db.select(ModerationAction).order_by(ModerationAction.id.desc()))
    first = row.first()
    return first.action, first.note


# ---- creating and editing


def test_the_questions_page_links_to_new_edit_and_the_file(editor):
    page = editor.client.get("/moderation/questions").get_data(as_text=True)
    assert f'href="{NEW}"' in page
    assert f'href="{EDIT}"' in page
    assert f'href="/moderation/questions/{SEED_SLUG}.toml"' in page
    assert 'enctype="multipart/form-data"' in page


def test_a_new_question_is_created_and_stored(app, editor):
    assert editor.client.get(NEW).status_code == 200
    data = seed_data()
    data |= {"slug": "", "title": "Will the summit take place?", "opens_at": None}
    data["scenarios"][0]["key"] = ""  # derived from the label
    response = editor.client.post(NEW, data=form_fields(data))
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/questions#q-will-the-summit-take-place"
    with app.app_context():
        question = questions.get_by_slug("will-the-summit-take-place", drafts=True)
        assert question.title == "Will the summit take place?"
        assert question.published_at is None  # a draft until an editor publishes it
        assert [s.key for s in question.scenarios] == [
            "increased-us-russia-cooperation",
            "us-eu-strain",
            "global-instability",
        ]
        assert [s.baseline for s in question.scenarios] == [40, 60, 80]
        assert len(question.faq) == 4
        assert last_audit() == ("question_create", "will-the-summit-take-place")


@pytest.mark.parametrize("app_config", [{"NEWSROOM_TIMEZONE": "Europe/Berlin"}])
def test_times_are_typed_in_the_newsroom_zone_and_stored_in_utc(app, app_config, editor):
    data = seed_data() | {"slug": "later", "title": "Later?"}
    fields = form_fields(data) | {"opens_at": "2027-03-12T09:30", "closes_at": ""}
    assert editor.client.post(NEW, data=fields).status_code == 303
    with app.app_context():
        opens_at = questions.get_by_slug("later", drafts=True).opens_at
        assert opens_at == datetime(2027, 3, 12, 8, 30, tzinfo=UTC)
    page = editor.client.get("/moderation/questions/later/edit").get_data(as_text=True)
    assert 'value="2027-03-12T09:30"' in page
    assert "Newsroom time (Europe/Berlin)" in page


def test_the_edit_form_is_filled_in_from_the_stored_question(editor):
    page = editor.client.get(EDIT).get_data(as_text=True)
    assert 'value="Strained US-EU Relations"' in page
    assert 'value="us-eu-strain"' in page
    assert 'value="60"' in page
    assert "What role will Hungary play in future negotiations?" in page
    assert SCENARIOS_LOCKED not in page  # nobody has forecast yet


def test_a_typo_in_a_label_is_fixed_after_readers_forecast(app, page_reader, editor):
    assert page_reader.forecast({"us-eu-strain": 55}).status_code == 303
    data = seed_data()
    data["scenarios"][1]["label"] = "Strained US–EU Relations"
    response = editor.client.post(EDIT, data=form_fields(data))
    assert response.status_code == 303
    with app.app_context():
        question = questions.get_by_slug(SEED_SLUG)
        assert question.scenario("us-eu-strain").label == "Strained US–EU Relations"
        assert last_audit() == ("question_edit", f"{SEED_SLUG}: scenarios.us-eu-strain.label")


def test_after_a_forecast_the_form_says_why_keys_and_baselines_are_locked(page_reader, editor):
    assert page_reader.forecast({"us-eu-strain": 55}).status_code == 303
    page = editor.client.get(EDIT).get_data(as_text=True)
    assert html.escape(SCENARIOS_LOCKED) in page or SCENARIOS_LOCKED in html.unescape(page)
    for i in range(3):
        key_input = re.search(rf'<input[^>]*id="scenarios-{i}-key"[^>]*>', page).group(0)
        baseline_input = re.search(rf'<input[^>]*id="scenarios-{i}-baseline"[^>]*>', page).group(0)
        assert " readonly" in key_input and " readonly" in baseline_input
    assert 'value="remove-scenarios-' not in page
    assert 'value="add-scenarios"' in page  # a new scenario can still be added


def test_a_changed_baseline_posted_anyway_is_refused_with_the_reason(app, page_reader, editor):
    assert page_reader.forecast({"us-eu-strain": 55}).status_code == 303
    data = seed_data()
    data["scenarios"][1]["baseline"] = 61
    data["title"] = "Changed too"
    before = table_counts(app)
    response = editor.client.post(EDIT, data=form_fields(data))
    assert response.status_code == 422
    assert ("scenarios", SCENARIOS_LOCKED) in shown_errors(response.get_data(as_text=True))
    assert table_counts(app) == before
    with app.app_context():
        question = questions.get_by_slug(SEED_SLUG)
        assert question.scenario("us-eu-strain").baseline == 60
        assert question.title != "Changed too"


def test_a_taken_slug_shows_beside_the_slug(editor):
    data = seed_data() | {"title": "Another"}
    response = editor.client.post(NEW, data=form_fields(data))
    assert response.status_code == 422
    assert ("slug", f"Another question has the slug {SEED_SLUG!r}.") in shown_errors(
        response.get_data(as_text=True)
    )


# ---- the same mistake gets the same message from the file and from the form


def bad_url(data):
    data["source"]["url"] = "ftp://archyworldys.com/"


def baseline_120(data):
    data["scenarios"][1]["baseline"] = 120


def one_scenario(data):
    del data["scenarios"][1:]


def duplicate_keys(data):
    data["scenarios"][2]["key"] = data["scenarios"][0]["key"]


def closing_before_opening(data):
    data["opens_at"] = datetime(2027, 1, 2, 12, 0, tzinfo=UTC)
    data["closes_at"] = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)


def empty_title_and_answer(data):
    data["title"] = ""
    data["faq"][1]["answer"] = " "


MISTAKES = [
    bad_url,
    baseline_120,
    one_scenario,
    duplicate_keys,
    closing_before_opening,
    empty_title_and_answer,
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.__name__)
def test_the_form_and_the_file_give_the_same_messages(app, editor, mistake):
    data = seed_data() | {"slug": "another-question"}
    mistake(data)
    with pytest.raises(QuestionFileError) as error:
        parse_question(tomli_w.dumps(data))
    from_file = sorted((form_id(p.field), p.message) for p in error.value.details)
    before = table_counts(app)
    response = editor.client.post(NEW, data=form_fields(data))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert shown_errors(page) == from_file
    assert 'class="error-summary"' in page and "Nothing was saved." in page
    assert table_counts(app) == before
    with app.app_context():
        assert questions.get_by_slug("another-question", drafts=True) is None


# ---- rows added, removed and moved without JavaScript


def test_row_buttons_re_render_the_form_and_save_nothing(app, editor):
    fields = form_fields(seed_data() | {"title": "Edited, unsaved"})
    added = editor.client.post(EDIT, data=fields | {"row_action": "add-scenarios"})
    assert added.status_code == 200
    page = added.get_data(as_text=True)
    assert 'id="scenarios-3-label"' in page and 'value="Edited, unsaved"' in page
    moved = editor.client.post(EDIT, data=fields | {"row_action": "up-scenarios-1"})
    moved_page = moved.get_data(as_text=True)
    labels = re.findall(r'id="scenarios-\d-label"[^>]*value="([^"]*)"', moved_page)
    assert labels == [
        "Strained US-EU Relations",
        "Increased US-Russia Cooperation",
        "Continued Global Instability",
    ]
    removed = editor.client.post(EDIT, data=fields | {"row_action": "remove-faq-0"})
    assert "What are the potential implications for Ukraine?" not in removed.get_data(as_text=True)
    with app.app_context():
        assert questions.get_by_slug(SEED_SLUG).title != "Edited, unsaved"


# ---- the question's TOML file, down and up


def test_the_downloaded_file_reads_back_to_the_same_question(app, editor):
    response = editor.client.get(f"/moderation/questions/{SEED_SLUG}.toml")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{SEED_SLUG}.toml"'
    with app.app_context():
        stored = questions.spec_of(questions.get_by_slug(SEED_SLUG))
    assert parse_question(response.get_data(as_text=True)) == stored


def upload(editor, text: str, name: str = "question.toml"):
    file = (io.BytesIO(text.encode()), name)
    return editor.client.post(
        "/moderation/questions/upload", data={"file": file}, content_type="multipart/form-data"
    )


def test_an_uploaded_file_updates_its_question_audited(app, editor):
    text = editor.client.get(f"/moderation/questions/{SEED_SLUG}.toml").get_data(as_text=True)
    changed = text.replace('label = "Strained US-EU Relations"', 'label = "Strained relations"')
    response = upload(editor, changed)
    assert response.status_code == 303
    with app.app_context():
        assert questions.get_by_slug(SEED_SLUG).scenario("us-eu-strain").label == (
            "Strained relations"
        )
        assert last_audit() == ("question_edit", f"{SEED_SLUG}: scenarios.us-eu-strain.label")
    new = changed.replace(f'slug = "{SEED_SLUG}"', 'slug = "uploaded"')
    assert upload(editor, new).status_code == 303
    with app.app_context():
        assert last_audit() == ("question_create", "uploaded")


def test_an_uploaded_file_with_mistakes_lists_each_and_loads_nothing(app, editor):
    data = seed_data() | {"slug": "uploaded"}
    bad_url(data)
    baseline_120(data)
    before = table_counts(app)
    response = upload(editor, tomli_w.dumps(data))
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "<li>source.url: Give an http:// or https:// address.</li>" in page
    assert "<li>scenarios[1].baseline: Enter a whole number of percent from 1 to 99.</li>" in page
    assert table_counts(app) == before
    with app.app_context():
        assert questions.get_by_slug("uploaded", drafts=True) is None


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ('title = "x"', "question.txt", "Upload a .toml file."),
        ("title = ", "question.toml", "file: not valid TOML"),
        ("x" * 40_000, "question.toml", "Upload at most 32 KB."),
    ],
)
def test_an_upload_that_is_no_question_file_is_refused(editor, text, name, message):
    response = upload(editor, text, name)
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))


# ---- who may


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_form_without_its_csrf_token_is_refused(app, app_config, seed):
    make_moderator(app, "eda", role="editor")
    client = app.test_client()
    login = client.get("/moderation/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    data = {"name": "eda", "password": MODERATOR_PASSWORD, "csrf_token": token}
    assert client.post("/moderation/login", data=data).status_code == 303
    before = table_counts(app)
    response = client.post(NEW, data=form_fields(seed_data() | {"slug": "csrf"}))
    assert response.status_code == 400
    assert table_counts(app) == before
    with app.app_context():
        assert questions.get_by_slug("csrf", drafts=True) is None


@pytest.mark.parametrize("path", [NEW, EDIT, f"/moderation/questions/{SEED_SLUG}.toml"])
def test_a_moderator_without_the_editor_role_gets_403(moderator, path):
    assert moderator.client.get(path).status_code == 403
    assert moderator.client.post(NEW, data=form_fields(seed_data())).status_code == 403



def test_a_post_with_too_many_scenarios_is_refused_not_cut_short(app, editor):
    """The buttons stop at ten rows; a post with eleven gets the file's message, and no row is
    silently dropped."""
    data = seed_data() | {"slug": "eleven", "title": "Eleven scenarios"}
    data["scenarios"] = [
        {"label": f"Scenario {i}", "baseline": 50, "resolution": "Yes if it happens."}
        for i in range(11)
    ]
    response = editor.client.post(NEW, data=form_fields(data))
    assert response.status_code == 422
    assert ("scenarios", COUNT_MESSAGE) in shown_errors(response.get_data(as_text=True))
    with app.app_context():
        assert questions.get_by_slug("eleven", drafts=True) is None
