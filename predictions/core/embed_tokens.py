"""Embed tokens: the only reader credential that ever leaves our origin.

Where the browser refuses the embed's frame any storage, the host page keeps the reader's token
for it, and the host page's scripts can read it. So the embed never holds the reader's own
token: it holds an embed token, signed with the app's secret, that names one reader and one
question. The identity layer accepts it only for that question's own-forecast endpoints.

The token also carries a fingerprint of the reader's stored token hash: erasing the reader
(which clears that hash) revokes every embed token they were given.
"""

from dataclasses import dataclass

from itsdangerous import BadData, URLSafeSerializer

PREFIX = "emb_"
SALT = "predictions.embed-token"
FINGERPRINT_LENGTH = 16


@dataclass(frozen=True)
class EmbedClaim:
    reader_id: str
    question_id: int
    fingerprint: str


def fingerprint(token_hash: str) -> str:
    """The part of a reader's stored token hash an embed token carries (it revokes the token
    when the hash changes or is cleared)."""
    return token_hash[:FINGERPRINT_LENGTH]


def issue(secret: str | bytes, reader_id: str, question_id: int, token_hash: str) -> str:
    """The embed token of one reader on one question."""
    serializer = URLSafeSerializer(secret, salt=SALT)
    return PREFIX + serializer.dumps([reader_id, question_id, fingerprint(token_hash)])


def is_embed_token(token: str) -> bool:
    return token.startswith(PREFIX)


def read(secret: str | bytes, token: str) -> EmbedClaim | None:
    """What a genuine embed token says; None for anything forged, altered or malformed."""
    if not is_embed_token(token):
        return None
    serializer = URLSafeSerializer(secret, salt=SALT)
    try:
        reader_id, question_id, print_ = serializer.loads(token[len(PREFIX) :])
    except (BadData, TypeError, ValueError):
        return None
    if not (
        isinstance(reader_id, str) and isinstance(question_id, int) and isinstance(print_, str)
    ):
        return None
    return EmbedClaim(reader_id, question_id, print_)


def still_valid(claim: EmbedClaim, token_hash: str | None) -> bool:
    """Whether the reader still holds the token the claim was issued against (not erased)."""
    return token_hash is not None and fingerprint(token_hash) == claim.fingerprint
