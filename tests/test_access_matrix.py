"""Access control over every HTML route × {anonymous, other member, owner, moderator, admin}
(SECURITY.md AC-01..05). A new route must be classified here, or the last test fails.

The site is members-only by default: an anonymous visitor reaches the front door, sign-up and
sign-in only. With PUBLIC_READ=true the routes marked `readers()` open to them; nothing else does."""

from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map

from app.extensions import db
from app.models.community import Group
from app.services import comments, groups, meetings, tokens, uploads
from app.services.careers import CareerInput, add_entry
from tests.factories import PASSWORD, image_bytes, make_answer, make_question, make_user
from tests.test_meetings import jst_input, make_group, next_week_at

OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", "forbidden", "not_found"
PNG = image_bytes("PNG")
ROLES = ("anonymous", "other", "owner", "moderator", "admin")


@dataclass
class Case:
    method: str
    path: str  # {q} question, {a} answer, {c} comment, {e} career entry, {t} token, {up} upload, {u} the owner's user id,
    # {m} a meeting of the group `matrix`, which the asker organizes
    expect: dict[str, str]  # role -> outcome
    owner: str = "asker"  # whose object: the asker (question) or the answerer (answer, comment, career, token)
    data: dict = field(default_factory=dict)
    public: bool = False  # with PUBLIC_READ=true an anonymous visitor may read it


def reading(method: str, path: str) -> Case:
    """A page every member reads, and everyone when the operator opens reading (PUBLIC_READ)."""
    return Case(method, path, members(), public=True)


def everyone(outcome=OK):
    return dict.fromkeys(ROLES, outcome)


def members(anonymous=LOGIN):
    return {**everyone(), "anonymous": anonymous}


def absent():
    """No such object: members get a 404 (behind the sign-in like everything else)."""
    return {**everyone(NOT_FOUND), "anonymous": LOGIN}


def owner_or_staff(other=FORBIDDEN):
    return {"anonymous": LOGIN, "other": other, "owner": OK, "moderator": OK, "admin": OK}


def staff():
    return {"anonymous": LOGIN, "other": FORBIDDEN, "owner": FORBIDDEN, "moderator": OK, "admin": OK}


def admin_only():
    return {"anonymous": LOGIN, "other": FORBIDDEN, "owner": FORBIDDEN, "moderator": FORBIDDEN, "admin": OK}


def own_only(others=FORBIDDEN):
    """Personal settings objects: nobody else, staff included."""
    return {"anonymous": LOGIN, "other": others, "owner": OK, "moderator": others, "admin": others}


BODY = {"body": "権限の確認のために送る十分な長さの本文です。"}
CASES = [
    Case("GET", "/", everyone()),  # for visitors a front door without content (test_members_only.py)
    Case("GET", "/about", everyone()),
    Case("GET", "/healthz", everyone()),
    Case("GET", "/organizations/search?q=よこはま", everyone()),  # the sign-up form's picker
    reading("GET", "/api"),
    reading("GET", "/questions"),
    reading("GET", "/questions/{q}"),
    reading("GET", "/questions/{q}/slug"),
    reading("GET", "/questions/similar?title=住民税"),
    reading("GET", "/posts/{q}/revisions"),
    reading("GET", "/tags"),
    reading("GET", "/tags/住民税"),
    reading("GET", "/tags/住民税/experts"),
    reading("GET", "/tags/suggest?q=住"),
    reading("GET", "/users"),
    reading("GET", "/users/{u}"),
    reading("GET", "/search?q=住民税"),
    reading("GET", "/laws"),
    reading("GET", "/laws/地方税法?article=第15条の7"),
    reading("GET", "/uploads/{up}"),
    # Feeds: members with a session here; feed readers with a personal token in test_feed_tokens.py.
    reading("GET", "/feeds/questions"),
    reading("GET", "/feeds/tags/住民税"),
    reading("GET", "/feeds/search?q=住民税"),
    Case("GET", "/login", everyone()),
    Case("GET", "/register", everyone()),
    Case("GET", "/password/forgot", everyone()),
    Case("GET", "/password/reset/not-a-token", everyone()),
    Case("GET", "/verify/not-a-token", everyone()),
    Case("GET", "/verify/resend", everyone()),
    Case("POST", "/language", everyone(), data={"language": "ja"}),
    Case("GET", "/questions/ask", members()),
    Case("GET", "/settings", members()),
    Case("GET", "/settings/password", members()),
    Case("GET", "/settings/career", members()),
    Case("GET", "/settings/tokens", members()),
    Case("POST", "/settings/feeds", members()),
    Case("POST", "/settings/feeds", members(), data={"action": "revoke"}),
    Case("GET", "/notifications", members()),
    Case("POST", "/notifications/read", members()),
    Case("GET", "/bookmarks", members()),
    Case("POST", "/posts/{a}/bookmark", members(), data={"saved": "1"}),
    Case("POST", "/answers/{a}/adoption", members(), data={"adopted": "1"}),
    Case("POST", "/questions/{q}/follow", members(), data={"follow": "1"}),
    Case("POST", "/tags/住民税/watch", members(), data={"state": "watch"}),
    Case("GET", "/tags/住民税/review", members()),
    # Every member may confirm here (thresholds 0); tests/test_freshness.py has the real rule.
    Case("POST", "/answers/{a}/confirmations", members(), owner="answerer", data={"verdict": "current"}),
    Case("POST", "/settings/notifications", members(), data={"digest": "off"}),
    Case("GET", "/transfer", members()),
    # Amendments of a law: moderators record and delete them (no such record to delete here).
    Case("GET", "/laws/地方税法/amendments", staff()),
    Case("POST", "/laws/地方税法/amendments", staff(), data={"article": "第15条の7", "amended_on": "2026-04-01"}),
    Case("POST", "/laws/amendments/987654/delete", {**staff(), "moderator": NOT_FOUND, "admin": NOT_FOUND}),
    Case("GET", "/transfer/onboarding", members()),
    Case("GET", "/start", members()),
    Case("POST", "/preview", members(), data=BODY),
    Case("GET", "/uploads/new", members()),
    Case("POST", "/uploads", {**members(), **dict.fromkeys(ROLES[1:], "422")}),  # past the gate: no file sent
    Case("POST", "/logout", members()),
    Case("GET", "/users/{u}/ask", members()),  # asking oneself just goes back to the profile
    Case("POST", "/questions/{q}/answers", members(), data=BODY),
    Case("POST", "/posts/{q}/comments", members(), data={"body": "コメントで確認します"}),
    Case("POST", "/posts/{q}/vote", {**members(), "owner": FORBIDDEN}, data={"value": "1"}),
    # Any member edits others' posts: directly with the privilege, else as a suggestion for review.
    Case("GET", "/questions/{q}/edit", members()),
    Case("POST", "/questions/{q}/edit", members(), data={"title": "権限の確認で編集する質問", "tags": "住民税", "base_revision": "1", **BODY}),
    # Answered: even its asker may not delete it; moderators may.
    Case("POST", "/questions/{q}/delete", staff(), data={"reason": "spam"}),
    Case("POST", "/questions/{q}/undelete", staff()),
    # Every member may vote here (TestingConfig's thresholds are 0; test_closing.py has the real ones).
    Case("POST", "/questions/{q}/close", members(), data={"reason": "unclear"}),
    Case("POST", "/questions/{q}/reopen", members()),
    Case("POST", "/questions/{q}/merge-answers", staff()),
    Case("POST", "/answers/{a}/accept", owner_or_staff()),
    Case("POST", "/questions/{q}/unaccept", owner_or_staff()),
    Case("GET", "/answers/{a}/edit", members(), owner="answerer"),
    Case("POST", "/answers/{a}/edit", members(), owner="answerer", data={"base_revision": "1", **BODY}),
    Case("POST", "/answers/{a}/delete", owner_or_staff(), owner="answerer", data={"reason": "spam"}),
    Case("POST", "/answers/{a}/undelete", staff(), owner="answerer"),
    Case("POST", "/comments/{c}/delete", owner_or_staff(), owner="answerer"),
    Case("GET", "/posts/{q}/revisions/1/redact", owner_or_staff()),
    Case("POST", "/posts/{q}/revisions/1/redact", owner_or_staff(), data={"reason": "other", "confirm": "y"}),
    Case("POST", "/posts/{q}/redact", owner_or_staff(), data={"passage": "普通徴収", "reason": "identity", "confirm": "y"}),
    Case("GET", "/search/synonyms", staff()),
    Case("POST", "/search/synonyms", staff(), data={"synonyms": "国保、国民健康保険"}),
    Case("GET", "/tags/住民税/edit", staff()),
    Case("POST", "/tags/住民税/edit", staff(), data={"category": "policy", "description": "説明", "synonyms": ""}),
    Case("POST", "/tags/住民税/synonyms", members(), data={"name": "住民税の別名"}),
    Case("GET", "/tags/住民税/manage", staff()),
    Case("GET", "/moderation/tags", staff()),
    Case("POST", "/tags/住民税/rename", staff(), data={"name": "住民税"}),
    # Past the moderator check, the service refuses the values: members are refused before it.
    Case("POST", "/tags/住民税/merge", {**staff(), "moderator": "422", "admin": "422"}, data={"target": "住民税"}),
    Case("POST", "/tags/住民税/delete", {**staff(), "moderator": "422", "admin": "422"}),
    Case("POST", "/moderation/tags/synonyms/999999", {**staff(), "moderator": NOT_FOUND, "admin": NOT_FOUND}, data={"decision": "approve"}),
    Case("GET", "/settings/career/{e}/edit", own_only(), owner="answerer"),
    Case("POST", "/settings/career/{e}/end", own_only(), owner="answerer", data={"end": "2026-10"}),
    Case("POST", "/settings/career/{e}/delete", own_only(), owner="answerer"),
    Case("POST", "/settings/tokens/{t}/revoke", own_only(others=NOT_FOUND), owner="answerer"),
    Case("POST", "/posts/{q}/flag", members(), data={"reason": "spam"}),  # one's own: a friendly refusal
    Case("POST", "/comments/{c}/flag", members(), owner="answerer", data={"reason": "spam"}),
    # The review queue: every member holds the `review` privilege under the test thresholds (0).
    Case("GET", "/review", members()),
    Case("GET", "/review/first-posts", members()),
    Case("POST", "/review/posts/{q}/dismiss", {**members(), "owner": FORBIDDEN}, data={"tab": "queue"}),
    Case("POST", "/review/posts/{q}/delete", {**members(), "owner": FORBIDDEN}, data={"reason": "spam", "tab": "queue"}),
    Case("POST", "/review/comments/{c}/warn", staff(), owner="answerer", data={"message": "注意します", "tab": "queue"}),
    Case("GET", "/admin/audit", admin_only()),
    Case("GET", "/admin/users", admin_only()),
    Case("POST", "/admin/users/{u}/role", admin_only(), data={"role": "moderator"}),
    Case("GET", "/admin/mail", admin_only()),
    Case("POST", "/admin/users/{u}/org-admin", admin_only(), data={"org_admin": "1"}),
    # Organization administrators (their own organization only): tests/test_analytics.py.
    Case("GET", "/admin/analytics", admin_only()),
    Case("GET", "/admin/analytics/summary.csv", admin_only()),
    # No such message: admins are sent back to the list with a notice (tests/test_mail_delivery.py has real ones).
    Case("POST", "/admin/mail/999999/retry", admin_only()),
    Case("POST", "/admin/mail/999999/discard", admin_only()),
    Case("GET", "/help/privileges", members()),
    # Theme groups: the asker organizes 債権回収 (see _group); moderators and admins manage every group.
    reading("GET", "/groups"),
    reading("GET", "/groups/債権回収"),
    Case("GET", "/groups/new", staff()),
    Case("POST", "/groups/new", staff(), data={"name": "新しいグループ", "slug": "", "description": "", "tags": "", "join_policy": "open"}),
    Case("GET", "/groups/債権回収/edit", owner_or_staff()),
    Case("POST", "/groups/債権回収/edit", owner_or_staff(), data={"name": "債権回収", "slug": "債権回収", "join_policy": "approval"}),
    Case("POST", "/groups/債権回収/membership", members(), data={"action": "join"}),
    # Nobody is waiting for approval: past the organizer check, the decision finds no application.
    Case("POST", "/groups/債権回収/applications/{u}", {**owner_or_staff(), "owner": NOT_FOUND, "moderator": NOT_FOUND, "admin": NOT_FOUND}, data={"decision": "approve"}),
    Case("POST", "/groups/債権回収/members/{u}/role", owner_or_staff(), data={"role": "organizer"}),
    # Every threshold is 0 here (a new site); the real ones are in test_suggested_edits.py.
    Case("GET", "/review/edits", members()),
    # Handover notes and collections: with real notes and collections in test_handover.py and test_collections.py.
    Case("GET", "/settings/career/{e}/handover", own_only(), owner="answerer"),
    Case("POST", "/settings/career/{e}/handover", own_only(), owner="answerer", data={"visibility": "organization", **BODY}),
    Case("GET", "/handover/999999", absent()),
    Case("GET", "/handover/999999/history", absent()),
    Case("GET", "/handover/999999/edit", absent()),
    Case("POST", "/handover/999999/edit", absent(), data=BODY),
    Case("GET", "/collections/saved", members()),
    Case("GET", "/collections/999999", absent()),
    Case("GET", "/tags/住民税/collections/new", staff()),  # nobody here is an expert of the tag
    Case("POST", "/tags/住民税/collections/new", staff(), data={"title": "住民税 はじめの10問", "tag": "住民税"}),
    *(
        Case("POST", f"/collections/999999{action}", absent(), data={"saved": "1", "direction": "up"})
        for action in ("/edit", "/items", "/items/1/move", "/items/1/note", "/items/1/delete", "/delete", "/save")
    ),
    Case("GET", "/collections/999999/edit", absent()),
    # Exchange meetings: every member reads them; the group's organizer (the asker) and staff manage them.
    reading("GET", "/meetings"),
    reading("GET", "/groups/matrix/meetings"),
    reading("GET", "/groups/matrix/meetings.ics"),
    reading("GET", "/groups/matrix/meetings/{m}"),
    reading("GET", "/groups/matrix/meetings/{m}.ics"),
    Case("GET", "/groups/matrix/meetings/new", owner_or_staff()),
    Case("POST", "/groups/matrix/meetings/new", {**owner_or_staff(), "owner": "422", "moderator": "422", "admin": "422"}),
    Case("POST", "/groups/matrix/meetings/{m}/registration", members(), data={"action": "register"}),
    Case("POST", "/groups/matrix/meetings/{m}/cancel", owner_or_staff()),
    Case("GET", "/groups/matrix/meetings/{m}/notes", owner_or_staff()),
    # Past the check, the service refuses notes before the meeting starts.
    Case("POST", "/groups/matrix/meetings/{m}/notes", {**owner_or_staff(), "owner": "422", "moderator": "422", "admin": "422"}, data={"notes": "議事メモです"}),
]
# Routes that change a login session or exist only for unauthenticated flows are covered in
# test_accounts.py (they need a real token or a password in the request); the first run and
# confirming inferred tags in test_first_run.py (owner-only: someone else's post is refused); deciding a suggested
# edit needs a suggestion, which only a member below the edit privilege makes: test_suggested_edits.py.
COVERED_ELSEWHERE = {"auth.login:POST", "auth.register:POST", "auth.forgot_password:POST", "auth.reset_password:POST",
                     "auth.resend_verification:POST", "users.settings:POST", "users.change_password:POST",
                     "people.career:POST", "people.edit_career:POST", "people.transfer_page:POST",
                     "people.first_run_page:POST", "people.confirm_post_tags:POST",
                     "people.ask_person:POST", "questions.ask:POST", "api_pages.token_list:POST",
                     "review_edits.approve:POST", "review_edits.reject:POST",
                     # one person's notification, and signed links from e-mail: test_notification_center.py, test_digests.py
                     "users.notification_read:POST", "users.unsubscribe:GET", "users.unsubscribe:POST"}  # fmt: skip


def _outcome(response) -> str:
    if response.status_code in (401,) or (response.status_code == 302 and "/login" in response.headers.get("Location", "")):
        return LOGIN
    return {403: FORBIDDEN, 404: NOT_FOUND}.get(response.status_code, OK if response.status_code < 400 else str(response.status_code))


def _group(asker) -> None:
    """債権回収, organized by the asker (the owner of the group cases)."""
    group = groups.create_group(make_user(email="founder@soumu.go.jp", role="moderator"), groups.GroupInput(name="債権回収", slug=""))
    groups.add_member(group, asker, role="organizer")


def _objects(asker, answerer) -> dict[str, int]:
    """Fresh objects for one request, so what one role did never decides another's outcome."""
    question = make_question(asker)
    answer = make_answer(answerer, question)
    comment = comments.add_comment(answerer, question, "確認のためのコメントです")
    entry = add_entry(answerer, CareerInput(organization="271004", department="財政局 収税課", tags="住民税", start="2020-04", concurrent=True))
    token = tokens.create_token(answerer, "確認用", "read")
    upload = uploads.store(answerer, PNG)  # the same image each time: the same upload
    meeting = meetings.create_meeting(asker, _matrix_group(asker), jst_input(next_week_at(19)))
    return {"q": question.id, "a": answer.id, "c": comment.id, "e": entry.id, "t": token.token.id, "up": upload.id, "m": meeting.id}


def _matrix_group(organizer) -> Group:
    group = db.session.scalar(sa.select(Group).where(Group.slug == "matrix"))
    return group or make_group(organizer, slug="matrix", name="権限確認グループ")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_access(app, case):
    asker = make_user(email="asker@city.yokohama.lg.jp")
    answerer = make_user(email="answerer@city.osaka.lg.jp", org="271004")
    people = {
        "other": make_user(email="other@pref.hokkaido.lg.jp", org="010006"),
        "moderator": make_user(email="moderator@soumu.go.jp", role="moderator"),
        "admin": make_user(email="admin@soumu.go.jp", role="admin"),
        "owner": asker if case.owner == "asker" else answerer,
    }
    _group(asker)
    emails = {role: user.email for role, user in people.items()}
    owner_id = people["owner"].id
    for role in ROLES:
        values = {**_objects(asker, answerer), "u": owner_id}
        db.session.commit()
        client = app.test_client()
        if role != "anonymous":
            assert client.post("/login", data={"email": emails[role], "password": PASSWORD}).status_code == 302
        response = client.open(case.path.format(**values), method=case.method, data=case.data)
        assert _outcome(response) == case.expect[role], (role, response.status_code)
        db.session.rollback()


def test_public_read_opens_reading_and_nothing_else(app_factory):
    """The same routes for an anonymous visitor on a site with PUBLIC_READ=true."""
    app = app_factory(PUBLIC_READ=True)
    with app.app_context():
        asker = make_user(email="asker@city.yokohama.lg.jp")
        answerer = make_user(email="answerer@city.osaka.lg.jp", org="271004")
        _group(asker)
        values = {**_objects(asker, answerer), "u": asker.id}  # shared: a visitor changes nothing
        db.session.commit()
        for case in CASES:
            response = app.test_client().open(case.path.format(**values), method=case.method, data=case.data)
            expected = OK if case.public else case.expect["anonymous"]
            assert _outcome(response) == expected, (case.method, case.path, response.status_code)
        db.session.remove()


def test_every_html_route_is_classified(app):
    classified = {(case.method, case.path.split("?")[0]) for case in CASES}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/v1", "/static")):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if f"{rule.endpoint}:{method}" in COVERED_ELSEWHERE:
                continue
            concrete = [p for m, p in classified if m == method and _matches(rule, p, method)]
            if not concrete:
                missing.append(f"{method} {rule.rule}")
    assert missing == [], "classify these routes in CASES"


def _matches(rule, path: str, method: str) -> bool:
    """Does this rule (alone) route `path`, with every {placeholder} standing for id 1?"""
    for name in ("q", "a", "c", "e", "t", "up", "u", "m"):
        path = path.replace("{" + name + "}", "1")
    single = Map([rule.empty()], converters=rule.map.converters)
    try:
        single.bind("localhost").match(path, method=method)
    except HTTPException:
        return False
    return True

