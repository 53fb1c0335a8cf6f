"""Hostile text on the moderators' surfaces: queue, comment, reader, word list and audit pages, CSV.

Every payload of tests/xss_payloads.txt goes in as a comment body, a display name, a moderator's
note and reason, a ban note and a word-list entry; no page may come back with a script or an
event handler it did not have, and no CSV cell may start like a formula.
"""

import csv
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest

from predictions.core.csv_export import FORMULA_STARTS
from predictions.core.moderator_decisions import NOTE_MAX
from predictions.core.rendering import clean_text
from predictions.extensions import db
from predictions.models import Reader

from ..conftest import make_comment

# Stored as the reader's door stores text: as typed, minus control characters (SPEC §7).
PAYLOADS = [
    clean_text(line.encode("ascii").decode("unicode_escape"))
    for line in (Path(__file__).parent.parent / "xss_payloads.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]
OUR_SCRIPTS = [
    [("src", "/static/moderation.js"), ("defer", None)],
    [("src", "/static/confirm.js"), ("defer", None)],
]
# Elements our moderation templates never use: any of them on a page came from user text.
INJECTED_ONLY = {"iframe", "object", "embed", "base", "style", "img", "svg", "math", "frame"}


class ActiveContent(HTMLParser):
    """Collects what a browser would run: script elements, on* attributes, javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.in_script = True
            if attrs not in OUR_SCRIPTS:
                self.problems.append(f"script {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            cleaned = "".join((value or "").split()).lower()
            if name in {"href", "src", "action", "formaction", "xlink:href"} and (
                cleaned.startswith(("javascript:", "data:", "vbscript:"))
            ):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag in INJECTED_ONLY:
            self.problems.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append(f"inline script {data!r}")


def assert_inert(response) -> None:
    assert response.status_code < 500
    parser = ActiveContent()
    parser.feed(response.get_data(as_text=True))
    parser.close()
    assert parser.problems == []


@pytest.fixture
def app_config():
    return {"MODERATION_PAGE_SIZE": 500}


@pytest.fixture
def hostile(app, moderator):
    """Comments, names, flags, notes and word-list entries made of every payload."""
    ids = []
    for payload in PAYLOADS:
        comment_id, reader_id = make_comment(
            app, payload, display_name=payload[:40], reasons=["suspect_word"]
        )
        ids.append((comment_id, reader_id))
        moderator.client.post("/moderation/words", data={"kind": "suspect", "phrase": payload})
    with app.app_context():
        for (_comment_id, reader_id), payload in zip(ids, PAYLOADS, strict=True):
            db.session.get(Reader, reader_id).display_name = payload[:40]
        db.session.commit()
    half = len(ids) // 2
    for (comment_id, _reader), payload in zip(ids[:half], PAYLOADS, strict=False):
        moderator.reject(comment_id, reason="other", note=payload[:NOTE_MAX])
    return ids


def test_payloads_are_stored_as_typed(app, hostile, moderator):
    html = moderator.client.get("/moderation/words").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("queue", ["pending", "rejected"])
def test_queue_pages_stay_inert(hostile, moderator, queue):
    response = moderator.queue(queue)
    assert response.get_data(as_text=True).count('class="card mod-card"') == len(PAYLOADS) // 2 + (
        len(PAYLOADS) % 2 if queue == "pending" else 0
    )
    assert_inert(response)


def test_comment_reader_words_and_audit_pages_stay_inert(hostile, moderator):
    comment_id, reader_id = hostile[0]
    for path in (
        f"/moderation/comments/{comment_id}",
        f"/moderation/readers/{reader_id}",
        "/moderation/words",
        "/moderation/audit",
    ):
        assert_inert(moderator.client.get(path))


def test_bulk_confirmation_stays_inert(hostile, moderator):
    ids = [comment_id for comment_id, _reader in hostile]
    response = moderator.client.post(
        "/moderation/bulk",
        data={"ids": ids, "action": "reject", "reason": "spam", "queue": "pending"},
    )
    assert response.status_code == 200
    assert_inert(response)


@pytest.mark.parametrize("payload", PAYLOADS[:12])
def test_hostile_reasons_are_refused_and_not_reflected(app, moderator, payload):
    comment_id, reader_id = make_comment(app)
    response = moderator.reject(comment_id, reason=payload, note=payload)
    assert response.status_code == 422
    assert_inert(response)
    ban = moderator.client.post(
        f"/moderation/readers/{reader_id}/ban",
        data={"reason": payload, "note": payload},
        follow_redirects=True,
    )
    assert_inert(ban)
    with app.app_context():
        assert db.session.get(Reader, reader_id).banned_at is None


def test_ban_notes_are_shown_inert_in_the_audit_log(app, moderator):
    for payload in PAYLOADS:
        _comment, reader_id = make_comment(app)
        moderator.client.post(
            f"/moderation/readers/{reader_id}/ban",
            data={"reason": "other", "note": payload[:NOTE_MAX]},
        )
    html = moderator.client.get("/moderation/audit?action=ban")
    assert html.get_data(as_text=True).count(
        '<td class="mod-action" data-label="Action"><code>ban</code>'
    ) == len(PAYLOADS)
    assert_inert(html)


def test_csv_export_never_starts_a_cell_like_a_formula(hostile, moderator, seed):
    response = moderator.client.get(f"/api/v1/questions/{seed}/comments.csv")
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(table) == len(PAYLOADS) + 1
    for row in table:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS)


def test_moderation_api_returns_payloads_as_json_text(hostile, client, moderator_token):
    response = client.get(
        "/api/v1/moderation/comments?status=pending&per_page=100",
        headers={"Authorization": f"Bearer {moderator_token}"},
    )
    assert response.mimetype == "application/json"
    bodies = {item["body"] for item in response.json["items"]}
    assert bodies <= set(PAYLOADS)
