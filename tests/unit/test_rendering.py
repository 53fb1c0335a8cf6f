"""Tests for predictions.rendering: cleaning, escaping and linkifying plain-text comments."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from predictions.core.rendering import LINK_REL, clean_text, render_comment

PAYLOAD_FILE = Path(__file__).resolve().parents[1] / "xss_payloads.txt"

# Also in tests/xss_payloads.txt (one per line, Python "unicode_escape" encoding, ASCII only);
# test_payload_file_matches_corpus keeps the two in step.
XSS_PAYLOADS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://evil.example/xss.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script\n>alert(1)</script\n>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(\'xss\')">',
    "<IMG SRC=javascript:alert('XSS')>",
    "<img src=`x`onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">click</math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "' autofocus onfocus='alert(1)",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "java\tscript:alert(1)",
    "javascript&#58;alert(1)",
    "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)",
    '<a href="javascript:alert(1)">click</a>',
    "<a href=https://ok.example onclick=alert(1)>x</a>",
    "[click](javascript:alert(1))",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    'http://example.com/"onmouseover="alert(1)',
    "http://example.com/' onerror='alert(1)",
    "https://example.com/<script>alert(1)</script>",
    'https://example.com/?q="><svg onload=alert(1)>',
    "https://example.com/#<img src=x onerror=alert(1)>",
    "https://evil.example/path?a=1&b=<img>&c='x'",
    'http://"onmouseover=alert(1)//',
    "https://javascript:alert(1)@example.com/",
    "javascript:alert('http://example.com')",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<x onclick=alert(1)>click me",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<object data="javascript:alert(1)"></object>',
    "<style>*{background:url(javascript:alert(1))}</style>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<!DOCTYPE html><?php echo 1; ?>",
    "</textarea><script>alert(1)</script>",
    "</title></style></noscript><script>alert(1)</script>",
    "{{7*7}} {% raw %}${7*7}",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "\u202egnp.exe",
    "see http://example.com/\u202egpj.exe",
    "\u2066<script>\u2069alert(1)",
    "ad\u200bmin <scr\u200bipt>alert(1)</scr\u200cipt>",
    "\ufeff<script>alert(1)</script>\u2060",
    "\x00<script>alert(1)</script>",
    "<scr\x00ipt>alert(1)</script>",
    "\x1b[31mred\x1b[0m \x7f\x85\x9f",
    "line one\r\n<script>\rline three\n\nline five",
    "\U0001f600 <img src=x onerror=alert('\U0001f600')> \U0001d4b3\U0001d4ae\U0001d4ae",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467 family",
    "A" * 2100 + "<script>alert(1)</script>",
    "http://" + "a" * 3000 + ".example/" + ")" * 500,
)

ALLOWED_TAGS = {"a", "br"}


class _Collector(HTMLParser):
    """Records every tag, attribute and piece of text a browser-like parser finds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.end_tags: list[str] = []
        self.others: list[str] = []
        self.text: list[str] = []  # data, with "\n" for each <br>
        self.links: list[tuple[dict[str, str | None], str]] = []
        self._in_link: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "br":
            self.text.append("\n")
        if tag == "a":
            self._in_link = []
            self.links.append((attributes, ""))

    def handle_startendtag(self, tag, attrs):
        self.others.append(f"self-closing {tag}")

    def handle_endtag(self, tag):
        self.end_tags.append(tag)
        if tag == "a" and self._in_link is not None:
            attributes, _ = self.links[-1]
            self.links[-1] = (attributes, "".join(self._in_link))
            self._in_link = None

    def handle_data(self, data):
        self.text.append(data)
        if self._in_link is not None:
            self._in_link.append(data)

    def handle_comment(self, data):
        self.others.append(f"comment {data!r}")

    def handle_decl(self, decl):
        self.others.append(f"decl {decl!r}")

    def handle_pi(self, data):
        self.others.append(f"pi {data!r}")

    def unknown_decl(self, data):
        self.others.append(f"unknown decl {data!r}")


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def assert_safe(html: str, body: str) -> _Collector:
    """Only <a> and <br> tags, safe links, and the cleaned text unchanged in between."""
    lowered = html.lower()
    assert "<script" not in lowered
    # "onerror=" and friends may appear as escaped text, never inside a tag.
    for tag in re.findall(r"<[^>]*>", lowered):
        assert re.fullmatch(r'<a href="https?://[^"]*" rel="[^"]*" target="_blank">|</a>|<br>', tag)
        assert not re.search(r"\bon[a-z]+\s*=", tag.split('" rel=')[-1])
    page = parse(html)
    assert page.others == []
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    assert set(page.end_tags) <= {"a"}
    assert page.end_tags.count("a") == len(page.links)
    for tag, attributes in page.tags:
        if tag == "br":
            assert attributes == {}
    for attributes, label in page.links:
        assert set(attributes) == {"href", "rel", "target"}
        assert attributes["rel"] == LINK_REL
        assert attributes["target"] == "_blank"
        href = attributes["href"]
        assert href is not None
        assert href.startswith(("http://", "https://"))
        assert href.lower() == label.lower()
    assert "".join(page.text) == clean_text(body)
    return page


@pytest.mark.parametrize("payload", XSS_PAYLOADS, ids=lambda p: repr(p[:40]))
def test_xss_payload_is_rendered_inert(payload):
    html = render_comment(payload)
    assert isinstance(html, Markup)
    assert_safe(str(html), payload)


def test_payload_file_matches_corpus():
    lines = PAYLOAD_FILE.read_text(encoding="ascii").splitlines()
    payloads = [
        line.encode("ascii").decode("unicode_escape")
        for line in lines
        if line and not line.startswith("#")
    ]
    assert tuple(payloads) == XSS_PAYLOADS
    assert not any(p.startswith("#") or p != p.strip(" ") for p in XSS_PAYLOADS)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("plain", "plain"),
        ("a\r\nb\rc\nd", "a\nb\nc\nd"),
        ("tab\tkept", "tab\tkept"),
        ("nul\x00 bell\x07 esc\x1b del\x7f c1\x85\x9f", "nul bell esc del c1"),
        ("\u202eevil\u202c \u2066iso\u2069 \u202a\u202b\u202d", "evil iso "),
        ("zero\u200bwidth\u200c\u200d\u2060\ufeff", "zerowidth"),
        ("rtl marks \u200e\u200f stay", "rtl marks \u200e\u200f stay"),
        ("emoji \U0001f600 \U0001d4b3 4-byte", "emoji \U0001f600 \U0001d4b3 4-byte"),
        ("accents idiót Ünïcödé 日本語 עברית", "accents idiót Ünïcödé 日本語 עברית"),
        ("nbsp\u00a0and\u2028separators", "nbsp\u00a0and\u2028separators"),
        ("lone \ud800surrogate\udfff", "lone surrogate"),
        ("<b>markup</b> &amp; stays", "<b>markup</b> &amp; stays"),
    ],
)
def test_clean_text(body, expected):
    assert clean_text(body) == expected


@given(st.text())
@settings(max_examples=200, database=None)
def test_clean_text_is_idempotent_and_drops_hidden_characters(body):
    cleaned = clean_text(body)
    assert clean_text(cleaned) == cleaned
    assert "\r" not in cleaned
    for ch in cleaned:
        code = ord(ch)
        assert ch in "\n\t" or not (code < 0x20 or 0x7F <= code < 0xA0)
        assert not (0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069)
        assert code not in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("hello", "hello"),
        ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
        ("\"quoted\" 'single'", "&#34;quoted&#34; &#39;single&#39;"),
        ("one\ntwo\r\nthree", "one<br>two<br>three"),
        ("\n\n", "<br><br>"),
        ("*bold* _it_ # head", "*bold* _it_ # head"),
    ],
)
def test_text_is_escaped_and_line_breaks_kept(body, expected):
    assert render_comment(body) == Markup(expected)


def _a(href: str, text: str | None = None) -> str:
    return f'<a href="{href}" rel="nofollow ugc noopener" target="_blank">{text or href}</a>'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("https://example.com", _a("https://example.com")),
        ("see http://example.com/a.", f"see {_a('http://example.com/a')}."),
        ("(http://example.com/a), ok", f"({_a('http://example.com/a')}), ok"),
        ("http://example.com/x?a=1&b=2;", _a("http://example.com/x?a=1&amp;b=2") + ";"),
        (
            "https://en.wikipedia.org/wiki/Foo_(bar)).",
            _a("https://en.wikipedia.org/wiki/Foo_(bar)") + ").",
        ),
        ("[https://example.com/]", f"[{_a('https://example.com/')}]"),
        ("'https://example.com/it's'", f"&#39;{_a('https://example.com/it&#39;s')}&#39;"),
        ("<https://example.com>", f"&lt;{_a('https://example.com')}&gt;"),
        ('"https://example.com"', f"&#34;{_a('https://example.com')}&#34;"),
        ("HTTPS://Example.COM/Path", _a("https://Example.COM/Path", "HTTPS://Example.COM/Path")),
        ("a\nhttps://x.example\nb", f"a<br>{_a('https://x.example')}<br>b"),
        ("http://a.example http://b.example", f"{_a('http://a.example')} {_a('http://b.example')}"),
        ('https://ex.example/?q="><svg>', _a("https://ex.example/?q=") + "&#34;&gt;&lt;svg&gt;"),
        ("https://exa\u200bmple.com", _a("https://example.com")),
        ("https://example.com/\U0001f600!", _a("https://example.com/\U0001f600") + "!"),
    ],
)
def test_http_urls_are_linkified(body, expected):
    assert render_comment(body) == Markup(expected)


@pytest.mark.parametrize(
    "body",
    [
        "javascript:alert(1)",
        "JAVASCRIPT://example.com/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/file",
        "mailto:someone@example.com",
        "file:///etc/passwd",
        "//example.com/protocol-relative",
        "www.example.com",
        "example.com",
        "http://",
        "https://.",
        "http:///path",
        "http://?q",
        "xhttp://example.com",
        "hxxp://example.com",
    ],
)
def test_only_http_urls_with_a_host_become_links(body):
    assert "<a " not in str(render_comment(body))


def test_long_hostile_input_is_rendered_inert():
    body = ("<img src=x onerror=alert(1)> https://x.example/" + ")" * 50 + " \u202e\n") * 2000
    html = str(render_comment(body))
    page = assert_safe(html, body)
    assert len(page.links) == 2000


@given(st.text(alphabet=st.sampled_from(list("<>\"'&=/ :.()\nabhtpsx\u202e\u200b\U0001f600"))))
@settings(max_examples=300, database=None)
def test_any_text_renders_to_links_and_line_breaks_only(body):
    assert_safe(str(render_comment(body)), body)


@given(st.text())
@settings(max_examples=200, database=None)
def test_any_unicode_renders_safely(body):
    assert_safe(str(render_comment(body)), body)
