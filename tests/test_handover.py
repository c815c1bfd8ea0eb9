"""Handover notes (引継書): who writes and reads them, versions, the guard, and the transfer flow."""

import re

import pytest

from app.extensions import db
from app.models import HandoverRevision
from app.services import handover, transfer
from app.services.errors import Conflict, NotFound, PermissionDenied, PersonalInformationFound, ValidationFailed
from tests.factories import login, make_question, make_user
from tests.people_factories import add_post, month

BODY = "## 年間の流れ\n４月に催告書を発送します。ｶﾅの様式は共有フォルダにあります📁"


@pytest.fixture
def post(app):
    """横浜市 財政局 債権回収課: the predecessor left it; the successor holds it now."""
    predecessor = make_user(name="前任 佐藤", org="141003")
    left = add_post(predecessor, "財政局 債権回収課 徴収係", started=40, ended=1)
    add_post(predecessor, "総務局 人事課", tags="人事", started=0)
    successor = make_user(name="後任 山田", org="141003")
    add_post(successor, "財政局　債権回収課", started=0)
    return predecessor, left, successor


def _start(user, entry, body=BODY, visibility="organization", **kwargs):
    return handover.start_note(user, entry.id, handover.HandoverInput(body, visibility), **kwargs)


def test_the_predecessor_writes_the_note_and_the_successor_reads_it_on_onboarding(app, post):
    predecessor, left, successor = post
    note = _start(predecessor, left)
    assert (note.organization_code, note.department_key, note.revision_count) == ("141003", "財政局債権回収課徴収係", 1)
    assert "<h2>年間の流れ</h2>" in note.body_html
    linked = handover.edit_note(predecessor, note, handover.HandoverInput(BODY + "\n[催告](/questions/12)"), base_revision=1)
    assert '<a href="/questions/12"' in linked.body_html
    scripted = handover.edit_note(predecessor, note, handover.HandoverInput(BODY + "<script>alert(1)</script>"), base_revision=2)
    assert "<script>" not in scripted.body_html and scripted.revision_count == 3
    guide = transfer.onboarding(successor)
    assert guide.note.id == note.id  # 「財政局 債権回収課」 and its 徴収係 are the same post
    assert transfer.onboarding(predecessor).handover.note.id == note.id  # the leaving holder is asked to update it


def test_visibility_organization_by_default_members_when_chosen(app, post, alice, bob, moderator):
    predecessor, left, successor = post
    note = _start(predecessor, left)
    assert handover.can_read(alice, note)  # 横浜市
    assert not handover.can_read(bob, note)  # 大阪市
    with pytest.raises(NotFound):
        handover.get_note(bob, note.id)
    assert handover.can_read(moderator, note) and not handover.can_edit(moderator, note)
    predecessor.organization_code = "271004"  # moved to another city: still a holder
    db.session.commit()
    assert handover.can_read(predecessor, note) and handover.can_edit(predecessor, note)
    handover.edit_note(successor, note, handover.HandoverInput(BODY, "members"), base_revision=1)
    assert handover.can_read(bob, note) and not handover.can_edit(bob, note)
    assert note.revision_count == 1  # only the visibility changed: no new version


def test_holders_edit_with_versions_and_an_optimistic_lock(app, post, alice):
    predecessor, left, successor = post
    note = _start(predecessor, left)
    handover.edit_note(successor, note, handover.HandoverInput(BODY + "\n\n５月は督促状の再発送。"), base_revision=1)
    assert note.revision_count == 2 and note.updated_by_id == successor.id
    with pytest.raises(Conflict):
        handover.edit_note(predecessor, note, handover.HandoverInput(BODY + "\n古い版から"), base_revision=1)
    with pytest.raises(PermissionDenied):  # same city, never held the post
        handover.edit_note(alice, note, handover.HandoverInput(BODY + "\n追記"), base_revision=2)
    changes = handover.history(note)
    assert [change.revision.number for change in changes] == [2, 1]
    assert ("+", "５月は督促状の再発送。") in [(line.op, line.text) for line in changes[0].body_diff]
    assert db.session.query(HandoverRevision).filter_by(note_id=note.id).count() == 2


def test_a_second_first_note_for_the_same_post_is_a_conflict(app, post):
    predecessor, left, successor = post
    _start(predecessor, left)
    with pytest.raises(Conflict):
        _start(successor, successor.career[0] if successor.career[0].is_current else successor.career[1])


def test_the_personal_information_guard_applies_to_every_save(app, post):
    predecessor, left, _ = post
    with pytest.raises(PersonalInformationFound):
        _start(predecessor, left, BODY + "\n滞納者の携帯は090-1234-5678です。")
    note = _start(predecessor, left, BODY + "\n係の携帯は090-1234-5678です。", confirmed_categories=["phone"])
    with pytest.raises(PersonalInformationFound):  # an edit confirms again
        handover.edit_note(predecessor, note, handover.HandoverInput(note.body + "\n追記"), base_revision=1)
    with pytest.raises(ValidationFailed):
        _start(predecessor, left, BODY, visibility="everyone")


def test_linked_questions_are_listed_and_removed_ones_left_out(app, post, alice, moderator):
    predecessor, left, successor = post
    kept = make_question(alice, "滞納繰越分の催告書の送付時期は？")
    removed = make_question(alice, "分納誓約の様式を共有してください")
    from app.services import questions

    body = f"まず [催告の時期](/questions/{kept.id}) を読んでください。\n様式は http://localhost/questions/{removed.id}/slug と /questions/{kept.id}"
    note = _start(predecessor, left, body)
    questions.delete_question(moderator, removed, reason="spam")
    assert [q.id for q in handover.linked_questions(successor, note)] == [kept.id]


def test_routes_404_for_other_organizations_and_403_for_non_holders(client, post, alice, bob):
    predecessor, left, successor = post
    note = _start(predecessor, left)
    login(client, bob)
    assert client.get(f"/handover/{note.id}").status_code == 404
    assert client.get(f"/handover/{note.id}/history").status_code == 404
    client.post("/logout")
    login(client, alice)
    page = client.get(f"/handover/{note.id}").get_data(as_text=True)
    assert "年間の流れ" in page and "引継書を更新する" not in page
    assert client.get(f"/handover/{note.id}/edit").status_code == 403
    assert client.post(f"/handover/{note.id}/edit", data={"body": BODY + "x", "visibility": "members", "base_revision": "1"}).status_code == 403
    assert client.get(f"/settings/career/{left.id}/handover").status_code == 403  # someone else's career entry


def test_writing_and_updating_through_the_pages(client, post):
    predecessor, left, successor = post
    login(client, successor)
    page = client.get("/transfer/onboarding").get_data(as_text=True)
    assert "この職の引継書はまだありません" in page
    entry_id = re.search(r'/settings/career/(\d+)/handover">引継書を書く', page).group(1)
    held = client.post(f"/settings/career/{entry_id}/handover", data={"body": "連絡先: 090-1234-5678 まで", "visibility": "organization"})
    assert held.status_code == 422 and 'value="phone"' in held.get_data(as_text=True)
    saved = client.post(f"/settings/career/{entry_id}/handover", data={"body": BODY, "visibility": "organization"})
    assert saved.status_code == 302
    note = handover.note_for_post("141003", "財政局債権回収課")
    assert client.get(f"/settings/career/{entry_id}/handover").headers["Location"].endswith(f"/handover/{note.id}/edit")
    stale = client.post(f"/handover/{note.id}/edit", data={"body": BODY + "\n追記", "visibility": "members", "base_revision": "0"})
    assert stale.status_code == 409 and "ほかの人がこの引継書を更新しました" in stale.get_data(as_text=True)
    assert client.post(f"/handover/{note.id}/edit", data={"body": BODY + "\n追記", "visibility": "members", "base_revision": "1"}).status_code == 302
    history = client.get(f"/handover/{note.id}/history").get_data(as_text=True)
    assert "第2版" in history and "+ 追記" in history
    onboarding = client.get("/transfer/onboarding").get_data(as_text=True)
    assert onboarding.index('id="handover-note"') < onboarding.index('id="predecessors"') and "年間の流れ" in onboarding


def test_the_transfer_flow_asks_the_leaving_holder_to_update_the_note(client, post):
    predecessor, _, _ = post
    login(client, predecessor)
    response = client.post("/transfer", data={"organization": "141003", "department": "市民局 広報課", "tags": "広報", "start": month(-1)})
    assert response.status_code == 302
    page = client.get("/transfer/onboarding").get_data(as_text=True)
    assert "前の職（神奈川県横浜市 総務局 人事課）の後任の人のために、引継書を更新しましょう。" in page
    assert "前の職の引継書を書く" in page
    career = client.get("/settings/career").get_data(as_text=True)
    assert "この職の引継書" in career
    left = transfer.onboarding(predecessor).handover.post
    client.post(f"/settings/career/{left.id}/handover", data={"body": "人事課の引継ぎ：４月の昇任試験の準備から。", "visibility": "organization"})
    assert "引継書を更新しましょう" not in client.get("/transfer/onboarding").get_data(as_text=True)  # handed over
