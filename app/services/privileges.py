"""What reputation allows (Stack Overflow's model, sized for a community of public servants).

Thresholds are configuration (`PRIVILEGE_THRESHOLDS`); moderators and admins hold every
privilege. Services call `require()`, which names the privilege and its threshold when it refuses,
so the API and the pages can say why; templates call `has()` to show or hide a button.
"""

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.models import User
from app.services.errors import PermissionDenied

# Display order of the help page; each name is what a person is allowed to do.
NAMES = {
    "vote_up": _l("高評価を付ける"),
    "comment": _l("コメントする"),
    "flag": _l("問題を報告する（フラグ）"),
    "vote_down": _l("低評価を付ける"),
    "create_tags": _l("新しいタグを作る"),
    "propose_synonyms": _l("タグの同義語を提案する"),
    "close_vote": _l("質問を閉じる・再開する投票"),
    "edit_others": _l("他の人の投稿を直接編集する"),
    "review": _l("レビュー待ちの一覧を扱う（個人情報以外）"),
    "confirm_answers": _l("回答が今も有効か確認する"),
}

# What each privilege lets a person do, in plain words for the help page.
DESCRIPTIONS = {
    "vote_up": _l("役に立った質問・回答に高評価を付けられます。"),
    "comment": _l("質問や回答にコメントを書けます。"),
    "flag": _l("個人情報・スパム・不適切な表現などをモデレーターに知らせられます。"),
    "vote_down": _l("誤っている・役に立たない質問や回答に低評価を付けられます（投稿者の評価ポイントが2減ります）。"),
    "create_tags": _l("まだ無いタグを質問に付けて、新しく作れます。"),
    "propose_synonyms": _l("同じ意味のタグを同義語として提案できます（モデレーターが承認します）。"),
    "close_vote": _l("重複・範囲外などの質問を閉じる投票、閉じた質問を再開する投票ができます。"),
    "edit_others": _l("他の人の質問・回答を直接編集できます。それまでは編集が「提案」になり、レビューで承認されると反映されます。"),
    "review": _l("編集の提案や報告（個人情報以外）のレビュー待ちを確認して、承認・却下できます。"),
    "confirm_answers": _l(
        "どの回答にも「令和N年度も有効と確認」「古い情報」を付けられます（タグに詳しい人と回答者本人は評価ポイントに関係なく付けられます）。"
    ),
}


class PrivilegeRequired(PermissionDenied):
    """Refused for lack of reputation; carries what is missing so the message can say it."""

    def __init__(self, privilege: str, threshold: int):
        super().__init__(privilege)
        self.privilege = privilege
        self.threshold = threshold

    @property
    def message(self) -> str:
        return str(
            _l(
                "「%(name)s」には評価ポイント%(n)d以上が必要です（ヘルプの「できること」を参照）。",
                name=NAMES[self.privilege],
                n=self.threshold,
            )
        )


def threshold(privilege: str) -> int:
    return current_app.config["PRIVILEGE_THRESHOLDS"][privilege]


def has(user: User | None, privilege: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.is_moderator or user.reputation >= threshold(privilege)


def require(user: User, privilege: str) -> None:
    if not has(user, privilege):
        raise PrivilegeRequired(privilege, threshold(privilege))


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    description: str
    threshold: int
    held: bool


def table(user: User | None) -> list[Row]:
    """Every privilege with its configured threshold, in the help page's order."""
    return [
        Row(name, str(label), str(DESCRIPTIONS.get(name, "")), threshold(name), has(user, name))
        for name, label in NAMES.items()
    ]


def next_unlocked(user: User) -> Row | None:
    """The privilege this person earns next (None for moderators and those who hold them all)."""
    missing = [row for row in table(user) if not row.held]
    return min(missing, key=lambda row: row.threshold, default=None)
