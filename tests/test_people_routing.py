"""この人に聞く (directed questions) and expert routing: who is told, the weekly cap, the rotation."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, Question, utcnow
from app.models.ops import QuestionRoute
from app.services import questions, routing
from app.services.errors import ValidationFailed
from tests.factories import login, make_user
from tests.people_factories import add_post

VACCINE = "ワクチン接種"


def _ask(asker, n: int = 1, *, to=None, tags: str = VACCINE) -> Question:
    title = f"接種券の再発行はどう受け付けていますか（その{n}）"
    body = "転入者からの再発行依頼が増えています。窓口と電子申請の使い分けを知りたいです。"
    return questions.ask_question(asker, questions.QuestionInput(title, body, tags, directed_to_id=to.id if to else None))


def _experts(count: int, *, started: int = 36):
    """Equally experienced people: each has held a ワクチン接種 post for the same three years."""
    people = []
    for n in range(count):
        person = make_user(name=f"接種担当 {n + 1}", org="141003")
        add_post(person, "健康福祉局 予防接種担当", tags=VACCINE, started=started + 6, ended=started - 30)
        people.append(person)
    return people


def _routed(question: Question) -> set[int]:
    return set(
        db.session.scalars(sa.select(QuestionRoute.user_id).where(QuestionRoute.question_id == question.id, QuestionRoute.kind == "routed"))
    )


def _notified(user, kind: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Notification.user_id == user.id, Notification.kind == kind))


def test_asking_a_person_directly(client, alice, bob, outbox):
    login(client, alice)
    page = client.get(f"/users/{bob.id}/ask?tags=債権回収").get_data(as_text=True)
    assert "大阪 ボブ さんに質問する" in page and 'value="債権回収"' in page
    response = client.post(
        f"/users/{bob.id}/ask",
        data={"title": "滞納繰越分の徴収率を上げる工夫は？🙏", "body": "着任したばかりです。年度末までに打てる手を教えてください。", "tags": "債権回収"},
    )
    assert response.status_code == 302
    question = db.session.scalar(sa.select(Question))
    route = db.session.scalar(sa.select(QuestionRoute))
    assert (route.question_id, route.user_id, route.kind) == (question.id, bob.id, "directed")
    assert _notified(bob, "directed") == 1
    mail = sorted(outbox.glob("*.eml"))[-1].read_bytes().decode()
    assert "bob@city.osaka.lg.jp" in mail
    assert _notified(alice, "directed") == 0
    client.post("/logout")
    login(client, bob)
    assert "横浜 アリス さんがあなたに質問しました" in client.get("/notifications").get_data(as_text=True)
    assert "滞納繰越分の徴収率を上げる工夫は？🙏" in client.get("/questions").get_data(as_text=True)


def test_a_question_keeps_what_was_typed_when_invalid(client, alice, bob):
    login(client, alice)
    response = client.post(f"/users/{bob.id}/ask", data={"title": "短い", "body": "本文です。", "tags": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "短い" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionRoute)) == 0


def test_nobody_is_asked_who_cannot_be(client, alice, bob):
    with pytest.raises(ValidationFailed):
        _ask(alice, to=alice)
    bob.disabled_at = utcnow()
    db.session.commit()
    with pytest.raises(ValidationFailed):
        _ask(alice, to=bob)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0  # rolled back whole
    login(client, alice)
    assert client.get(f"/users/{bob.id}/ask").status_code == 404
    assert client.get(f"/users/{alice.id}/ask").headers["Location"].endswith("/questions/ask")


def test_routing_tells_experts_but_never_the_asker_or_the_addressee(app, alice):
    first, second, third = _experts(3)
    question = _ask(first)
    assert first.id not in _routed(question)
    assert len(_routed(question)) == 2

    question = _ask(alice, 2, to=second)
    assert second.id not in _routed(question)
    assert _notified(second, "directed") == 1
    assert _routed(question) == {first.id, third.id}


def test_people_who_opted_out_are_never_routed(client, alice):
    first, second = _experts(2)
    login(client, first)
    response = client.post(
        "/settings",
        data={"display_name": first.display_name, "department": "", "bio": "", "career_visibility": "members", "notify_by_email": "y"},
    )
    assert response.status_code == 302
    db.session.refresh(first)
    assert first.routing_opt_in is False  # the checkbox left unticked
    assert _routed(_ask(alice)) == {second.id}


def test_imported_questions_are_not_routed(app):
    (expert,) = _experts(1)
    placeholder = make_user(name="インポートされた投稿者")
    placeholder.email_verified_at = None  # as the importers create authors: they cannot log in
    db.session.commit()
    assert _routed(_ask(placeholder)) == set()
    assert routing.weekly_load(expert) == 0  # history does not use up anyone's weekly cap


def test_weak_signals_are_not_routed(app, alice, bob):
    newcomer = make_user(name="着任1か月", org="141003")
    add_post(newcomer, "健康福祉局 予防接種担当", tags=VACCINE, started=0)  # 5 points: current holder only
    assert _routed(_ask(alice)) == {newcomer.id}
    add_post(bob, "市民局 住民情報担当", tags="住民基本台帳", started=2)  # another area entirely
    assert bob.id not in _routed(_ask(alice, 2))


def test_the_weekly_cap_spreads_the_load(app_factory):
    app = app_factory(ROUTING_WEEKLY_CAP=2, ROUTING_PER_QUESTION=1)
    with app.app_context():
        asker = make_user(name="質問者")
        (expert,) = _experts(1)
        routed = [_routed(_ask(asker, n)) for n in range(1, 4)]
        assert routed == [{expert.id}, {expert.id}, set()]  # two this week, then no more
        assert routing.weekly_load(expert) == 2
        db.session.execute(sa.update(QuestionRoute).values(created_at=utcnow() - timedelta(days=8)))
        db.session.commit()
        assert _routed(_ask(asker, 4)) == {expert.id}  # a new week


def test_equals_take_turns_least_recently_routed_first(app_factory):
    app = app_factory(ROUTING_PER_QUESTION=2, ROUTING_WEEKLY_CAP=10)
    with app.app_context():
        asker = make_user(name="質問者")
        a, b, c, d = _experts(4)
        rounds = [_routed(_ask(asker, n)) for n in range(1, 5)]
        assert rounds == [{a.id, b.id}, {c.id, d.id}, {a.id, b.id}, {c.id, d.id}]
        load = routing.routing_load([a.id, b.id, c.id, d.id])
        assert {user_id: count for user_id, (count, _last) in load.items()} == {a.id: 2, b.id: 2, c.id: 2, d.id: 2}


def test_the_settings_page_shows_the_opt_in_and_this_weeks_load(client, alice):
    (expert,) = _experts(1)
    _ask(alice)
    login(client, expert)
    page = client.get("/settings").get_data(as_text=True)
    assert "checked" in re.search(r'<input[^>]*name="routing_opt_in"[^>]*>', page).group(0)
    assert "今週届いた件数: 1件" in page and "1週間に3件まで" in page
