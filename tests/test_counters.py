"""The site counters (app/services/counters.py) stay equal to what they count, through every
path that makes a question visible or invisible: the list pages trust them for their page count."""

import pytest

from app.database import write_transaction
from app.extensions import db
from app.models import Counter
from app.services import counters, questions, tokens
from app.services.errors import PermissionDenied
from tests.factories import login, make_answer, make_question


def _consistent() -> int:
    db.session.expire_all()
    stored = counters.value(counters.VISIBLE_QUESTIONS)
    assert stored == counters.count_visible_questions()
    return stored


def test_ask_delete_and_undelete_move_the_visible_question_counter(app, alice, bob, moderator):
    assert _consistent() == 0
    first = make_question(alice, title="住民税の特別徴収の切替手続きについて")
    second = make_question(bob, title="督促状の発送時期はいつですか", tags="債権回収")
    make_answer(bob, first)
    assert _consistent() == 2
    questions.delete_question(bob, second)
    assert _consistent() == 1
    with pytest.raises(PermissionDenied):
        questions.delete_question(moderator, second)  # already deleted: refused, nothing moves twice
    assert _consistent() == 1
    questions.undelete_question(moderator, second)
    assert _consistent() == 2
    questions.undelete_question(moderator, second)
    assert _consistent() == 2
    with pytest.raises(PermissionDenied):
        questions.delete_question(alice, second)  # not hers: refused, the counter stays
    assert _consistent() == 2


def test_a_failed_ask_rolls_the_counter_back(app, alice):
    with pytest.raises(RuntimeError), write_transaction():
        counters.adjust(counters.VISIBLE_QUESTIONS, +1)
        raise RuntimeError("the transaction fails after the counter moved")
    assert _consistent() == 0


def test_pages_through_the_web_and_the_api_keep_it(client, alice, bob):
    login(client, bob)
    response = client.post(
        "/questions/ask",
        data={"title": "転入届の受付時間について教えてください", "body": "窓口の延長を検討しています。", "tags": "住民票"},
    )
    assert response.status_code == 302
    secret = tokens.create_token(alice, "テスト", "write").secret
    response = client.post(
        "/api/v1/questions",
        json={"title": "ワクチン接種券の再発行について", "body": "電子申請で受け付けていますか？", "tags": ["ワクチン接種"]},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201, response.get_json()
    assert _consistent() == 2
    page = client.get("/questions").get_data(as_text=True)
    assert "転入届の受付時間" in page and "ワクチン接種券の再発行" in page


def test_recount_repairs_a_counter_written_around(app, alice):
    make_question(alice)
    with write_transaction():
        db.session.get(Counter, counters.VISIBLE_QUESTIONS).value = 99
    with write_transaction():
        counters.recount()
    assert _consistent() == 1
