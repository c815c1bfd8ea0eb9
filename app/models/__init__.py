"""All models, importable from one place: `from app.models import Question`."""

from app.models.base import utcnow
from app.models.career import CareerEntry, career_entry_tags
from app.models.imports import ImportRecord
from app.models.moderation import CloseVote, Flag, ReputationEvent, SuggestedEdit
from app.models.ops import ApiToken, AuditLog, Counter, MailMessage, Notification, RateLimitCounter, SearchOutbox
from app.models.organization import Organization
from app.models.post import Answer, Comment, Post, Question, Revision, Vote
from app.models.tag import SearchSynonym, Tag, TagSynonym, question_tags
from app.models.user import User

__all__ = [
    "Answer",
    "ApiToken",
    "AuditLog",
    "CareerEntry",
    "CloseVote",
    "Comment",
    "Counter",
    "Flag",
    "ImportRecord",
    "MailMessage",
    "Notification",
    "Organization",
    "Post",
    "Question",
    "RateLimitCounter",
    "ReputationEvent",
    "Revision",
    "SearchOutbox",
    "SearchSynonym",
    "SuggestedEdit",
    "Tag",
    "TagSynonym",
    "User",
    "Vote",
    "career_entry_tags",
    "question_tags",
    "utcnow",
]
