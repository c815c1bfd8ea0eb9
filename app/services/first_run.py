"""First run: right after verifying the address, the member names the current post and its areas.

The organization is pre-filled from the e-mail domain (the address was just proven), else from
the registration. Completing it updates the current post (the one registration created) or adds
one, and stamps `User.first_run_done_at`; skipping leaves it unset, so the home page reminds.
"""

from dataclasses import dataclass

from app.database import write_transaction
from app.models import CareerEntry, Organization, User
from app.models.base import utcnow
from app.services import careers
from app.services.email_domains import organization_for_email


@dataclass(frozen=True)
class FirstRunInput:
    organization: str  # a code, or the picker's text 「神奈川県川崎市 (141305)」
    department: str
    tags: str = ""


def is_pending(user: User) -> bool:
    return user.is_authenticated and user.first_run_done_at is None


def suggested_organization(user: User) -> Organization | None:
    return organization_for_email(user.email) or user.organization


def complete(user: User, data: FirstRunInput) -> CareerEntry:
    with write_transaction():
        post = careers.latest_current_entry(user)
        start = post.start_on if post is not None else careers.this_month()
        typed = careers.CareerInput(data.organization, data.department, data.tags, start=start.strftime("%Y-%m"))
        entry = careers.update_entry(user, post.id, typed) if post is not None else careers.add_entry(user, typed)
        user.first_run_done_at = utcnow()
    return entry
