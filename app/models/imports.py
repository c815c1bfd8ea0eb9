"""What came from outside: one row per imported object, so re-running an import changes nothing.

`source` names the origin ("stackexchange:ja.stackoverflow.com", "faq-csv:141003", "zennin"),
`kind` the object ("user", "question", "answer", "tag", "postlink"), `external_id` its id there
and `local_id` the row it became here.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class ImportRecord(db.Model):
    __tablename__ = "import_records"
    __table_args__ = (
        sa.UniqueConstraint("source", "kind", "external_id"),
        sa.Index("ix_import_records_local", "kind", "local_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(20))
    external_id: Mapped[str] = mapped_column(sa.String(200))
    local_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
