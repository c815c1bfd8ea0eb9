import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Organization
from app.services.errors import ValidationFailed
from app.services.organizations import DATA_FILE, get_organization, load_organizations, search_organizations


def test_the_real_list_is_loaded(app):
    counts = dict(db.session.execute(sa.select(Organization.kind, sa.func.count()).group_by(Organization.kind)).all())
    assert counts["prefecture"] == 47
    municipalities = sum(counts[k] for k in ("designated_city", "city", "special_ward", "town", "village"))
    assert municipalities == 1741
    assert counts["special_ward"] == 23
    assert counts["ward"] == 175
    assert counts["ministry"] >= 10


def test_reloading_the_list_updates_rows_in_place(app, tmp_path):
    """`make run` loads the list on every start: with the rows (and their prefectures) already
    loaded in the session, a reload changes only what the file changed."""
    yokohama = db.session.get(Organization, "141003")
    assert yokohama.prefecture.name == "神奈川県" and yokohama.prefecture.prefecture.code == "140007"
    edited = tmp_path / "organizations.csv"
    edited.write_text(DATA_FILE.read_text(encoding="utf-8").replace("141003,横浜市,よこはまし,", "141003,横浜市,ヨコハマシ,"), encoding="utf-8")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Organization))
    assert load_organizations(edited) == total
    db.session.expire_all()
    assert db.session.get(Organization, "141003").kana == "ヨコハマシ"
    assert load_organizations() == total
    db.session.expire_all()
    assert db.session.get(Organization, "141003").kana == "よこはまし"
    assert db.session.get(Organization, "141003").prefecture_code == "140007"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == total


@pytest.mark.parametrize("query", ["よこはま", "ヨコハマ", "ﾖｺﾊﾏ", "横浜", "141003", "１４１００３"])
def test_yokohama_is_found_by_kana_name_or_code(app, query):
    found = search_organizations(query)
    assert found and found[0].code == "141003", [o.full_name for o in found[:3]]


def test_same_name_in_two_prefectures_is_told_apart(app):
    names = {org.full_name for org in search_organizations("府中市")}
    assert {"東京都府中市", "広島県府中市"} <= names


def test_organization_from_picker_text_or_code(app):
    assert get_organization("神奈川県横浜市 (141003)").code == "141003"
    assert get_organization("141003").name == "横浜市"
    assert get_organization("横浜市").code == "141003"
    assert get_organization("神奈川県横浜市").code == "141003"
    assert get_organization("広島県府中市").code == "342084"
    with pytest.raises(ValidationFailed, match="東京都府中市 \\(132063\\)、広島県府中市 \\(342084\\)"):
        get_organization("府中市")
    with pytest.raises(ValidationFailed):
        get_organization("存在しない市")
    with pytest.raises(ValidationFailed):
        get_organization("")


def test_organization_search_endpoint(client):
    response = client.get("/organizations/search?q=さっぽろ")
    items = response.get_json()["items"]
    assert items[0] == {"code": "011002", "name": "北海道札幌市", "kana": "さっぽろし"}
