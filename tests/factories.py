"""Test data through the real services (CTFd-style helpers with sensible defaults)."""

from itertools import count

from flask.testing import FlaskClient

from app.models import Answer, Question, User
from app.services import accounts, answers, questions

PASSWORD = "correct-horse-battery"
_sequence = count(1)


def make_user(email: str | None = None, name: str | None = None, org: str | None = "141003", role: str = "member") -> User:
    n = next(_sequence)
    return accounts.create_verified_user(
        email or f"user{n}@city.yokohama.lg.jp", name or f"職員{n}", PASSWORD, org, role
    )


def make_question(
    author: User,
    title: str = "住民税の特別徴収の切替手続きについて",
    body: str = "年度途中で退職した職員の特別徴収から普通徴収への切替はどう処理していますか？",
    tags: str = "住民税",
    confirmed: tuple[str, ...] = (),
) -> Question:
    """`confirmed`: personal-information categories the author confirms (tests that plant such text)."""
    return questions.ask_question(author, questions.QuestionInput(title, body, tags), confirmed_categories=confirmed)


def make_answer(
    author: User, question: Question, body: str = "給与支払報告書の異動届出書で処理します。", confirmed: tuple[str, ...] = ()
) -> Answer:
    return answers.post_answer(author, question, body, confirmed_categories=confirmed)


def login(client: FlaskClient, user: User, password: str = PASSWORD):
    return client.post("/login", data={"email": user.email, "password": password}, follow_redirects=False)


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (32, 24)) -> bytes:
    """A small plain image in one of Pillow's formats (uploads)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (250, 200, 0)).save(out, fmt)
    return out.getvalue()
