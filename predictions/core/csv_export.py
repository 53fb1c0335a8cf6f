"""Pure CSV writing for exports: spreadsheet-safe cells and pseudonymous reader ids."""

import csv
import hashlib
import hmac
import io
import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime

# A cell a spreadsheet would read as a formula gets a leading single quote, as OWASP recommends.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text a spreadsheet shows as typed, never evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def pseudonym(reader_id: str, key: bytes) -> str:
    """A stable stand-in for a reader id that cannot be turned back into the id without the key."""
    return hmac.new(key, b"export-reader:" + reader_id.encode(), hashlib.sha256).hexdigest()[:32]


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The header and each row as one CSV line (RFC 4180 quoting, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in itertools.chain([header], rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue()
