"""Collections (まとめ): who curates them, items in order, what readers see, saving them."""

import pytest

from app.extensions import db
from app.models import AuditLog, Collection
from app.services import curation, questions, transfer
from app.services.errors import PermissionDenied, PersonalInformationFound, ValidationFailed
from tests.factories import login, make_question, make_user
from tests.people_factories import add_post


@pytest.fixture
def expert(app):
    """Three years in 債権回収: the first of the tag's experts."""
    person = make_user(name="回収 ベテラン", org="141003")
    add_post(person, "財政局 債権回収課", started=36)
    return person


@pytest.fixture
def qs(alice):
    return [
        make_question(alice, f"債権回収の基本その{n}：催告の時期は？", tags="債権回収")
        for n in ("１", "２", "３")  # full-width digits, as typed
    ]


def _collection(actor, title="債権回収 はじめの10問", intro="着任したら**この順に**読んでください。", department=""):
    return curation.create_collection(actor, curation.CollectionInput(title, intro, "債権回収", department))


def test_experts_and_moderators_curate_others_do_not(app, expert, qs, bob, moderator):
    tag = qs[0].tags[0]
    assert curation.can_curate(expert, tag) and curation.can_curate(moderator, tag)
    assert not curation.can_curate(bob, tag)
    with pytest.raises(PermissionDenied):
        _collection(bob)
    collection = _collection(expert)
    assert "<strong>この順に</strong>" in collection.intro_html
    assert curation.can_edit(expert, collection) and not curation.can_edit(bob, collection)
    with pytest.raises(ValidationFailed):
        curation.create_collection(expert, curation.CollectionInput("", "", "存在しないタグ"))


def test_items_are_added_reordered_annotated_and_removed(app, expert, qs):
    collection = _collection(expert)
    curation.add_item(expert, collection, f"http://localhost/questions/{qs[0].id}/slug")
    curation.add_item(expert, collection, str(qs[1].id).translate(str.maketrans("0123456789", "０１２３４５６７８９")))
    curation.add_item(expert, collection, f"/questions/{qs[2].id}")
    with pytest.raises(ValidationFailed):  # twice
        curation.add_item(expert, collection, str(qs[0].id))
    with pytest.raises(ValidationFailed):
        curation.add_item(expert, collection, "ｱｲｳ")  # half-width kana is no question number
    curation.move_item(expert, collection, qs[2].id, "up")
    curation.move_item(expert, collection, qs[0].id, "up")  # already first: nothing changes
    curation.set_item_note(expert, collection, qs[2].id, "まずこれ👍")
    assert [(item.question.id, item.note) for item in curation.shown_items(expert, collection)] == [
        (qs[0].id, ""), (qs[2].id, "まずこれ👍"), (qs[1].id, ""),
    ]  # fmt: skip
    curation.remove_item(expert, collection, qs[0].id)
    assert [item.position for item in curation.shown_items(expert, collection)] == [1, 2]
    with pytest.raises(PersonalInformationFound):
        curation.set_item_note(expert, collection, qs[1].id, "滞納者の携帯 090-1234-5678")


def test_removed_and_hidden_questions_are_not_shown(app, expert, qs, moderator):
    collection = _collection(expert)
    for question in qs:
        curation.add_item(expert, collection, str(question.id))
    questions.delete_question(moderator, qs[1], reason="spam")
    assert [item.question.id for item in curation.shown_items(expert, collection)] == [qs[0].id, qs[2].id]


def test_collections_show_on_the_tag_page_and_on_onboarding(client, expert, qs, carol):
    collection = _collection(expert, department="財政局 債権回収課")
    curation.add_item(expert, collection, str(qs[0].id))
    newcomer = make_user(name="新任 田中", org="141003")
    add_post(newcomer, "財政局債権回収課", tags="", started=0)  # no tags: found by the post
    assert [c.id for c in transfer.onboarding(newcomer).collections] == [collection.id]
    login(client, carol)
    page = client.get("/tags/債権回収").get_data(as_text=True)
    assert "債権回収 はじめの10問" in page and "まとめを作る" not in page
    client.post("/logout")
    login(client, newcomer)
    assert "債権回収 はじめの10問" in client.get("/transfer/onboarding").get_data(as_text=True)


def test_members_save_collections(client, expert, qs, carol):
    collection = _collection(expert)
    login(client, carol)
    assert "保存したまとめはまだありません。" in client.get("/collections/saved").get_data(as_text=True)
    assert client.post(f"/collections/{collection.id}/save", data={"saved": "1"}).status_code == 302
    assert client.post(f"/collections/{collection.id}/save", data={"saved": "1"}).status_code == 302  # twice: one row
    assert [c.id for c in curation.saved_collections(carol)] == [collection.id]
    assert "債権回収 はじめの10問" in client.get("/collections/saved").get_data(as_text=True)
    assert client.post(f"/collections/{collection.id}/save", data={"saved": "x"}).status_code == 400
    client.post(f"/collections/{collection.id}/save", data={"saved": "0"})
    assert curation.saved_collections(carol) == []


def test_curating_through_the_pages_and_refusals(client, expert, qs, carol, moderator):
    login(client, carol)
    assert client.get("/tags/債権回収/collections/new").status_code == 403
    client.post("/logout")
    login(client, expert)
    assert "まとめを作る" in client.get("/tags/債権回収").get_data(as_text=True)
    held = client.post("/tags/債権回収/collections/new", data={"title": "はじめの3問", "intro": "係の携帯 090-1234-5678", "tag": "債権回収"})
    assert held.status_code == 422
    created = client.post("/tags/債権回収/collections/new", data={"title": "はじめの3問", "intro": "順に読む", "tag": "債権回収"})
    collection_id = int(created.headers["Location"].rsplit("/", 2)[-2])
    for question in qs:
        client.post(f"/collections/{collection_id}/items", data={"question": str(question.id), "note": "ﾎﾟｲﾝﾄ"})
    client.post(f"/collections/{collection_id}/items/{qs[2].id}/move", data={"direction": "up"})
    page = client.get(f"/collections/{collection_id}").get_data(as_text=True)
    assert page.index(qs[2].title) < page.index(qs[1].title) and "ﾎﾟｲﾝﾄ" in page
    assert client.post(f"/collections/{collection_id}/items/{qs[2].id}/move", data={"direction": "left"}).status_code == 400
    client.post("/logout")
    login(client, carol)
    assert client.get(f"/collections/{collection_id}/edit").status_code == 403
    assert client.post(f"/collections/{collection_id}/items/{qs[0].id}/delete").status_code == 403
    client.post("/logout")
    login(client, moderator)
    assert client.post(f"/collections/{collection_id}/delete").status_code == 302
    assert db.session.get(Collection, collection_id).deleted_at is not None
    assert db.session.query(AuditLog).filter_by(action="collection_delete", target_id=collection_id).count() == 1
    assert client.get(f"/collections/{collection_id}").status_code == 404
