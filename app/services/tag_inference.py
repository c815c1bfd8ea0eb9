"""Tags for a post that has none, each with where it came from.

Three sources, strongest first: the tags earlier holders of the same post gave it; the tags of
posts with the same section name (the 課 of 「財政局 収納対策部 収納対策課」) in other
organizations; tag names and approved synonyms found in the department name (収納 → 債権回収).
The member confirms the suggestion in one click (`confirm`).
"""

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import CareerEntry, Tag, TagSynonym, User
from app.services import careers
from app.services.errors import ValidationFailed
from app.services.tags import MAX_TAGS, approved

PREDECESSORS, ELSEWHERE, NAME = "predecessors", "elsewhere", "name"
_KIND_ORDER = (PREDECESSORS, ELSEWHERE, NAME)
# Units of a department key, split after the word that ends each: 財政局|収納対策部|収納対策課.
_UNIT = re.compile(r".+?(?:局|部|課|室|係|所|センター|$)")
_SECTION_ENDS = ("課", "室", "センター", "所")
_MIN_WORD = 2  # a one-character tag (税) would match half the departments


@dataclass(frozen=True)
class TagSource:
    kind: str  # PREDECESSORS, ELSEWHERE or NAME
    count: int = 0  # holders of the post, or other organizations
    word: str = ""  # ELSEWHERE: the section name; NAME: the word found in the department name


@dataclass
class InferredTag:
    tag: Tag
    sources: list[TagSource] = field(default_factory=list)

    def rank(self) -> tuple:
        by_kind = {source.kind: source for source in self.sources}
        return tuple(-(by_kind[kind].count + 1) if kind in by_kind else 0 for kind in _KIND_ORDER) + (self.tag.name,)


def section_key(department_key: str) -> str:
    """The 課 (or 室, センター) of a department key, else its last unit: what other
    organizations call their post the same way."""
    units = [unit for unit in _UNIT.findall(department_key) if unit]
    sections = [unit for unit in units if unit.endswith(_SECTION_ENDS)]
    return (sections or units or [""])[-1]


def _tag_counts(query: sa.Select, counted) -> dict[Tag, int]:
    """Per tag, how many distinct `counted` values (users, organizations) the entries have."""
    seen: dict[Tag, set] = defaultdict(set)
    for entry in db.session.scalars(query.where(CareerEntry.tags.any()).options(selectinload(CareerEntry.tags))):
        for tag in entry.tags:
            seen[tag].add(counted(entry))
    return {tag: len(values) for tag, values in seen.items()}


def infer_post_tags(post: CareerEntry) -> list[InferredTag]:
    key = post.department_key
    if not key:
        return []
    found: dict[int, InferredTag] = {}

    def add(tag: Tag, source: TagSource) -> None:
        found.setdefault(tag.id, InferredTag(tag)).sources.append(source)

    earlier = sa.select(CareerEntry).where(careers.same_post(post.organization_code, key), CareerEntry.id != post.id)
    for tag, count in _tag_counts(earlier, lambda entry: entry.user_id).items():
        add(tag, TagSource(PREDECESSORS, count))

    section = section_key(key)
    if len(section) >= _MIN_WORD:
        elsewhere = sa.select(CareerEntry).where(
            CareerEntry.organization_code != post.organization_code,
            CareerEntry.department_key.contains(section, autoescape=True),
        )
        for tag, count in _tag_counts(elsewhere, lambda entry: entry.organization_code).items():
            add(tag, TagSource(ELSEWHERE, count, section))

    # The department name contains the word (LIKE with the column as pattern; checked again in
    # Python, as a tag name with % or _ would match more).
    in_name = sa.literal(key, sa.String).contains
    for tag in db.session.scalars(sa.select(Tag).where(sa.func.length(Tag.name) >= _MIN_WORD, in_name(Tag.name))):
        if tag.name in key:
            add(tag, TagSource(NAME, word=tag.name))
    synonyms = approved(sa.select(TagSynonym).where(sa.func.length(TagSynonym.name) >= _MIN_WORD, in_name(TagSynonym.name)))
    for synonym in db.session.scalars(synonyms.options(selectinload(TagSynonym.tag))):
        named = found.get(synonym.tag_id)
        if synonym.name in key and (named is None or all(source.kind != NAME for source in named.sources)):
            add(synonym.tag, TagSource(NAME, word=synonym.name))

    return sorted(found.values(), key=InferredTag.rank)[:MAX_TAGS]


def confirm(user: User, entry_id: int, names: Sequence[str]) -> CareerEntry:
    """Add the confirmed tags to the member's own career entry (up to the entry's limit)."""
    with write_transaction():
        entry = careers.get_own_entry(user, entry_id)
        checked = careers.check_career_tags(list(names))
        if not checked:
            raise ValidationFailed({"tags": _("登録するタグを1つ以上選んでください。")})
        wanted = careers.resolve_career_tags(user, checked)
        entry.tags = (list(entry.tags) + [tag for tag in wanted if tag not in entry.tags])[:MAX_TAGS]
    return entry
