"""Helpers shared by the model modules."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Naive UTC: every timestamp column stores UTC without tzinfo (same on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


def month_start(value: date) -> date:
    return value.replace(day=1)
