"""The demo seed: loads on an empty database only, and every invariant holds afterwards."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Adoption, Answer, CareerEntry, Post, Question, Tag, User, Vote, question_tags
from app.services import counters, curation, handover, reputation, seed, transfer


@pytest.mark.privileges  # `make run` seeds under the production thresholds
def test_demo_loads_once_and_keeps_every_invariant(app):
    configured = dict(app.config["PRIVILEGE_THRESHOLDS"])
    assert configured["vote_down"] > 0
    assert seed.load_demo(progress=lambda _message: None) is True
    assert app.config["PRIVILEGE_THRESHOLDS"] == configured  # the history replayed as on a new site, then back
    assert seed.load_demo(progress=lambda _message: None) is False  # not empty any more: no-op

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) >= 150
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) >= 30
    holders = db.session.scalars(
        sa.select(User.display_name)
        .join(CareerEntry, CareerEntry.user_id == User.id)
        .where(CareerEntry.organization_code == "141003", CareerEntry.department_key.contains("債権回収課"))
    ).all()
    assert len(holders) >= 3  # a chain of 前任者 for the transfer demo
    successor = db.session.scalar(sa.select(User).where(User.email == "h-yamada@city.yokohama.lg.jp"))
    guide = transfer.onboarding(successor)
    assert "年間の流れ" in guide.note.body and guide.note.updated_by.display_name == "鈴木 大輔"  # her predecessor's 引継書
    assert len(handover.linked_questions(successor, guide.note)) == 3
    assert [c.title for c in guide.collections] == ["債権回収 はじめの5問"]
    assert len(curation.shown_items(successor, guide.collections[0])) == 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Adoption)) == 16  # seed/adoptions.json, one per organization
    org_admins = db.session.scalars(sa.select(User.email).where(User.is_org_admin.is_(True))).all()
    assert org_admins == ["ke-sato@city.yokohama.lg.jp"]  # 横浜市's analytics for the demo

    vote_sums = dict(db.session.execute(sa.select(Vote.post_id, sa.func.sum(Vote.value)).group_by(Vote.post_id)).all())
    for post_id, score in db.session.execute(sa.select(Post.id, Post.score)):
        assert score == vote_sums.get(post_id, 0)
    for user in db.session.scalars(sa.select(User)):
        assert user.reputation == reputation.recompute(user.id), user.email
    visible_answers = dict(
        db.session.execute(
            sa.select(Answer.question_id, sa.func.count()).where(Answer.deleted_at.is_(None)).group_by(Answer.question_id)
        ).all()
    )
    for question in db.session.scalars(sa.select(Question)):
        assert question.answer_count == visible_answers.get(question.id, 0)
        assert question.created_at <= question.last_activity_at
    tag_counts = dict(
        db.session.execute(sa.select(question_tags.c.tag_id, sa.func.count()).group_by(question_tags.c.tag_id)).all()
    )
    for tag in db.session.scalars(sa.select(Tag)):
        assert tag.question_count == tag_counts.get(tag.id, 0), tag.name
    assert counters.value(counters.VISIBLE_QUESTIONS) == counters.count_visible_questions()
    _assert_groups_and_meetings()


def _assert_groups_and_meetings() -> None:
    """Issue 17 part 5: three groups with members, two past meetings with notes and linked Q&As,
    one meeting next week, one members-only question (dates relative to the day the seed ran)."""
    from datetime import timedelta

    from app.models import utcnow
    from app.models.community import Group, GroupMembership, Meeting
    from app.services import meetings

    groups = {group.name: group for group in db.session.scalars(sa.select(Group))}
    assert set(groups) == {"財政", "債権回収", "ワクチン接種"}
    for group in groups.values():
        roles = set(db.session.scalars(sa.select(GroupMembership.role).where(GroupMembership.group_id == group.id)))
        assert roles == {"organizer", "member"} and group.tags
    past = db.session.scalars(sa.select(Meeting).where(Meeting.ends_at < utcnow())).all()
    assert len(past) == 2
    for meeting in past:
        assert meeting.notes_published_at and meetings.linked_questions(meeting) and meetings.split_notes(meeting.notes)[1]
    [upcoming] = db.session.scalars(sa.select(Meeting).where(Meeting.starts_at > utcnow())).all()
    assert upcoming.group.name == "債権回収" and timedelta(days=5) < upcoming.starts_at - utcnow() < timedelta(days=8)
    [private] = db.session.scalars(sa.select(Question).where(Question.visibility == "group")).all()
    assert private.group_id == groups["債権回収"].id
    assert meetings.search_meetings("予約システム") == [m for m in past if m.group.name == "ワクチン接種"]
