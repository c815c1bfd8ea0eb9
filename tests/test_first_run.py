"""Issue 15 parts 5 and 6: the guided start after verification, and onboarding for a post with no tags."""

import re

import pytest

from app.database import write_transaction
from app.extensions import db
from app.models import CareerEntry, Tag, TagSynonym, User
from app.models.base import utcnow
from app.services import accounts, careers, first_run, tag_inference, transfer
from app.services.email_domains import coverage, organization_code_for_domain, organization_for_email
from tests import factories
from tests.factories import PASSWORD, login, make_user

# ---------------------------------------------------------------- e-mail domain → organization


@pytest.mark.parametrize(
    ("domain", "code"),
    [
        ("city.kawasaki.lg.jp", "141305"),  # 川崎市, not the towns 川崎町 in Miyagi and Fukuoka
        ("town.kawasaki.miyagi.lg.jp", "043249"),  # the prefecture label tells the towns apart
        ("pref.hokkaido.lg.jp", "010006"),
        ("metro.tokyo.lg.jp", "130001"),
        ("city.shinjuku.lg.jp", "131041"),  # a special ward
        ("mail.city.sapporo.jp", "011002"),  # a mail host in front, the older form without lg
        ("city.sammu.lg.jp", "122378"),  # ん before m written as m
        ("town.kawasaki.lg.jp", None),  # two towns: no guess
        ("city.chuo.lg.jp", None),  # 中央区 (Tokyo) and 中央市 (Yamanashi)
        ("soumu.go.jp", None),
        ("city.kawasaki.lg.jp.example.invalid", None),
    ],
)
def test_the_organization_comes_from_the_domain(app, domain, code):
    assert organization_code_for_domain(domain) == code


def test_domain_coverage_over_the_organization_list(app):
    total, short, qualified = coverage()
    assert total == 1788  # prefectures, cities, special wards, towns and villages in the list
    assert short / total > 0.9 and qualified / total > 0.99


def test_the_guess_is_checked_against_the_organization_table(app):
    assert organization_for_email("hanako@city.kawasaki.lg.jp").name == "川崎市"
    assert organization_for_email("someone@example.invalid") is None


# ---------------------------------------------------------------- first run


def _verify_link(outbox) -> str:
    import email

    [path] = sorted(outbox.glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return re.search(r"https?://\S+(/verify/\S+)", message.get_body(("plain",)).get_content()).group(1)


def test_verification_leads_to_the_guided_start_with_the_organization_from_the_domain(client, outbox):
    client.post(
        "/register",
        data={"email": "hanako@city.kawasaki.lg.jp", "display_name": "川崎 花子", "organization": "141305",
              "department": "", "password": PASSWORD, "password_confirm": PASSWORD},  # fmt: skip
    )
    response = client.get(_verify_link(outbox))
    assert response.headers["Location"].endswith("/start")
    page = client.get("/start").get_data(as_text=True)
    assert 'value="神奈川県川崎市 (141305)"' in page
    assert "あとで登録する" in page


def test_the_domain_prefills_even_without_a_registered_organization(client):
    user = make_user(email="hanako@city.kawasaki.lg.jp", org=None)
    login(client, user)
    assert 'value="神奈川県川崎市 (141305)"' in client.get("/start").get_data(as_text=True)


def test_skipping_keeps_the_reminder_until_the_post_is_given(client):
    user = make_user(email="jiro@city.kawasaki.lg.jp", org="141305")
    login(client, user)
    reminder = "今の部署と担当分野がまだ登録されていません"
    assert reminder in client.get("/").get_data(as_text=True)  # skipping is just going home
    assert reminder in client.get("/").get_data(as_text=True)

    response = client.post(
        "/start", data={"organization": "141305", "department": "財政局 収納対策部 収納対策課", "tags": "住民税"}
    )
    assert response.headers["Location"].endswith("/transfer/onboarding")
    db.session.refresh(user)
    assert user.first_run_done_at is not None
    [entry] = careers.current_entries(user)
    assert (entry.organization_code, entry.department, [t.name for t in entry.tags]) == ("141305", "財政局 収納対策部 収納対策課", ["住民税"])
    assert user.department == "財政局 収納対策部 収納対策課"
    assert reminder not in client.get("/").get_data(as_text=True)
    assert "財政局 収納対策部 収納対策課 へようこそ" in client.get("/transfer/onboarding").get_data(as_text=True)


def test_the_guided_start_updates_the_post_registration_created(app):
    user = make_user(email="saburo@city.kawasaki.lg.jp", org="141305")
    with write_transaction():
        db.session.add(careers.current_post_entry(user))
    first_run.complete(user, first_run.FirstRunInput("141305", "市民文化局 市民生活部 戸籍住民サービス課", "戸籍"))
    [entry] = careers.current_entries(user)
    assert entry.department == "市民文化局 市民生活部 戸籍住民サービス課"


def test_a_member_who_finished_sees_no_reminder(member_client, carol):
    carol.first_run_done_at = utcnow()
    db.session.commit()
    assert "今の部署と担当分野がまだ登録されていません" not in member_client.get("/").get_data(as_text=True)


def test_guided_start_errors_are_shown(client):
    login(client, make_user(org=None))
    page = client.post("/start", data={"organization": "", "department": ""}).get_data(as_text=True)
    assert "所属団体を一覧から選んでください" in page and "部署名を入力してください" in page


# ---------------------------------------------------------------- inferred tags


def _post(user: User, org: str, department: str, tags: str = "", start: str = "2020-04", end: str | None = "2023-03") -> CareerEntry:
    return careers.add_entry(user, careers.CareerInput(org, department, tags, start=start, end=end, concurrent=True))


@pytest.fixture
def collection_tag(app):
    """債権回収 with the approved synonym 収納, as a moderator would set it up."""
    tag = Tag(name="債権回収")
    tag.synonyms = [TagSynonym(name="収納", approved_at=utcnow())]
    db.session.add(tag)
    db.session.commit()
    return tag


def test_a_transfer_without_tags_to_the_collection_section_gets_the_synonym_tag(client, collection_tag):
    member = make_user(email="shiro@city.kawasaki.lg.jp", org="141305")
    login(client, member)
    transfer.declare_transfer(member, transfer.TransferInput("141305", "財政局 収納対策部 収納対策課", "", "2026-04"))
    [item] = tag_inference.infer_post_tags(careers.latest_current_entry(member))
    assert item.tag == collection_tag
    assert item.sources == [tag_inference.TagSource(tag_inference.NAME, word="収納")]
    page = client.get("/transfer/onboarding").get_data(as_text=True)
    assert "部署名の「収納」は「債権回収」の同義語" in page
    assert 'name="tags" value="債権回収" checked' in page


def test_inference_names_its_three_sources_and_one_click_confirms(client, collection_tag):
    kawasaki, yokohama, osaka = make_user(org="141305"), make_user(org="141003"), make_user(org="271004")
    _post(kawasaki, "141305", "財政局 収納対策部 収納対策課 徴収係", "住民税 滞納処分")  # an earlier holder
    _post(yokohama, "141003", "財政局 収納対策課", "滞納処分")  # the same section elsewhere
    _post(osaka, "271004", "財政局 税務部 収納対策課", "滞納処分 国民健康保険")
    newcomer = make_user(org="141305")
    post = _post(newcomer, "141305", "財政局 収納対策部 収納対策課", start="2026-04", end=None)

    inferred = {item.tag.name: item.sources for item in tag_inference.infer_post_tags(post)}
    P, E, N = tag_inference.PREDECESSORS, tag_inference.ELSEWHERE, tag_inference.NAME
    assert inferred == {
        "滞納処分": [tag_inference.TagSource(P, 1), tag_inference.TagSource(E, 2, "収納対策課")],
        "住民税": [tag_inference.TagSource(P, 1)],
        "国民健康保険": [tag_inference.TagSource(E, 1, "収納対策課")],
        "債権回収": [tag_inference.TagSource(N, word="収納")],
    }
    assert list(inferred)[0] == "滞納処分"  # two sources first

    login(client, newcomer)
    page = client.get("/transfer/onboarding").get_data(as_text=True)
    assert "この部署の前任者1人が付けたタグ" in page
    assert "ほかの2団体の「収納対策課」に付いているタグ" in page
    assert "部署名の「収納」は「債権回収」の同義語" in page

    response = client.post("/transfer/onboarding/tags", data={"entry": post.id, "tags": list(inferred)})
    assert response.headers["Location"].endswith("/transfer/onboarding")
    db.session.refresh(post)
    assert sorted(tag.name for tag in post.tags) == sorted(inferred)
    assert "この職にはまだタグがありません" not in client.get("/transfer/onboarding").get_data(as_text=True)


def test_no_one_confirms_tags_on_someone_elses_post(client):
    owner = make_user(org="141305")
    post = _post(owner, "141305", "財政局 収納対策部 収納対策課", start="2026-04", end=None)
    login(client, make_user())
    assert client.post("/transfer/onboarding/tags", data={"entry": post.id, "tags": "住民税"}).status_code == 403
    db.session.refresh(post)
    assert post.tags == []


def test_confirming_with_every_box_unchecked_says_so(client):
    owner = make_user(org="141305")
    post = _post(owner, "141305", "財政局 収納対策部 収納対策課", start="2026-04", end=None)
    login(client, owner)
    page = client.post("/transfer/onboarding/tags", data={"entry": post.id}, follow_redirects=True).get_data(as_text=True)
    assert "登録するタグを1つ以上選んでください。" in page


def test_section_of_a_department_name():
    assert tag_inference.section_key("財政局収納対策部収納対策課") == "収納対策課"
    assert tag_inference.section_key("財政局債権回収課徴収係") == "債権回収課"
    assert tag_inference.section_key("秘書室") == "秘書室"


# ---------------------------------------------------------------- transfer form


def test_the_transfer_form_proposes_the_current_organization(client):
    member = make_user(org="141305")
    _post(member, "141305", "財政局 財政課", start="2022-04", end=None)
    login(client, member)
    assert 'value="神奈川県川崎市 (141305)"' in client.get("/transfer").get_data(as_text=True)


def test_without_a_post_the_transfer_form_proposes_the_profile_organization(client):
    login(client, factories.make_user(org="271004"))
    assert 'value="大阪府大阪市 (271004)"' in client.get("/transfer").get_data(as_text=True)


def test_accounts_created_by_hand_start_with_the_first_run_pending(app):
    user = accounts.create_verified_user("goro@city.kawasaki.lg.jp", "川崎 五郎", PASSWORD, "141305")
    assert first_run.is_pending(user)
