"""Plain-text comments: cleaned before storage, escaped and linkified on output.

Standard library and markupsafe only. Nothing a reader types is interpreted except line breaks
(`<br>`) and http(s) URLs (links with `rel="nofollow ugc noopener"`).
"""

import re

from markupsafe import Markup, escape

# What clean_text removes, and why; everything else is kept as typed, emoji included.
# Control characters but "\n" and "\t" ("\r\n" and "\r" become "\n").
_CONTROL_CHARACTERS = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
# Bidi embeddings, overrides and isolates reorder what is displayed ("exe.gnp" shown as "png.exe")
# and can leak into the page; the plain marks U+200E/U+200F stay for right-to-left writers.
_BIDI_CONTROLS = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
# Zero-width characters hide text from the word lists and from moderators. The cost: emoji joined
# by U+200D show as their parts, and Persian or Indic text loses a U+200C ligature hint.
_ZERO_WIDTH = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]
_REMOVED = dict.fromkeys(
    (cp for cp in _CONTROL_CHARACTERS + _BIDI_CONTROLS + _ZERO_WIDTH if cp not in (0x09, 0x0A)),
    None,
)
# Lone surrogates are not text and cannot be encoded as UTF-8.
_LONE_SURROGATES = re.compile("[\ud800-\udfff]")

# A URL runs to the next whitespace, "<", ">" or '"'; the scheme must start a word.
_URL = re.compile(r"\bhttps?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?'*"
_CLOSING = {")": "(", "]": "[", "}": "{"}
LINK_REL = "nofollow ugc noopener"


def clean_text(text: str) -> str:
    """The text as typed, minus control, bidi-override and zero-width characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_REMOVED)
    return _LONE_SURROGATES.sub("", text)


def _trim_url(url: str) -> str:
    """Give back trailing punctuation and unbalanced closing brackets to the sentence."""
    # Counted once and updated while trimming, so a run of ")" stays linear.
    opened = {close: url.count(open_) for close, open_ in _CLOSING.items()}
    closed = {close: url.count(close) for close in _CLOSING}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING_PUNCTUATION:
            end -= 1
        elif last in _CLOSING and closed[last] > opened[last]:
            closed[last] -= 1
            end -= 1
        else:
            break
    return url[:end]


def _has_host(url: str) -> bool:
    rest = url.split("://", 1)[1]
    return bool(rest) and rest[0] not in "/?#" and any(ch.isalnum() for ch in rest)


def _link(url: str) -> str:
    scheme, rest = url.split("://", 1)
    href = f"{scheme.lower()}://{rest}"
    return f'<a href="{escape(href)}" rel="{LINK_REL}" target="_blank">{escape(url)}</a>'


def _text(segment: str) -> str:
    return str(escape(segment)).replace("\n", "<br>")


def render_comment(body: str) -> Markup:
    """Escaped HTML for a comment: line breaks as `<br>`, http(s) URLs as links."""
    text = clean_text(body)
    parts: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = _trim_url(match.group())
        if not _has_host(url):
            continue
        parts.append(_text(text[position : match.start()]))
        parts.append(_link(url))
        position = match.start() + len(url)
    parts.append(_text(text[position:]))
    return Markup("".join(parts))
