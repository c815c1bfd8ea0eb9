"""Career history (職歴): the posts a person has held."""

from app.models import CareerEntry, User, utcnow
from app.text import normalize_key

# Common spelling variants of department names, folded for matching (shown as typed).
_DEPARTMENT_VARIANTS = str.maketrans({"ヶ": "ケ", "ケ": "ケ", "之": "の"})


def department_key(department: str) -> str:
    """「財政局　債権回収課」, 「財政局債権回収課」 and 「財政局 債権回収課」 are the same post."""
    return normalize_key(department).translate(_DEPARTMENT_VARIANTS).replace(" ", "")


def current_post_entry(user: User) -> CareerEntry:
    """A current career entry from the post on the user's profile, starting this month."""
    return CareerEntry(
        user_id=user.id,
        organization_code=user.organization_code,
        department=user.department or "",
        department_key=department_key(user.department or ""),
        start_on=utcnow().date().replace(day=1),
    )
