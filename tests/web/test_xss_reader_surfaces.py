"""The XSS corpus through every reader surface of comments: create, edit, reply and display
name, by API and by form; the question page, the retry page, /me and the JSON never carry it
unescaped."""

from html.parser import HTMLParser
from pathlib import Path

import pytest

from predictions.core.rendering import LINK_REL, clean_text
from predictions.core.validation import COMMENT_MAX, DISPLAY_NAME_MAX
from predictions.extensions import db
from predictions.models import Comment

from .commenting import SLUG, add_comment, new_commenter

CORPUS = Path(__file__).resolve().parent.parent / "xss_payloads.txt"
PAYLOADS = [
    line.encode("ascii").decode("unicode_escape")
    for line in CORPUS.read_text(encoding="ascii").splitlines()
    if line.strip() and not line.startswith("#")
]
VOID = {"br", "input", "img", "meta", "link", "hr", "area", "base", "col", "embed", "source"}


def storable(text: str, limit: int = COMMENT_MAX) -> bool:
    return len(text) <= limit and bool(clean_text(text).strip())


class PageAudit(HTMLParser):
    """What would run or navigate: scripts, event handlers, and what comment bodies hold."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.body_depth = 0
        self.bodies = 0
        self.links = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        # Our own scripts are files under /static/ (CSP: script-src 'self'); nothing else.
        if tag == "script" and not (attributes.get("src") or "").startswith("/static/"):
            self.problems.append("script tag")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            dangerous = ("javascript:", "data:", "vbscript:")
            if name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith(dangerous):
                self.problems.append(f"{name}={value!r}")
        if self.body_depth:
            if tag == "a":
                self.links += 1
                href = attributes.get("href") or ""
                if not href.startswith(("http://", "https://")):
                    self.problems.append(f"link to {href!r} in a comment")
                if attributes.get("rel") != LINK_REL:
                    self.problems.append(f"link without rel in a comment: {attributes}")
            elif tag != "br":
                self.problems.append(f"<{tag}> inside a comment body")
            if tag not in VOID:
                self.body_depth += 1
        elif "comment-body" in (attributes.get("class") or "").split():
            self.body_depth = 1
            self.bodies += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.body_depth and tag not in VOID:
            self.body_depth -= 1

    def handle_endtag(self, tag):
        if self.body_depth:
            self.body_depth -= 1


def audit(response) -> PageAudit:
    assert response.content_type.startswith("text/html")
    parser = PageAudit()
    parser.feed(response.get_data(as_text=True))
    parser.close()
    assert parser.problems == []
    return parser


def approve_all(app) -> None:
    with app.app_context():
        db.session.execute(db.update(Comment).values(status="approved"))
        db.session.commit()


@pytest.fixture
def big_pages(app, seed):
    app.config["COMMENT_PAGE_SIZE"] = 1000
    return seed


def test_payloads_posted_through_the_api_are_stored_cleaned_and_shown_escaped(app, big_pages):
    author = new_commenter(app)
    expected = []
    for payload in PAYLOADS:
        response = author.post(payload)
        if not storable(payload):
            assert response.status_code == 422
            continue
        assert response.status_code in (201, 202), payload
        assert response.content_type == "application/json"
        assert response.json["body"] == clean_text(payload).strip()
        expected.append(response.json["body"])
    approve_all(app)
    page = audit(app.test_client().get(f"/q/{SLUG}"))
    assert page.bodies == len(expected)
    listed = author.list().json["items"]
    assert sorted(item["body"] for item in listed) == sorted(expected)
    audit(author.client.get("/me", headers=author.headers))


def test_payloads_as_edits_are_shown_escaped(app, big_pages):
    author = new_commenter(app)
    for n, payload in enumerate(PAYLOADS):
        comment_id = author.post(f"placeholder {n}").json["id"]
        response = author.edit(comment_id, payload)
        if not storable(payload):
            assert response.status_code == 422
            continue
        assert response.status_code == 200, payload
        assert response.json["body"] == clean_text(payload).strip()
    approve_all(app)
    audit(app.test_client().get(f"/q/{SLUG}"))


def test_payloads_as_replies_are_shown_escaped(app, big_pages):
    parent = add_comment(app, new_commenter(app).reader_id, "Reply to me")
    author = new_commenter(app)
    for payload in PAYLOADS:
        response = author.post(payload, parent_id=parent)
        assert response.status_code in ((201, 202) if storable(payload) else (422,))
    approve_all(app)
    page = audit(app.test_client().get(f"/q/{SLUG}"))
    assert page.bodies == 1 + sum(storable(p) for p in PAYLOADS)


def test_payloads_as_display_names_are_shown_escaped(app, big_pages):
    names = [p for p in PAYLOADS if len(p) <= DISPLAY_NAME_MAX]
    assert len(names) > 20
    for n, name in enumerate(names):
        author = new_commenter(app)
        response = author.post(f"comment {n}", display_name=name)
        assert response.status_code == 202
        assert response.json["display_name"] == (clean_text(name).strip() or None)
    approve_all(app)
    html = app.test_client().get(f"/q/{SLUG}")
    audit(html)
    assert "<script>" not in html.get_data(as_text=True)


def test_payloads_through_the_page_forms_and_retry_page_are_escaped(app, client, big_pages):
    for payload in PAYLOADS:
        data = {"c-body": payload, "c-display_name": payload[:DISPLAY_NAME_MAX]}
        response = client.post(f"/q/{SLUG}/comments", data=data)
        if not storable(payload):
            assert response.status_code == 422
            audit(response)
        else:
            assert response.status_code == 303, payload
        # A name that is too long brings the form back with the payload in the textarea.
        retry = client.post(f"/q/{SLUG}/comments", data={**data, "c-display_name": "n" * 41})
        assert retry.status_code == 422
        audit(retry)
    audit(client.get(f"/q/{SLUG}"))  # the reader's own comments, awaiting review
    audit(client.get("/me"))
    approve_all(app)
    audit(app.test_client().get(f"/q/{SLUG}"))


def test_payloads_in_the_data_export_are_json_not_html(app, client, big_pages):
    for payload in PAYLOADS[:20]:
        client.post(f"/q/{SLUG}/comments", data={"c-body": payload})
    response = client.get("/me/export.json")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    bodies = {c["body"] for c in response.json["comments"]}
    assert bodies == {clean_text(p).strip() for p in PAYLOADS[:20] if storable(p)}
