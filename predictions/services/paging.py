"""One page of a query's rows, with the totals a list shows."""

import math
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


def paginate(query: Select, page: int, per_page: int, scalars: bool = True) -> Page:
    """Rows of `query` for page `page` (1-based); a page past the end is empty, not an error."""
    page = max(page, 1)
    total = db.session.scalar(
        db.select(db.func.count()).select_from(query.order_by(None).subquery())
    )
    window = query.limit(per_page).offset((page - 1) * per_page)
    result = db.session.execute(window)
    items = list(result.scalars()) if scalars else [tuple(row) for row in result]
    return Page(items=items, page=page, per_page=per_page, total=total)
