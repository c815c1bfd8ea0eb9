"""The audit log: moderators' and admins' actions, in the same transaction as the action."""

import json

from app.extensions import db
from app.models import AuditLog, User


def record(actor: User | None, action: str, target_type: str = "", target_id: int | None = None, **detail) -> None:
    db.session.add(
        AuditLog(
            actor_id=actor.id if actor is not None else None,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else "",
        )
    )
