"""Site-wide counters kept in the database by the services that change them.

`visible_questions` is the number of questions that are not deleted: the questions list shows it
and pages by it. Counting 100,000 rows on every list page costs more than the rest of the page's
queries together, so ask, delete and undelete move it in their own transaction (atomic
`value = value + 1`, like tags.question_count), and flows that write rows directly (the Zennin
import/restore, the benchmark corpus) call `recount()`.
"""

import sqlalchemy as sa

from app.extensions import db
from app.models import Counter, Question

VISIBLE_QUESTIONS = "visible_questions"


def adjust(name: str, delta: int) -> None:
    db.session.execute(sa.update(Counter).where(Counter.name == name).values(value=Counter.value + delta))


def value(name: str) -> int:
    return db.session.scalar(sa.select(Counter.value).where(Counter.name == name)) or 0


def count_visible_questions() -> int:
    """The number the counter stands for, counted (tests and `recount()` compare the two)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Question).where(Question.deleted_at.is_(None)))


def recount() -> None:
    """Set every counter from the data (after a restore that wrote rows directly). Call inside a
    write transaction."""
    db.session.execute(sa.update(Counter).where(Counter.name == VISIBLE_QUESTIONS).values(value=count_visible_questions()))
