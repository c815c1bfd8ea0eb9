"""All models, importable from one place: `from app.models import Question`."""

from app.models.base import utcnow
from app.models.career import CareerEntry, career_entry_tags
from app.models.engagement import (
    Bookmark,
    DigestRun,
    NotificationPreference,
    QuestionFollow,
    TagWatch,
)
from app.models.imports import ImportRecord
from app.models.moderation import CloseVote, Flag, ReputationEvent, SuggestedEdit
from app.models.ops import (
    ApiToken,
    AuditLog,
    Counter,
    IndexConsumer,
    MailMessage,
    Notification,
    RateLimitCounter,
    SearchOutbox,
    Upload,
)
from app.models.organization import Organization
from app.models.post import Answer, Comment, Post, Question, Revision, Vote
from app.models.tag import SearchSynonym, Tag, TagSynonym, question_tags
from app.models.user import User

__all__ = [
    "Answer",
    "ApiToken",
    "AuditLog",
    "Bookmark",
    "CareerEntry",
    "CloseVote",
    "Comment",
    "Counter",
    "DigestRun",
    "Flag",
    "ImportRecord",
    "IndexConsumer",
    "MailMessage",
    "Notification",
    "NotificationPreference",
    "Organization",
    "Post",
    "Question",
    "QuestionFollow",
    "RateLimitCounter",
    "ReputationEvent",
    "Revision",
    "SearchOutbox",
    "SearchSynonym",
    "SuggestedEdit",
    "Tag",
    "TagSynonym",
    "TagWatch",
    "Upload",
    "User",
    "Vote",
    "career_entry_tags",
    "question_tags",
    "utcnow",
]
