"""Careers for the people tests, dated relative to this month so the tests never age."""

from app.models import CareerEntry, User
from app.services import careers


def month(months_ago: int) -> str:
    """「2024-04」 for `months_ago` months before this month (0: this month)."""
    return careers.add_months(careers.this_month(), -months_ago).strftime("%Y-%m")


def add_post(
    user: User,
    department: str = "財政局 債権回収課",
    *,
    org: str = "141003",
    tags: str = "債権回収",
    started: int = 12,
    ended: int | None = None,
    concurrent: bool = False,
) -> CareerEntry:
    """A post started `started` months ago and, unless current, ended `ended` months ago."""
    return careers.add_entry(
        user,
        careers.CareerInput(
            organization=org,
            department=department,
            tags=tags,
            start=month(started),
            end=month(ended) if ended is not None else None,
            concurrent=concurrent,
        ),
    )
