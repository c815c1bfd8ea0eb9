"""Who may do what. Services enforce these; templates use them to show or hide buttons."""

from app.models import Answer, Comment, Post, Question, User
from app.services import privileges


def _is_member(user: User | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def is_verified_member(user: User | None) -> bool:
    """Signed in with a verified, active, real account: who may read a members-only site."""
    return _is_member(user) and user.is_active and user.is_verified and not user.is_placeholder


def is_author(user: User | None, post: Post) -> bool:
    return _is_member(user) and post.author_id == user.id


def can_edit(user: User | None, post: Post) -> bool:
    # A removed post stays as the moderator left it until a moderator restores it.
    if not _is_member(user) or (post.is_deleted and not user.is_moderator):
        return False
    return user.is_moderator or post.author_id == user.id or privileges.has(user, "edit_others")


def can_suggest_edit(user: User | None, post: Post) -> bool:
    """Below the edit privilege, an edit of someone else's post is a suggestion for review."""
    return _is_member(user) and not post.is_deleted and not can_edit(user, post)


def can_redact(user: User | None, post: Post) -> bool:
    """Remove personal information from a post and its history: its author, or a moderator
    (also on a removed post, which only moderators can see)."""
    return _is_member(user) and (user.is_moderator or (post.author_id == user.id and not post.is_deleted))


def can_delete(user: User | None, post: Post) -> bool:
    if not _is_member(user) or post.is_deleted:
        return False
    if user.is_moderator:
        return True
    if post.author_id != user.id:
        return False
    # An asker may not take away a question others have already answered.
    return not (isinstance(post, Question) and (post.answer_count or 0) > 0)


def can_accept(user: User | None, answer: Answer) -> bool:
    question = answer.question
    return (
        _is_member(user)
        and not answer.is_deleted
        and not question.is_deleted
        and (question.author_id == user.id or user.is_moderator)
    )


def can_vote(user: User | None, post: Post) -> bool:
    return _is_member(user) and post.author_id != user.id and not post.is_deleted


def can_delete_comment(user: User | None, comment: Comment) -> bool:
    return _is_member(user) and comment.deleted_at is None and (comment.author_id == user.id or user.is_moderator)


def can_view_deleted(user: User | None) -> bool:
    return _is_member(user) and user.is_moderator
