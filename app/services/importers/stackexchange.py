"""Import a Stack Exchange data dump folder (`flask --app wsgi import stackexchange DIR`).

Files (https://meta.stackexchange.com/q/2677): Users.xml, Tags.xml, Posts.xml, and when present
Votes.xml and PostLinks.xml. Each is streamed with `iterparse`, clearing every row after use, so
memory stays flat whatever the dump size; posts are committed in batches.

Decisions (README "API, import and export"):

- **Bodies stay HTML, used as the Markdown source.** The dump holds SE's rendered, already
  sanitized HTML. Markdown passes block HTML through unchanged, so the HTML *is* valid Markdown
  source: our pipeline (`posting.render_body`: Python-Markdown → bleach allowlist) renders and
  sanitizes it like any post, nothing is lost in a lossy HTML→Markdown conversion, and the post
  stays editable. Bodies over the Markdown length cap are skipped and counted.
- **Votes become an imported score.** Votes.xml rows are anonymous, so they cannot become Vote
  rows (one per person). Up-votes minus down-votes per post (Votes.xml, else Posts.xml `Score`)
  are stored in `posts.imported_score`; the app's invariant is
  `score == imported_score + sum(votes)`, local votes move the score on top, and imported votes
  earn no reputation (`reputation.recompute()` stays exact).
- **People are placeholders**: no password, unverified, cannot log in; `flask users claim`
  hands their posts to the real person's account once it is registered.
- **Tags** go through our tag rules: `c#` → `c-sharp`, other invalid characters → `-`; names that
  still do not fit are dropped (counted); a question left without a tag gets 「未分類」.
- **Duplicates** (PostLinks LinkTypeId 3) close the question as a duplicate of its target.
"""

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from app import indexing
from app.database import write_transaction
from app.extensions import db
from app.models import Question, Tag, User, utcnow
from app.services.errors import ServiceError, ValidationFailed
from app.services.importers.common import (
    ImportReport,
    Progress,
    Registry,
    accept,
    add_answer,
    add_question,
    as_tag,
    forget_notifications,
    no_progress,
    parse_timestamp,
    patient_rendering,
    placeholder_user,
)
from app.services.posting import render_body
from app.text import normalize_key

BATCH_SIZE = 200
FALLBACK_TAG = "未分類"
_LEGACY_TAGS = re.compile(r"<([^>]+)>")


def map_tag(name: str) -> str | None:
    """An SE tag name as one of ours, or None when it cannot be one (`c#` → `c-sharp`)."""
    return as_tag(re.sub(r"(?<=[a-z0-9])#", "-sharp", normalize_key(name)))


def parse_tag_list(value: str) -> list[str]:
    """`<c#><linq>` (older dumps) or `|c#|linq|` (2023 and later)."""
    if not value:
        return []
    legacy = _LEGACY_TAGS.findall(value)
    return legacy or [part for part in value.split("|") if part]


def iter_rows(path: Path, on_progress: Progress | None = None, label: str = "") -> Iterator[dict[str, str]]:
    """The attributes of each <row> in a dump file, streamed; reports bytes read."""
    total = path.stat().st_size
    with path.open("rb") as handle:
        context = ET.iterparse(handle, events=("start", "end"))
        root = None
        for count, (event, element) in enumerate(context):
            if event == "start":
                if root is None:
                    root = element
                continue
            if element.tag == "row":
                yield dict(element.attrib)
                element.clear()
                if root is not None:
                    root.clear()  # drop the references the root keeps to finished rows
            if on_progress is not None and count % 2000 == 0:
                on_progress(label, handle.tell(), total)
        if on_progress is not None:
            on_progress(label, total, total)


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


class _Importer:
    def __init__(self, folder: Path, source: str, limit: int | None, progress: Progress):
        self.folder = folder
        self.limit = limit
        self.progress = progress
        self.registry = Registry(source)
        self.report = ImportReport()
        self.tag_map: dict[str, str | None] = {}
        self.vote_scores: dict[str, int] | None = None
        self.pending_accept: dict[str, str] = {}  # SE question id → SE accepted answer id
        self.closed_dates: dict[str, str] = {}
        self.excerpts: dict[str, str] = {}  # SE excerpt post id → text
        self.users: dict[int, User] = {}
        self.new_questions = 0
        self._batch_questions: list[int] = []

    # ------------------------------------------------------------ users

    def import_users(self) -> None:
        path = self.folder / "Users.xml"
        if not path.exists():
            self.report.notes.append("Users.xml not found: every post gets one placeholder author")
            return
        rows = iter_rows(path, self.progress, "users")
        while True:
            with write_transaction():
                done = 0
                for row in rows:
                    self._user_from_row(row)
                    done += 1
                    if done >= BATCH_SIZE * 5:
                        break
            if done < BATCH_SIZE * 5:
                return

    def _user_from_row(self, row: dict) -> None:
        external_id = row.get("Id")
        if external_id is None or self.registry.get("user", external_id) is not None:
            return
        placeholder_user(
            self.registry, external_id, row.get("DisplayName", ""), created_at=parse_timestamp(row.get("CreationDate"))
        )
        self.report.created["users"] += 1

    def author(self, row: dict) -> User:
        external_id = row.get("OwnerUserId")
        if external_id is None:  # deleted SE account: one placeholder per display name
            name = row.get("OwnerDisplayName") or "削除されたユーザー"
            external_id = f"name:{normalize_key(name)[:150]}"
            display_name = name
        else:
            display_name = f"ユーザー{external_id}"
        local_id = self.registry.get("user", external_id)
        if local_id is None:
            user = placeholder_user(self.registry, external_id, display_name)
            self.report.created["users"] += 1
            return user
        user = self.users.get(local_id)
        if user is None:
            user = db.session.get(User, local_id)
            if len(self.users) < 10000:
                self.users[local_id] = user
        return user

    # ------------------------------------------------------------ tags

    def import_tags(self) -> None:
        path = self.folder / "Tags.xml"
        if not path.exists():
            return
        existing = set(db.session.scalars(sa.select(Tag.name)))
        with write_transaction():
            for row in iter_rows(path, self.progress, "tags"):
                name = row.get("TagName", "")
                local = self.mapped_tag(name)
                if local is None or local in existing:
                    continue
                tag = Tag(name=local)
                db.session.add(tag)
                db.session.flush()
                existing.add(local)
                self.registry.remember("tag", row.get("Id", name), tag.id)
                if row.get("ExcerptPostId"):
                    self.excerpts[row["ExcerptPostId"]] = local
                self.report.created["tags"] += 1

    def mapped_tag(self, name: str) -> str | None:
        if name not in self.tag_map:
            mapped = map_tag(name)
            self.tag_map[name] = mapped
            if mapped is None:
                self.report.skipped["tag names that do not fit our rules"] += 1
            elif mapped != normalize_key(name):
                self.report.notes.append(f"tag {name!r} → {mapped!r}")
        return self.tag_map[name]

    # ------------------------------------------------------------ votes

    def tally_votes(self) -> None:
        path = self.folder / "Votes.xml"
        if not path.exists():
            return
        scores: Counter = Counter()
        for row in iter_rows(path, self.progress, "votes"):
            kind = row.get("VoteTypeId")
            if kind == "2":
                scores[row.get("PostId")] += 1
            elif kind == "3":
                scores[row.get("PostId")] -= 1
        self.vote_scores = dict(scores)

    def imported_score(self, row: dict) -> int:
        if self.vote_scores is not None:
            return self.vote_scores.get(row["Id"], 0)
        return _int(row.get("Score"))

    # ------------------------------------------------------------ posts

    def import_posts(self) -> None:
        path = self.folder / "Posts.xml"
        if not path.exists():
            raise FileNotFoundError(path)
        rows = iter_rows(path, self.progress, "posts")
        exhausted = False
        while not exhausted:
            exhausted = True
            self._batch_questions = []
            with write_transaction():
                for count, row in enumerate(rows, start=1):
                    self._post_from_row(row)
                    if count >= BATCH_SIZE:
                        exhausted = False
                        break
                forget_notifications(self._batch_questions)
            db.session.expunge_all()  # keep the identity map small between batches
            self.users.clear()

    def _post_from_row(self, row: dict) -> None:
        kind = row.get("PostTypeId")
        external_id = row.get("Id")
        if kind == "4" and external_id in self.excerpts:
            self._describe_tag(self.excerpts.pop(external_id), row.get("Body", ""))
            return
        if kind not in ("1", "2") or external_id is None:
            return
        if self.registry.get("post", external_id) is not None:
            return
        if kind == "1":
            self._question(row)
        else:
            self._answer(row)

    def _question(self, row: dict) -> None:
        if self.limit is not None and self.new_questions >= self.limit:
            self.report.skipped["questions over --limit"] += 1
            return
        names = [self.mapped_tag(name) for name in parse_tag_list(row.get("Tags", ""))]
        tag_names = list(dict.fromkeys(name for name in names if name)) or [FALLBACK_TAG]
        created = parse_timestamp(row.get("CreationDate")) or utcnow()
        try:
            question = add_question(
                self.author(row),
                title=row.get("Title", ""),
                body=row.get("Body", ""),
                tags=tag_names[:5],
                created_at=created,
                last_activity_at=parse_timestamp(row.get("LastActivityDate")),
                view_count=_int(row.get("ViewCount")),
                imported_score=self.imported_score(row),
            )
        except ValidationFailed as failure:
            self._skip("questions", failure)
            return
        self.registry.remember("post", row["Id"], question.id)
        self._batch_questions.append(question.id)
        self.new_questions += 1
        self.report.created["questions"] += 1
        self.report.check_personal_information("posts", question.id, question.title, question.body)
        if row.get("AcceptedAnswerId"):
            self.pending_accept[row["Id"]] = row["AcceptedAnswerId"]
        if row.get("ClosedDate"):
            self.closed_dates[row["Id"]] = row["ClosedDate"]

    def _answer(self, row: dict) -> None:
        parent = row.get("ParentId")
        question_id = self.registry.get("post", parent)
        if question_id is None:
            self.report.skipped["answers whose question was not imported"] += 1
            return
        question = db.session.get(Question, question_id)
        try:
            answer = add_answer(
                self.author(row),
                question,
                body=row.get("Body", ""),
                created_at=parse_timestamp(row.get("CreationDate")) or utcnow(),
                imported_score=self.imported_score(row),
            )
        except (ValidationFailed, ServiceError) as failure:
            self._skip("answers", failure)
            return
        self.registry.remember("post", row["Id"], answer.id)
        self._batch_questions.append(question.id)
        self.report.created["answers"] += 1
        self.report.check_personal_information("posts", answer.id, answer.body)
        if self.pending_accept.get(parent) == row["Id"]:
            accept(question, answer)
            self.pending_accept.pop(parent)
            self.report.created["accepted answers"] += 1

    def _skip(self, what: str, failure: Exception) -> None:
        fields = sorted(failure.errors) if isinstance(failure, ValidationFailed) else [type(failure).__name__]
        self.report.skipped[f"{what} refused by our rules ({', '.join(fields)})"] += 1

    def _describe_tag(self, name: str, body: str) -> None:
        tag = db.session.scalar(sa.select(Tag).where(Tag.name == name))
        if tag is None or tag.description:
            return
        try:
            tag.description_html = render_body(body, field="description")
        except ValidationFailed:
            return
        tag.description = body

    # ------------------------------------------------------------ duplicates

    def import_links(self) -> None:
        path = self.folder / "PostLinks.xml"
        if not path.exists():
            return
        with write_transaction():
            for row in iter_rows(path, self.progress, "links"):
                if row.get("LinkTypeId") != "3" or self.registry.get("postlink", row.get("Id")) is not None:
                    continue
                duplicate_id = self.registry.get("post", row.get("PostId"))
                original_id = self.registry.get("post", row.get("RelatedPostId"))
                duplicate = db.session.get(Question, duplicate_id) if duplicate_id else None
                original = db.session.get(Question, original_id) if original_id else None
                if duplicate is None or original is None or duplicate.id == original.id:
                    self.report.skipped["duplicate links to posts not imported"] += 1
                    continue
                closed = parse_timestamp(self.closed_dates.get(row["PostId"])) or parse_timestamp(row.get("CreationDate"))
                duplicate.closed_at = closed or utcnow()
                duplicate.close_reason = "duplicate"
                duplicate.duplicate_of_id = original.id
                self.registry.remember("postlink", row["Id"], duplicate.id)
                self.report.created["questions closed as duplicates"] += 1


def import_dump(folder: str | Path, *, limit: int | None = None, source: str | None = None, progress: Progress = no_progress) -> ImportReport:
    """Import (or continue importing) a dump folder. Safe to run again: known ids are skipped."""
    folder = Path(folder)
    if not (folder / "Posts.xml").exists():
        raise FileNotFoundError(folder / "Posts.xml")
    importer = _Importer(folder, f"stackexchange:{source or folder.resolve().name}", limit, progress)
    with indexing.deferred(), patient_rendering():
        importer.import_users()
        importer.import_tags()
        importer.tally_votes()
        importer.import_posts()
        importer.import_links()
    applied = indexing.try_sync()
    importer.report.notes.append(
        f"search index: {applied} changes applied" if applied is not None else "search index busy: run `flask search sync`"
    )
    return importer.report
