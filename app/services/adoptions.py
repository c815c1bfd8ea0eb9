"""「うちでも採用」: an organization marks that it does it the way an answer says.

One mark per organization and answer (Adoption's primary key); any verified member of the
organization may add it or take it back. Not an audited action: like a vote or a bookmark,
it is a member's own signal, and the row records who set it.
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from app import indexing
from app.database import upsert, write_transaction
from app.extensions import db
from app.models import Adoption, Answer, Organization, User, utcnow
from app.services import permissions
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.organizations import KIND_ORDER


class NoOrganization(ValidationFailed):
    """The member has not said which organization they belong to."""

    def __init__(self):
        super().__init__({"organization": _("所属団体が設定されていないため、「うちでも採用」は使えません。設定の「経歴」で現在の所属を登録してください。")})


def _check(user: User, answer: Answer) -> str:
    """The organization code `user` marks for; raises when they may not."""
    permissions.ensure_can_write(user)
    if not permissions.is_verified_member(user):
        raise PermissionDenied()
    if user.organization_code is None:
        raise NoOrganization()
    if answer.is_deleted or answer.hidden_at is not None or answer.question.is_deleted or answer.question.hidden_at is not None:
        raise PermissionDenied()
    return user.organization_code


def adopt(user: User, answer: Answer) -> bool:
    """Mark the answer as adopted by the user's organization. Idempotent: True when this call
    added the mark, False when the organization had already marked it."""
    code = _check(user, answer)
    with write_transaction():
        if db.session.get(Adoption, (answer.id, code)) is not None:
            return False
        # Two colleagues pressing at once: the second insert does nothing instead of failing.
        upsert(Adoption, {"answer_id": answer.id, "organization_code": code, "user_id": user.id, "created_at": utcnow()})
        indexing.touch(db.session, answer.question_id)
    return True


def withdraw(user: User, answer: Answer) -> bool:
    """Take back the organization's mark (whoever of its members set it). True when there was one."""
    code = _check(user, answer)
    with write_transaction():
        deleted = db.session.execute(
            sa.delete(Adoption).where(Adoption.answer_id == answer.id, Adoption.organization_code == code)
        ).rowcount
        if deleted:
            indexing.touch(db.session, answer.question_id)
    return bool(deleted)


def counts(answer_ids: list[int]) -> dict[int, int]:
    """Answer id → number of organizations that adopted it (absent: none)."""
    if not answer_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Adoption.answer_id, sa.func.count()).where(Adoption.answer_id.in_(answer_ids)).group_by(Adoption.answer_id)
        ).all()
    )


def question_counts(question_ids: list[int]) -> dict[int, int]:
    """Question id → number of distinct organizations that adopted one of its shown answers."""
    if not question_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Answer.question_id, sa.func.count(sa.distinct(Adoption.organization_code)))
            .join(Adoption, Adoption.answer_id == Answer.id)
            .where(Answer.question_id.in_(question_ids), Answer.deleted_at.is_(None), Answer.hidden_at.is_(None))
            .group_by(Answer.question_id)
        ).all()
    )


def adopters(answer_ids: list[int]) -> dict[int, list[Organization]]:
    """Answer id → the adopting organizations, larger kinds first, then by code."""
    result: dict[int, list[Organization]] = {}
    if answer_ids:
        for adoption in db.session.scalars(sa.select(Adoption).where(Adoption.answer_id.in_(answer_ids))):
            result.setdefault(adoption.answer_id, []).append(adoption.organization)
    for organizations in result.values():
        organizations.sort(key=lambda org: (KIND_ORDER.get(org.kind, 9), org.code))
    return result
