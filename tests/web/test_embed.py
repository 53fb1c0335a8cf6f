"""The embed, oEmbed and share previews through the test client."""

import io
import re

import pytest
from PIL import Image

from predictions.core.question_file import QuestionFileError, article_url, parse_question
from predictions.extensions import db
from predictions.services import questions

from .crowd_helpers import add_readers, close

HOST = "https://news.example"
ARTICLE = "https://news.example/world/2026/us-russia"
FRAME = "/embed/q/us-russia-relations"


@pytest.fixture
def app_config() -> dict:
    return {"EMBED_ORIGINS": f"{HOST}, https://www.news.example/"}


@pytest.fixture
def with_article_url(app, seed):
    with app.app_context():
        questions.get_by_slug(seed).article_urls = [article_url(ARTICLE)]
        db.session.commit()


def text(response) -> str:
    return response.get_data(as_text=True)


def test_article_urls_are_read_from_the_question_file_without_query_or_fragment():
    seed = questions.seed_text()
    spec = parse_question(
        'article_urls = ["HTTPS://News.example/a?utm=x#top", "https://news.example/a"]\n' + seed
    )
    assert spec.article_urls == ("https://news.example/a",)
    with pytest.raises(QuestionFileError, match="article_urls"):
        parse_question('article_urls = ["ftp://x"]\n' + seed)


def test_frame_on_an_allowed_site_holds_the_form_and_only_that_site_may_frame_it(client, seed):
    response = client.get(f"{FRAME}?origin={HOST}&theme=dark", headers={"Referer": HOST + "/a"})
    html = text(response)
    assert response.status_code == 200
    assert 'id="embed-form"' in html and 'data-theme="dark"' in html
    csp = response.headers["Content-Security-Policy"]
    assert csp.endswith(f"frame-ancestors 'self' {HOST} https://www.news.example")
    assert "script-src 'self'" in csp
    assert "Set-Cookie" not in response.headers  # the frame never relies on a cookie
    # Anti-anchoring: empty inputs, and no crowd number in the markup.
    assert not re.search(r'<input type="number"[^>]*value=', html)
    assert "crowd_median" not in html


@pytest.mark.parametrize(
    "query, referrer",
    [
        ("origin=https://elsewhere.example", None),
        ("", None),
        (f"origin={HOST}", "https://elsewhere.example/page"),  # the Referer betrays the claim
    ],
)
def test_frame_elsewhere_shows_a_notice_and_a_link_instead_of_the_form(
    client, seed, query, referrer
):
    headers = {"Referer": referrer} if referrer else {}
    response = client.get(f"{FRAME}?{query}", headers=headers)
    html = text(response)
    assert 'id="not-allowed"' in html and 'id="embed-form"' not in html
    assert f'href="http://localhost/q/{seed}"' in html
    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors *")


def test_frame_takes_only_a_checked_accent_and_font(client, seed):
    html = text(client.get(f"{FRAME}?origin={HOST}&accent=%23c00&font=Georgia,%20serif"))
    assert 'data-accent="#c00"' in html and 'data-font="Georgia, serif"' in html
    html = text(client.get(f"{FRAME}?origin={HOST}&accent=red;x:url(a)&font=a%7Bb%7D&theme=x"))
    assert "data-accent" not in html and "data-font" not in html
    assert 'data-theme="auto"' in html


def test_frame_finds_the_question_by_the_articles_canonical_url(client, seed, with_article_url):
    found = client.get(f"/embed?url={ARTICLE}%3Futm_source%3Dx&origin={HOST}")
    assert found.status_code == 200 and 'data-api="/api/v1/questions/us-russia-relations"' in text(
        found
    )
    missing = client.get(f"/embed?url={HOST}/other&origin={HOST}")
    assert missing.status_code == 404 and "No reader forecast" in text(missing)


def test_loader_is_small_cached_and_served_as_javascript(client):
    response = client.get("/embed.js")
    data = response.get_data()
    response.close()  # a file served by send_file
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.cache_control.public and response.cache_control.max_age == 3600
    import gzip

    assert len(gzip.compress(data, 9)) < 5 * 1024


def test_oembed_answers_rich_html_for_the_question_page(client, seed):
    url = f"http://localhost/q/{seed}/results"
    response = client.get("/oembed", query_string={"url": url, "format": "json", "maxwidth": 500})
    assert response.status_code == 200
    body = response.json
    assert body["version"] == "1.0" and body["type"] == "rich"
    assert body["width"] == 500 and body["height"] == 520
    assert body["provider_name"] == "Predictions" and body["title"].startswith("After the Budapest")
    assert 'data-question="us-russia-relations"' in body["html"]
    assert '<script async src="http://localhost/embed.js"></script>' in body["html"]
    assert "thumbnail_url" not in body  # 1200 px would break maxwidth=500
    full = client.get("/oembed", query_string={"url": f"http://localhost/q/{seed}"}).json
    assert full["thumbnail_url"] == f"http://localhost/q/{seed}/preview.png"


def test_oembed_finds_a_question_by_its_article(client, seed, with_article_url):
    assert client.get("/oembed", query_string={"url": ARTICLE}).json["type"] == "rich"


@pytest.mark.parametrize(
    "query, status",
    [
        ({"url": "http://localhost/q/no-such-question"}, 404),
        ({"url": "https://elsewhere.example/q/us-russia-relations"}, 404),
        ({"url": "not a url"}, 404),
        ({"url": "http://localhost/q/us-russia-relations", "format": "xml"}, 501),
        ({"url": "http://localhost/q/us-russia-relations", "maxwidth": "wide"}, 400),
    ],
)
def test_oembed_refusals_are_json(client, seed, query, status):
    response = client.get("/oembed", query_string=query)
    assert response.status_code == status
    assert response.json["code"] == status


@pytest.mark.parametrize("path", ["/q/us-russia-relations", "/q/us-russia-relations/results"])
def test_question_pages_carry_share_tags_and_oembed_discovery(client, seed, path):
    html = text(client.get(path))
    canonical = f"http://localhost{path}"
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert f'<meta property="og:url" content="{canonical}">' in html
    image = "http://localhost/q/us-russia-relations/preview.png"
    assert f'<meta property="og:image" content="{image}">' in html
    assert f'<meta name="twitter:image" content="{image}">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<meta property="og:title" content="' in html
    assert '<meta property="og:description" content="A two-hour phone call' in html
    discovery = re.search(r'type="application/json\+oembed" href="([^"]+)"', html)
    assert discovery is not None
    oembed = client.get(discovery.group(1).replace("&amp;", "&"))
    assert oembed.status_code == 200 and oembed.json["type"] == "rich"


def png(response) -> Image.Image:
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG" and image.size == (1200, 630)
    return image


def test_preview_png_is_cached_by_etag_and_shows_the_crowd_only_once_closed(app, client, seed):
    from predictions.web.pages.previews import preview_of

    add_readers(app, seed, [{"us-russia-cooperation": 30}] * 6)
    path = f"/q/{seed}/preview.png"
    open_response = client.get(path)
    png(open_response)
    etag = open_response.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    with app.test_request_context():
        shown = preview_of(questions.get_by_slug(seed))
    assert shown.forecaster_count == 6 and not shown.closed
    assert [row.article for row in shown.rows] == [40, 60, 80]
    assert all(row.crowd is None for row in shown.rows)  # open: a preview never anchors

    close(app, seed)
    closed_response = client.get(path, headers={"If-None-Match": etag})
    png(closed_response)
    assert closed_response.headers["ETag"] != etag
    assert closed_response.data != open_response.data
    with app.test_request_context():
        shown = preview_of(questions.get_by_slug(seed))
    assert shown.closed and shown.rows[0].crowd == 30 and shown.rows[1].crowd is None


def test_preview_of_an_unknown_question_is_404(client, seed):
    assert client.get("/q/nothing/preview.png").status_code == 404


def test_moderators_questions_page_shows_the_snippet_with_a_copy_button(admin, seed):
    admin.login()
    html = text(admin.client.get("/moderation/questions"))
    assert 'data-copy="snippet-us-russia-relations"' in html
    assert "&lt;script async src=&#34;http://localhost/embed.js&#34;&gt;&lt;/script&gt;" in html
