"""Redaction: personal information removed from everything stored about a thread, for good.

A passage is replaced by PLACEHOLDER wherever the thread (the question and all its answers,
removed ones too) stores it: current titles and bodies (HTML re-rendered), every revision's
title, body and edit summary, moderators' removal notes, the comments on those posts, and the
e-mail (queued or sent) that links to the question. Feeds, the API and exports read these
rows; the search index and the database files are scrubbed after the commit.

The author may redact what is in their own post (any revision); quotes of it elsewhere in the
thread go with it. Moderators may redact any passage stored in the thread (comments and mail too). Matching folds both sides
as search does (NFKC, lower case, katakana = hiragana: １２３ = 123, ｶﾜｻｷ = カワサキ) and
ignores whitespace, so a passage copied from the page or the history matches its stored form.

A whole revision can be redacted too; if it is the current one, the post's current title and
body become the placeholder as well (one step, no edit needed first). The audit row names
the posts and revisions touched, the count and a reason code, never the text: the log is
append-only, so nothing typed into it could ever be removed (hence no free-text reason).
"""

import re
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import indexing
from app.database import scrub_old_versions, write_transaction
from app.extensions import db
from app.models import Comment, MailMessage, Post, Question, Revision, User, utcnow
from app.models.post import COMMENT_MAX, TITLE_MAX
from app.services import audit, permissions, revisions
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.posting import render_body
from app.text import clean_text
from search import SearchUnavailable
from search.ja import fold_with_offsets

PLACEHOLDER = "（個人情報のため削除されました）"
PASSAGE_MIN = 2  # characters, whitespace aside
PASSAGE_MAX = 2000
REASONS = {
    "my_number": _l("個人番号（マイナンバー）"),
    "identity": _l("氏名など個人を特定できる情報"),
    "contact": _l("住所・電話番号・メールアドレス"),
    "sensitive": _l("健康・生活状況など特に配慮が必要な情報"),
    "request": _l("本人または所属団体からの削除依頼"),
    "other": _l("その他の個人情報"),
}
# Tables whose old row versions are scrubbed after a redaction.
_TABLES = ("posts", "revisions", "comments", "mail_messages")
_SUMMARY_MAX = 200
_SUBJECT_MAX = 200
_NOTE_MAX = 500


@dataclass(frozen=True)
class Redaction:
    occurrences: int  # places replaced, counting every stored copy
    revisions: int
    comments: int
    mails: int


def _compact(text: str) -> tuple[str, list[int], list[int]]:
    """`text` folded as search folds it, without whitespace, and each character's span in `text`."""
    folded, starts, ends = fold_with_offsets(text)
    kept = [i for i, char in enumerate(folded) if not char.isspace()]
    return "".join(folded[i] for i in kept), [starts[i] for i in kept], [ends[i] for i in kept]


class _Passage:
    def __init__(self, text: str):
        self.key = _compact(clean_text(text))[0]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the passage is in `text`, left to right, never inside an earlier placeholder."""
        compact, starts, ends = _compact(text)
        placeholders = [match.span() for match in re.finditer(re.escape(PLACEHOLDER), text)]
        spans: list[tuple[int, int]] = []
        at = compact.find(self.key)
        while at != -1:
            start, end = starts[at], ends[at + len(self.key) - 1]
            if any(s < end and start < e for s, e in placeholders):
                at = compact.find(self.key, at + 1)
                continue
            # A character that folds into several (㍻ → 平成) can end one match and start the next.
            spans.append((max(start, spans[-1][1]) if spans else start, end))
            at = compact.find(self.key, at + len(self.key))
        return spans

    def redact(self, text: str | None, limit: int | None = None) -> tuple[str | None, int]:
        """`text` with each occurrence replaced by the placeholder (cut to `limit`), and their count."""
        spans = self.spans(text) if text else []
        if not spans:
            return text, 0
        parts, last = [], 0
        for start, end in spans:
            parts += [text[last:start], PLACEHOLDER]
            last = end
        parts.append(text[last:])
        return "".join(parts)[:limit], len(spans)


def _check(actor: User, post: Post, reason: str) -> None:
    if not permissions.can_redact(actor, post):
        raise PermissionDenied()
    if reason not in REASONS:
        raise ValidationFailed({"reason": _("削除の理由を選んでください。")})


def _not_found() -> ValidationFailed:
    return ValidationFailed(
        {
            "passage": _(
                "入力した文字列はこの投稿（編集履歴を含む）に見つかりませんでした。"
                "編集履歴に表示されている本文から、そのままコピーして貼り付けてください。"
            )
        }
    )


def _thread(post: Post) -> tuple[Question, list[Post]]:
    """The thread's question and all its posts (removed ones too), locked for the change."""
    question_id = post.question_id or post.id
    posts = list(
        db.session.scalars(
            sa.select(Post)
            .where(sa.or_(Post.id == question_id, Post.question_id == question_id))
            .order_by(Post.id)
            .with_for_update()
        )
    )
    return next(p for p in posts if p.id == question_id), posts


def _revisions(post_ids: list[int]) -> list[Revision]:
    return list(
        db.session.scalars(
            sa.select(Revision).where(Revision.post_id.in_(post_ids)).order_by(Revision.post_id, Revision.number)
        )
    )


def _mails_about(question_id: int) -> list[MailMessage]:
    """Mail about the question: every notification links to it (an anchor may follow)."""
    path = f"/questions/{question_id}"
    link = re.compile(re.escape(path) + r"(?![0-9])")
    candidates = db.session.scalars(sa.select(MailMessage).where(MailMessage.body.contains(path, autoescape=True)))
    return [mail for mail in candidates if link.search(mail.body)]


def _finish() -> None:
    """After the commit: the index files and the database files keep no old copy either."""
    try:
        indexing.purge_redactions(timeout=current_app.config["SEARCH_WRITE_TIMEOUT"])
    except SearchUnavailable as error:
        current_app.logger.warning("redacted text not purged from the index now (%s); `flask search sync` will", error)
    try:
        if not scrub_old_versions(_TABLES):
            current_app.logger.warning(
                "database log not truncated after a redaction (busy readers); next checkpoint will"
            )
    except sa.exc.SQLAlchemyError:  # committed already: a failed clean-up must not turn into a 500
        current_app.logger.exception("old row versions not scrubbed after a redaction")


def redact_passage(actor: User, post: Post, passage: str, reason: str) -> Redaction:
    """Replace `passage` by the placeholder throughout `post`'s thread (see the module doc)."""
    _check(actor, post, reason)
    needle = _Passage(passage)
    if len(needle.key) < PASSAGE_MIN:
        raise ValidationFailed({"passage": _("削除する文字列を%(n)d文字以上入力してください。", n=PASSAGE_MIN)})
    if len(passage) > PASSAGE_MAX:
        raise ValidationFailed({"passage": _("削除する文字列は%(n)d文字以内にしてください。", n=PASSAGE_MAX)})
    with write_transaction():
        question, posts = _thread(post)
        versions = _revisions([p.id for p in posts])
        own = [post, *(r for r in versions if r.post_id == post.id)]
        if not actor.is_moderator and not any(
            needle.spans(item.title or "") or needle.spans(item.body) for item in own
        ):
            raise _not_found()
        count = 0
        for item in posts:
            item.title, n_title = needle.redact(item.title, TITLE_MAX)
            item.body, n_body = needle.redact(item.body)
            item.removal_note, n_note = needle.redact(item.removal_note, _NOTE_MAX)
            if n_body:
                item.body_html = render_body(item.body)
            count += n_title + n_body + n_note
        touched: dict[int, list[int]] = defaultdict(list)
        now = utcnow()
        for revision in versions:
            revision.title, n_title = needle.redact(revision.title, TITLE_MAX)
            revision.body, n_body = needle.redact(revision.body)
            revision.summary, n_summary = needle.redact(revision.summary, _SUMMARY_MAX)
            if n_title + n_body + n_summary:
                revision.redacted_at = now
                touched[revision.post_id].append(revision.number)
                count += n_title + n_body + n_summary
        comments = []
        for comment in db.session.scalars(sa.select(Comment).where(Comment.post_id.in_([p.id for p in posts]))):
            comment.body, n = needle.redact(comment.body, COMMENT_MAX)
            if n:
                comments.append(comment.id)
                count += n
        mails = []
        for mail in _mails_about(question.id):
            mail.subject, n_subject = needle.redact(mail.subject, _SUBJECT_MAX)
            mail.body, n_body = needle.redact(mail.body)
            n_html = 0
            if mail.html_body:  # the HTML part holds the same text (escaped)
                mail.html_body, n_html = needle.redact(mail.html_body)
            if n_subject + n_body + n_html:
                mails.append(mail.id)
                count += n_subject + n_body  # the HTML part repeats these: not counted twice
        if not count:  # a moderator's passage found nowhere in the thread: nothing was changed
            raise _not_found()
        audit.record(
            actor,
            "post_redact",
            "post",
            post.id,
            question_id=question.id,
            reason=reason,
            occurrences=count,
            revisions={str(post_id): numbers for post_id, numbers in touched.items()},
            comments=comments,
            mails=mails,
        )
    result = Redaction(count, sum(map(len, touched.values())), len(comments), len(mails))
    _finish()
    return result


def redact_revision(actor: User, post: Post, number: int, reason: str) -> Redaction:
    """Replace revision `number` of `post` (title, body, summary) by the placeholder. If it is
    the current revision, the post's current title and body become the placeholder too."""
    _check(actor, post, reason)
    with write_transaction():
        question = _thread(post)[0]
        revision = revisions.get_revision(post, number)
        revision.title = PLACEHOLDER if revision.title is not None else None
        revision.body = PLACEHOLDER
        revision.summary = PLACEHOLDER if revision.summary else ""
        revision.redacted_at = utcnow()
        current = number == post.revision_count
        if current:
            post.title = PLACEHOLDER if post.title is not None else None
            post.body = PLACEHOLDER
            post.body_html = render_body(PLACEHOLDER)
        audit.record(
            actor,
            "revision_redact",
            "post",
            post.id,
            question_id=question.id,
            reason=reason,
            revisions={str(post.id): [number]},
            current=current,
        )
    _finish()
    return Redaction(occurrences=1, revisions=1, comments=0, mails=0)
