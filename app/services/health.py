"""What /healthz reports: the database, and the search index's state and backlog."""

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from app import indexing
from app.extensions import db
from app.models import SearchOutbox
from search import SearchUnavailable


def check() -> dict:
    report: dict = {"database": "ok"}
    try:
        newest = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(SearchOutbox.id), 0)))
    except SQLAlchemyError as error:
        db.session.rollback()
        return {"database": f"error: {type(error).__name__}", "search": {"status": "unknown"}}
    try:
        index = indexing.get_index()
        report["search"] = {
            "status": "ok",
            "documents": index.doc_count(),
            "pending_changes": max(0, newest - index.position),
        }
    except SearchUnavailable as error:
        report["search"] = {"status": "unavailable", "reason": str(error)[:200]}
    return report
