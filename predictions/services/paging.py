"""One page of a query's rows, with the totals a list shows."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from ..extensions import db


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def envelope(self, items: list | None = None) -> dict:
        """The list's JSON envelope (SPEC §7): these items (default: the page's) and the totals."""
        return {
            "items": self.items if items is None else items,
            "page": self.page,
            "pages": self.pages,
            "total": self.total,
        }


def paginate(query: Select, page: int, per_page: int, scalars: bool = True) -> Page:
    """Rows of `query` for page `page` (1-based); a page past the end is empty, not an error."""
    page = max(page, 1)
    total = db.session.scalar(
        db.select(db.func.count()).select_from(query.order_by(None).subquery())
    )
    if (page - 1) * per_page >= total:  # past the end: no offset the database cannot hold
        return Page(items=[], page=page, per_page=per_page, total=total)
    window = query.limit(per_page).offset((page - 1) * per_page)
    result = db.session.execute(window)
    items = list(result.scalars()) if scalars else [tuple(row) for row in result]
    return Page(items=items, page=page, per_page=per_page, total=total)


def paginate_rows(rows: Sequence, page: int, per_page: int) -> Page:
    """The same for rows already in memory."""
    page = max(page, 1)
    start = (page - 1) * per_page
    return Page(
        items=list(rows[start : start + per_page]), page=page, per_page=per_page, total=len(rows)
    )
