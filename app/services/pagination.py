"""Pagination that survives bad input: `?page=abc` is page 1, a page past the end is a 404."""

from dataclasses import dataclass
from typing import Generic, TypeVar

import sqlalchemy as sa

from app.extensions import db
from app.services.errors import NotFound

T = TypeVar("T")
MAX_PAGE = 100_000


def parse_page(raw: str | None) -> int:
    """Page number from a query string; anything odd means page 1, absurdly large means 404."""
    if raw is None or not raw.isascii() or not raw.isdigit():
        return 1
    if len(raw) > 6 or int(raw) > MAX_PAGE:
        raise NotFound("page")
    return max(int(raw), 1)


class PageNumbers:
    """What the pager shows, from `total`, `page` and `per_page` (lists and search results)."""

    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass
class Page(PageNumbers, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


def paginate(query: sa.Select, page: int, per_page: int, *, total: int | None = None) -> Page:
    """One page of `query`. `total`: the number of rows when the caller knows it (a counter),
    else it is counted."""
    if total is None:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    result = Page(items=[], total=total or 0, page=page, per_page=per_page)
    if page > result.pages:
        raise NotFound("page")
    result.items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return result
