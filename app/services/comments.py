"""Comments: short plain-text remarks on a question or an answer."""

from collections.abc import Collection

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, Comment, Post, Question, User, utcnow
from app.services import audit, notifications, permissions, privacy_guard, privileges, questions
from app.services.errors import NotFound, PermissionDenied
from app.services.posting import check_comment


def add_comment(
    author: User, post: Post, body: str, *, confirmed_categories: Collection[str] | privacy_guard.Unchecked = ()
) -> Comment:
    """Comment. Raises PersonalInformationFound like `questions.ask_question`."""
    permissions.ensure_can_write(author)
    privileges.require(author, "comment")
    body = check_comment(body)
    confirmed = privacy_guard.check({"body": body}, confirmed_categories)
    with write_transaction():
        db.session.refresh(post)
        question = post if isinstance(post, Question) else post.question
        if post.is_deleted or question.is_deleted:
            raise PermissionDenied()
        comment = Comment(post_id=post.id, author_id=author.id, body=body)
        db.session.add(comment)
        db.session.flush()
        privacy_guard.record_confirmation(author, confirmed, "comment", comment.id)
        question.last_activity_at = utcnow()
        notifications.notify(post.author, "comment", author, question, post.id if isinstance(post, Answer) else None)
    return comment


def get_comment(viewer: User | None, comment_id: int) -> Comment:
    """A comment the viewer may read (on a post they may read), or NotFound."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.deleted_at is not None or not permissions.can_see_hidden(viewer, comment):
        raise NotFound(comment_id)
    post = comment.post
    questions.get_question(viewer, post.question_id or post.id)
    if isinstance(post, Answer) and (post.is_deleted or not permissions.can_see_hidden(viewer, post)):
        raise NotFound(comment_id)
    return comment


def delete_comment(actor: User, comment: Comment, *, reason: str | None = None, by_review: bool = False) -> None:
    """`reason`: a removal code when a moderator or a reviewer removes someone else's comment."""
    if not permissions.can_delete_comment(actor, comment, by_review=by_review):
        raise PermissionDenied()
    with write_transaction():
        comment.deleted_at = utcnow()
        audit.record(actor, "comment_delete", "comment", comment.id, post=comment.post_id, **({"reason": reason} if reason else {}))
