"""Comments: stored as typed, published only after moderation."""

from ..extensions import db
from ..models import Comment, CommentStatus, Question, Reader


def create_comment(
    question: Question,
    reader: Reader,
    body: str,
    snapshot: dict[str, int],
    ip_hash: str | None = None,
    parent_id: int | None = None,
) -> Comment:
    """Store a comment awaiting review (pre-moderation is the default mode)."""
    comment = Comment(
        question_id=question.id,
        reader_id=reader.id,
        parent_id=parent_id,
        body=body,
        display_name=reader.display_name,
        status=CommentStatus.PENDING,
        reasons=["premoderation"],
        forecast_snapshot=snapshot,
        ip_hash=ip_hash,
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def comments_by(reader: Reader | None) -> list[Comment]:
    """The reader's own comments, newest first (any status except deleted)."""
    if reader is None:
        return []
    return list(
        db.session.scalars(
            db.select(Comment)
            .where(Comment.reader_id == reader.id, Comment.status != CommentStatus.DELETED)
            .order_by(Comment.created_at.desc())
        )
    )
