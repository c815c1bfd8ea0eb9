"""Comments: short plain-text remarks on a question or an answer."""

from collections.abc import Collection

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, Comment, Post, Question, User, utcnow
from app.services import audit, notifications, permissions, privacy_guard, privileges
from app.services.errors import PermissionDenied
from app.services.posting import check_comment


def add_comment(
    author: User, post: Post, body: str, *, confirmed_categories: Collection[str] | privacy_guard.Unchecked = ()
) -> Comment:
    """Comment. Raises PersonalInformationFound like `questions.ask_question`."""
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


def delete_comment(actor: User, comment: Comment) -> None:
    if not permissions.can_delete_comment(actor, comment):
        raise PermissionDenied()
    with write_transaction():
        comment.deleted_at = utcnow()
        audit.record(actor, "comment_delete", "comment", comment.id, post=comment.post_id)
