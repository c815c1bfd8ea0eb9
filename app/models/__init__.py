"""All models, importable from one place: `from app.models import Question`."""

from app.models.base import utcnow
from app.models.career import CareerEntry, career_entry_tags
from app.models.community import (
    Group,
    GroupMembership,
    Meeting,
    MeetingRegistration,
    QuestionView,
    group_tags,
)
from app.models.engagement import (
    Bookmark,
    DigestRun,
    NotificationPreference,
    QuestionFollow,
    TagWatch,
)
from app.models.imports import ImportRecord
from app.models.knowledge import (
    Adoption,
    Collection,
    CollectionItem,
    Confirmation,
    HandoverNote,
    HandoverRevision,
    LawAmendment,
    PostLaw,
    SavedCollection,
)
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
    "Adoption",
    "Answer",
    "ApiToken",
    "AuditLog",
    "Bookmark",
    "CareerEntry",
    "CloseVote",
    "Collection",
    "CollectionItem",
    "Comment",
    "Confirmation",
    "Counter",
    "DigestRun",
    "Flag",
    "Group",
    "GroupMembership",
    "HandoverNote",
    "HandoverRevision",
    "ImportRecord",
    "IndexConsumer",
    "LawAmendment",
    "MailMessage",
    "Meeting",
    "MeetingRegistration",
    "Notification",
    "NotificationPreference",
    "Organization",
    "Post",
    "PostLaw",
    "Question",
    "QuestionFollow",
    "QuestionView",
    "RateLimitCounter",
    "ReputationEvent",
    "Revision",
    "SavedCollection",
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
    "group_tags",
    "question_tags",
    "utcnow",
]
