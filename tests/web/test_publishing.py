"""Draft, preview, publish: a draft is seen by editors only, on every route; publishing opens it
now or at its opening time; the status follows the clock and reads "closes in 3 days"."""

import re
import tomllib
from datetime import timedelta

import pytest

from predictions.core.question_file import spec_from_data
from predictions.extensions import db
from predictions.models import ModerationAction, utcnow
from predictions.services import moderators, questions

from ..conftest import SEED_SLUG, ModeratorActions, make_moderator, make_test_app

DRAFT = "a-draft-question"
DRAFT_ARTICLE = "https://news.example/2026/draft-article"


def make_draft(app, slug: str = DRAFT, **changes) -> str:
    """A question created through the editors' service: a draft (as the form creates them)."""
    data = tomllib.loads(questions.seed_text())
    data.update(slug=slug, title="A draft question?", article_urls=[DRAFT_ARTICLE], **changes)
    with app.app_context():
        author = moderators.by_name("drafter")
        if author is None:
            make_moderator(app, "drafter", role="editor")
            author = moderators.by_name("drafter")
        questions.save_from_editor(spec_from_data(data), author)
        db.session.commit()
    return slug


def stored(app, slug: str):
    with app.app_context():
        question = questions.get_by_slug(slug, drafts=True)
        db.session.expunge(question)
        return question


def audit_rows(app, action: str) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(db.select(ModerationAction).filter_by(action=action))
        return [(r.from_status, r.to_status, r.note) for r in rows]


# ---- where drafts come from


def test_the_editors_service_creates_drafts_and_the_cli_publishes_at_once(app, seed):
    make_draft(app)
    assert stored(app, DRAFT).published_at is None
    assert stored(app, DRAFT).public_status == "draft"
    assert stored(app, SEED_SLUG).published_at == utcnow()
    assert stored(app, SEED_SLUG).public_status == "open"


def test_a_draft_is_never_open_whatever_its_times(app, seed):
    make_draft(app)
    question = stored(app, DRAFT)
    assert question.opens_at < utcnow() and question.closes_at is None
    assert not question.is_open()


# ---- every public route answers 404 for a draft


def public_slug_routes() -> list[tuple[str, str]]:
    """(method, rule) of every route outside moderation that names a question by its slug."""
    app = make_test_app("sqlite://")
    found = []
    for rule in app.url_map.iter_rules():
        if "slug" not in rule.arguments or rule.rule.startswith("/moderation"):
            continue
        if rule.endpoint.startswith("moderation_api."):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule))
    return found


SLUG_ROUTES = public_slug_routes()


def concrete(rule: str, slug: str) -> str:
    return rule.replace("<slug>", slug).replace("<int:parent_id>", "1")


# Bodies that pass the API's schemas, so that only the lookup can refuse them.
FORECASTS = "/api/v1/questions/<slug>/forecasts"
API_BODIES = {
    FORECASTS: {"probabilities": {"us-eu-strain": 50}},
    "/api/v1/questions/<slug>/comments": {"body": "A considered comment on the draft."},
}


def request(client, method: str, rule: str, slug: str):
    kwargs = {}
    if rule.startswith("/api/") and method not in ("GET", "DELETE"):
        kwargs["json"] = API_BODIES.get(rule, {})
    return client.open(concrete(rule, slug), method=method, **kwargs)


def test_the_walk_covers_pages_api_embed_and_share_image():
    rules = {rule for _method, rule in SLUG_ROUTES}
    for expected in (
        "/q/<slug>",
        "/q/<slug>/results",
        "/q/<slug>/preview.png",
        "/embed/q/<slug>",
        "/api/v1/questions/<slug>",
        "/api/v1/questions/<slug>/forecasts",
        "/api/v1/questions/<slug>/comments",
    ):
        assert expected in rules


@pytest.mark.parametrize(("method", "rule"), SLUG_ROUTES)
def test_every_public_route_answers_404_for_a_draft(app, client, seed, method, rule):
    make_draft(app)
    response = request(client, method, rule, DRAFT)
    assert response.status_code == 404, response.get_data(as_text=True)[:300]
    if rule.startswith("/api/"):
        assert response.json["code"] == 404


@pytest.mark.parametrize("rule", [rule for method, rule in SLUG_ROUTES if method == "GET"])
def test_the_same_routes_answer_once_it_is_published(app, client, seed, rule, editor):
    make_draft(app)
    with app.app_context():
        questions.publish(questions.get_by_slug(DRAFT, drafts=True), None)
        db.session.commit()
    assert request(client, "GET", rule, DRAFT).status_code != 404


def test_lists_embeds_and_oembed_leave_drafts_out(app, client, seed):
    make_draft(app)
    assert DRAFT not in client.get("/").get_data(as_text=True)
    assert DRAFT not in {q["slug"] for q in client.get("/api/v1/questions").json}
    page_url = f"http://localhost/q/{DRAFT}"
    lookups = [
        ("/embed", DRAFT_ARTICLE),
        ("/oembed", page_url),
        ("/oembed", DRAFT_ARTICLE),
    ]
    for path, url in lookups:
        assert client.get(path, query_string={"url": url}).status_code == 404, path
    with app.app_context():
        questions.publish(questions.get_by_slug(DRAFT, drafts=True), None)
        db.session.commit()
    assert DRAFT in {q["slug"] for q in client.get("/api/v1/questions").json}
    for path, url in lookups:
        assert client.get(path, query_string={"url": url}).status_code == 200, path


def test_an_editor_sees_the_draft_page_with_its_banner_and_no_form(app, editor):
    make_draft(app)
    page = editor.client.get(f"/q/{DRAFT}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Draft — not public." in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'id="forecast"' not in html
    # The list stays the public one, even for an editor.
    assert DRAFT not in editor.client.get("/").get_data(as_text=True)


def test_a_moderator_without_the_editor_role_gets_404(app, moderator):
    make_draft(app)
    assert moderator.client.get(f"/q/{DRAFT}").status_code == 404


def test_an_api_token_never_sees_a_draft(app, seed, moderator_token, editor):
    make_draft(app)
    response = editor.client.get(
        f"/api/v1/questions/{DRAFT}", headers={"Authorization": f"Bearer {moderator_token}"}
    )
    assert response.status_code == 404


# ---- preview and publish


def test_the_preview_shows_the_public_page_as_readers_will_see_it(app, editor):
    make_draft(app)
    page = editor.client.get(f"/moderation/questions/{DRAFT}/preview")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Preview — draft, not public." in html
    assert "A draft question?" in html
    assert 'id="forecast"' in html  # the form readers will get, since it opens on publishing
    assert "moderation/queue" not in html  # the public page's frame, no moderators' navigation
    assert stored(app, DRAFT).published_at is None  # nothing was written


def test_the_preview_of_a_published_question_is_its_public_page(app, editor):
    response = editor.client.get(f"/moderation/questions/{SEED_SLUG}/preview")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/q/{SEED_SLUG}"


def test_publishing_opens_the_draft_now_and_is_audited(app, client, editor):
    make_draft(app)
    listing = editor.client.get("/moderation/questions").get_data(as_text=True)
    assert f"/moderation/questions/{DRAFT}/publish" in listing
    assert f"/moderation/questions/{DRAFT}/preview" in listing
    assert f"/moderation/questions/{SEED_SLUG}/publish" not in listing
    response = editor.client.post(f"/moderation/questions/{DRAFT}/publish")
    assert response.status_code == 303
    assert stored(app, DRAFT).published_at == utcnow()
    assert stored(app, DRAFT).is_open()
    assert client.get(f"/q/{DRAFT}").status_code == 200
    assert audit_rows(app, "question_publish") == [("draft", "open", DRAFT)]
    # Publishing again changes nothing and writes no second row.
    editor.client.post(f"/moderation/questions/{DRAFT}/publish")
    assert len(audit_rows(app, "question_publish")) == 1


def test_a_draft_published_before_its_opening_time_is_scheduled(app, client, clock, editor):
    opens = (utcnow() + timedelta(hours=50)).replace(tzinfo=None)
    make_draft(app, opens_at=opens)
    editor.client.post(f"/moderation/questions/{DRAFT}/publish")
    assert audit_rows(app, "question_publish") == [("draft", "scheduled", DRAFT)]
    page = client.get(f"/q/{DRAFT}").get_data(as_text=True)
    assert "Scheduled" in page and "Opens <time" in page and ">in 2 days</time>" in page
    assert 'id="forecast"' not in page
    refused = client.post(f"/api/v1/questions/{DRAFT}/forecasts", json=API_BODIES[FORECASTS])
    assert refused.status_code == 409
    assert refused.json["message"] == "This question opens for forecasts in 2 days."
    clock.shift(timedelta(hours=50))  # no job runs: the clock alone opens it
    assert 'id="forecast"' in client.get(f"/q/{DRAFT}").get_data(as_text=True)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_the_publish_form_needs_its_csrf_token(app, client, seed, app_config):
    make_draft(app)
    make_moderator(app, "eda", role="editor")
    me = ModeratorActions(client, "eda")
    login_token = csrf_token(client.get("/moderation/login").get_data(as_text=True))
    assert me.login(csrf_token=login_token).status_code == 303
    assert client.post(f"/moderation/questions/{DRAFT}/publish").status_code == 400
    assert stored(app, DRAFT).published_at is None
    token = csrf_token(client.get("/moderation/questions").get_data(as_text=True))
    published = client.post(f"/moderation/questions/{DRAFT}/publish", data={"csrf_token": token})
    assert published.status_code == 303
    assert stored(app, DRAFT).published_at is not None


# ---- the status in words, on / and on the question page


def status_line(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_the_pages_say_when_it_closes_and_when_it_closed(app, client, clock, seed):
    closes = utcnow() + timedelta(days=3)
    with app.app_context():
        question = questions.get_by_slug(SEED_SLUG)
        question.closes_at = closes
        db.session.commit()
    for path in ("/", f"/q/{SEED_SLUG}"):
        html = client.get(path).get_data(as_text=True)
        assert f'<time datetime="{closes.isoformat()}"' in html
        assert "Closes in 3 days" in status_line(html)
    clock.shift(timedelta(days=4))
    for path in ("/", f"/q/{SEED_SLUG}"):
        text = status_line(client.get(path).get_data(as_text=True))
        assert f"Closed on {closes:%-d %B}" in text  # NEWSROOM_TIMEZONE is UTC by default


# ---- the audit log names what happened


def test_closing_and_opening_again_are_filterable_audit_actions(app, editor):
    editor.client.post(f"/moderation/questions/{SEED_SLUG}/status", data={"confirm": "yes"})
    editor.client.post(f"/moderation/questions/{SEED_SLUG}/status")
    assert audit_rows(app, "question_closed") == [("open", "closed", SEED_SLUG)]
    assert audit_rows(app, "question_open") == [("closed", "open", SEED_SLUG)]
    log = editor.client.get("/moderation/audit?action=question_closed").get_data(as_text=True)
    assert '<option selected value="question_closed">' in log or (
        'value="question_closed" selected' in log
    )
    assert "1 entry" in log


def test_the_cli_close_and_open_are_audited_too(app, runner, seed):
    assert runner.invoke(args=["questions", "close", SEED_SLUG]).exit_code == 0
    assert runner.invoke(args=["questions", "open", SEED_SLUG]).exit_code == 0
    assert audit_rows(app, "question_closed") == [("open", "closed", SEED_SLUG)]
    assert audit_rows(app, "question_open") == [("closed", "open", SEED_SLUG)]


def test_a_resolution_row_names_its_scenario(app, editor):
    editor.client.post(
        f"/moderation/questions/{SEED_SLUG}/scenarios/us-eu-strain/resolve",
        data={
            f"{SEED_SLUG}-us-eu-strain-outcome": "yes",
            f"{SEED_SLUG}-us-eu-strain-note": "Done.",
        },
    )
    assert len(audit_rows(app, "resolve")) == 1
    log = editor.client.get("/moderation/audit?action=resolve").get_data(as_text=True)
    assert "<code>us-eu-strain</code>" in log
    assert re.search(r"scenario \d+", status_line(log)) is None


def test_a_draft_offers_no_resolve_form_and_refuses_a_resolution(app, editor):
    make_draft(app)
    page = editor.client.get("/moderation/questions").get_data(as_text=True)
    assert f'action="/moderation/questions/{SEED_SLUG}/scenarios/us-eu-strain/resolve"' in page
    assert f'action="/moderation/questions/{DRAFT}/scenarios/us-eu-strain/resolve"' not in page
    answer = editor.client.post(
        f"/moderation/questions/{DRAFT}/scenarios/us-eu-strain/resolve",
        data={f"{DRAFT}-us-eu-strain-outcome": "yes", f"{DRAFT}-us-eu-strain-note": "Done."},
    )
    assert answer.status_code == 409
    assert stored(app, DRAFT).scenario("us-eu-strain").outcome is None
    assert audit_rows(app, "resolve") == []


def test_the_moderators_page_has_a_status_for_each_question(app, clock, editor):
    opens = (utcnow() + timedelta(hours=5)).replace(tzinfo=None)
    make_draft(app, opens_at=opens)
    closes = utcnow() + timedelta(days=3)
    with app.app_context():
        questions.get_by_slug(SEED_SLUG).closes_at = closes
        db.session.commit()
    text = status_line(editor.client.get("/moderation/questions").get_data(as_text=True))
    assert "Draft Not public: only editors see it. Published now, it would say: Opens in 5" in text
    assert "Open Closes in 3 days" in text
    clock.shift(timedelta(days=3))
    html = editor.client.get("/moderation/questions").get_data(as_text=True)
    assert f"Closed Closed on {closes:%-d %B}" in status_line(html)
    assert "Close to new forecasts" not in html  # the clock closed it already
