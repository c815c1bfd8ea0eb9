"""Who may do what. Services enforce these; templates use them to show or hide buttons."""

from app.models import Answer, Comment, Post, Question, User, utcnow
from app.services import privileges
from app.services.errors import Suspended


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


def can_delete(user: User | None, post: Post, *, by_review: bool = False) -> bool:
    """`by_review`: the review queue (app.services.review) has checked that this reviewer may
    remove this flagged or first post with a reason."""
    if not _is_member(user) or post.is_deleted:
        return False
    if user.is_moderator or by_review:
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


def can_delete_comment(user: User | None, comment: Comment, *, by_review: bool = False) -> bool:
    return (
        _is_member(user)
        and comment.deleted_at is None
        and (comment.author_id == user.id or user.is_moderator or by_review)
    )


def can_view_deleted(user: User | None) -> bool:
    return _is_member(user) and user.is_moderator


def can_see_hidden(user: User | None, item: Post | Comment) -> bool:
    """A flagged post or comment waiting for a moderator: only its author and moderators see it."""
    return item.hidden_at is None or (_is_member(user) and (user.is_moderator or item.author_id == user.id))


def can_flag(user: User | None, item: Post | Comment) -> bool:
    """Whether to offer 「報告」 (app.services.flags checks again, and refuses a second flag)."""
    return (
        _is_member(user)
        and item.author_id != user.id
        and item.deleted_at is None
        and privileges.has(user, "flag")
    )


def is_suspended(user: User | None) -> bool:
    # Ends by itself: once the date has passed, nothing needs to be cleared.
    return _is_member(user) and user.suspended_until is not None and user.suspended_until > utcnow()


def ensure_can_write(user: User) -> None:
    """Every writing service (posts, edits, comments, votes, flags) calls this first."""
    if is_suspended(user):
        raise Suspended(user.suspended_until)
