"""Accounts: registration limited to public servants, verification, login, passwords, profile.

No account enumeration (SECURITY.md AUTH-*): registering an address that already has an account,
or asking to reset an unknown address, looks exactly like the normal case to the requester and
costs the same password-hashing time; the mailbox owner gets an explanatory e-mail instead.
"""

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from app.database import write_transaction
from app.extensions import db
from app.mail import queue_mail
from app.models import User, utcnow
from app.models.user import CAREER_VISIBILITY, new_session_token
from app.services import audit
from app.services.careers import current_post_entry
from app.services.errors import ValidationFailed, validate_all
from app.services.organizations import get_organization
from app.text import clean_line, clean_text, normalize_key
from app.urls import external_url

PASSWORD_MIN = 10
PASSWORD_MAX = 128
NAME_MAX = 50
DEPARTMENT_MAX = 100
BIO_MAX = 2000

_VERIFY_SALT = "zennin-verify-email"
_RESET_SALT = "zennin-reset-password"


class NotVerified(Exception):
    """Right password, but the e-mail address has not been confirmed yet."""

    def __init__(self, user: User):
        super().__init__(user.email)
        self.user = user


# ---------------------------------------------------------------- validation


def email_domain_allowed(domain: str, allowed: tuple[str, ...]) -> bool:
    """Suffix match on a label boundary: city.yokohama.lg.jp ok; evil-lg.jp, lg.jp.example.com not."""
    domain = domain.lower().rstrip(".")
    return any(domain == suffix or domain.endswith("." + suffix) for suffix in allowed)


def normalize_email(raw: str) -> str:
    """Parse with email-validator (not string tricks) and lower-case the whole address."""
    try:
        # Validated as typed (only outer spaces trimmed): invisible or control characters make
        # the address invalid rather than silently becoming someone else's (SECURITY.md REG-04).
        parsed = validate_email(
            raw.strip(), check_deliverability=False, allow_quoted_local=False, allow_smtputf8=False
        )
    except EmailNotValidError:
        raise ValidationFailed({"email": _("メールアドレスの形式が正しくありません。")}) from None
    return f"{parsed.local_part}@{parsed.ascii_domain}".lower()


def check_public_servant_email(raw: str) -> str:
    email = normalize_email(raw)
    allowed = current_app.config["ALLOWED_EMAIL_DOMAINS"]
    if not email_domain_allowed(email.rsplit("@", 1)[1], allowed):
        raise ValidationFailed(
            {"email": _("登録できるのは公務員のメールアドレス（%(domains)s）だけです。", domains=", ".join(allowed))}
        )
    return email


def check_password(password: str, email: str = "") -> str:
    if len(password) < PASSWORD_MIN:
        raise ValidationFailed({"password": _("パスワードは%(n)d文字以上にしてください。", n=PASSWORD_MIN)})
    if len(password) > PASSWORD_MAX:
        raise ValidationFailed({"password": _("パスワードは%(n)d文字以内にしてください。", n=PASSWORD_MAX)})
    if email and normalize_key(password) in (normalize_key(email), normalize_key(email.split("@")[0])):
        raise ValidationFailed({"password": _("メールアドレスと同じパスワードは使えません。")})
    return password


def check_display_name(name: str) -> str:
    name = clean_line(name)
    if not name:
        raise ValidationFailed({"display_name": _("表示名を入力してください。")})
    if len(name) > NAME_MAX:
        raise ValidationFailed({"display_name": _("表示名は%(n)d文字以内にしてください。", n=NAME_MAX)})
    return name


def check_department(department: str) -> str:
    department = clean_line(department)
    if len(department) > DEPARTMENT_MAX:
        raise ValidationFailed({"department": _("所属部署は%(n)d文字以内にしてください。", n=DEPARTMENT_MAX)})
    return department


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    # A real hash of the configured method, so an unknown address costs the same time as a known one.
    cache = current_app.extensions.setdefault("zennin.dummy_hash", {})
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in cache:
        cache[method] = generate_password_hash("not-a-password", method=method)
    return cache[method]


# ---------------------------------------------------------------- tokens


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(value: str | None) -> str:
    return hashlib.sha256((value or "").encode()).hexdigest()[:16]


def make_verification_token(user: User) -> str:
    return _serializer(_VERIFY_SALT).dumps({"uid": user.id, "e": _fingerprint(user.email)})


def make_reset_token(user: User) -> str:
    # Bound to the current password hash: the link stops working once it has been used.
    return _serializer(_RESET_SALT).dumps({"uid": user.id, "h": _fingerprint(user.password_hash)})


def _load_token(token: str, salt: str, max_age) -> dict | None:
    try:
        data = _serializer(salt).loads(token, max_age=int(max_age.total_seconds()))
    except (BadSignature, SignatureExpired):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("uid"), int) else None


# ---------------------------------------------------------------- use cases


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    display_name: str
    organization_code: str
    department: str


def register_user(form: Registration) -> None:
    """Create an unverified account and mail the verification link.

    Returns nothing on purpose: the caller shows the same page whether or not the address
    already had an account.
    """
    valid = validate_all(
        email=lambda: check_public_servant_email(form.email),
        password=lambda: check_password(form.password, form.email),
        display_name=lambda: check_display_name(form.display_name),
        department=lambda: check_department(form.department),
        organization=lambda: get_organization(form.organization_code),
    )
    email = valid["email"]
    password_hash = hash_password(form.password)  # computed in every branch: equal timing

    with write_transaction():
        existing = db.session.scalar(sa.select(User).where(User.email == email))
        if existing is None:
            user = User(
                email=email,
                password_hash=password_hash,
                display_name=valid["display_name"],
                organization_code=valid["organization"].code,
                department=valid["department"],
            )
            db.session.add(user)
            db.session.flush()
            _queue_verification(user)
        elif not existing.is_verified:
            _queue_verification(existing)
        else:
            queue_mail(
                existing.email,
                _("【Zennin】アカウントは登録済みです"),
                _(
                    "このメールアドレスで新規登録の申し込みがありましたが、アカウントはすでに登録されています。\n"
                    "ご本人の場合はログインしてください。パスワードを忘れた場合は次のページから再設定できます。\n\n%(url)s\n\n"
                    "心当たりがない場合は、このメールを無視してください。",
                    url=external_url("auth.forgot_password"),
                ),
            )


def _queue_verification(user: User) -> None:
    link = external_url("auth.verify_email", token=make_verification_token(user))
    queue_mail(
        user.email,
        _("【Zennin】メールアドレスの確認"),
        _(
            "%(name)s さん\n\nZennin（前任）への登録ありがとうございます。\n"
            "次のリンクを開いて、メールアドレスの確認を完了してください（%(hours)d時間有効）。\n\n%(link)s\n\n"
            "心当たりがない場合は、このメールを無視してください。",
            name=user.display_name,
            hours=int(current_app.config["EMAIL_TOKEN_MAX_AGE"].total_seconds() // 3600),
            link=link,
        ),
    )


def _user_by_email(raw_email: str) -> User | None:
    """The account of a typed address; None when there is none or the text is no address."""
    try:
        email = normalize_email(raw_email)
    except ValidationFailed:
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def resend_verification(raw_email: str) -> None:
    """Send the link again if the address has an unverified account; silent otherwise."""
    with write_transaction():
        user = _user_by_email(raw_email)
        if user is not None and not user.is_verified:
            _queue_verification(user)


def verify_email(token: str) -> User | None:
    """Mark the address verified. None when the link is invalid, expired or already used."""
    data = _load_token(token, _VERIFY_SALT, current_app.config["EMAIL_TOKEN_MAX_AGE"])
    if data is None:
        return None
    with write_transaction():
        # Lock only the users row: its organization is joined in, and PostgreSQL refuses to
        # lock the nullable side of an outer join.
        user = db.session.get(User, data["uid"], with_for_update={"of": User})
        if user is None or user.is_verified or _fingerprint(user.email) != data.get("e"):
            return None
        user.email_verified_at = utcnow()
        if not user.career and user.organization_code:
            # The post given at registration becomes the first (current) career entry.
            db.session.add(current_post_entry(user))
    return user


def authenticate(raw_email: str, password: str) -> User | None:
    """The user for these credentials, or None. Raises NotVerified for an unconfirmed address."""
    user = _user_by_email(raw_email)
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    password_ok = check_password_hash(stored, password)
    if user is None or not user.password_hash or not password_ok or not user.is_active:
        return None
    if not user.is_verified:
        raise NotVerified(user)
    return user


def record_login(user: User) -> None:
    with write_transaction():
        user.last_seen_at = utcnow()


def record_login_lockout(raw_email: str, limit: str, by: str) -> None:
    """A login rate limit (per address "ip", or per account) began refusing attempts: an audit
    row naming the account when the typed address has one; never the password or the address."""
    with write_transaction():
        user = _user_by_email(raw_email)
        audit.record(None, "login_lockout", "user" if user else "", user.id if user else None, limit=limit, by=by)


def end_all_sessions(user: User) -> None:
    """Logout: rotating the token invalidates every session and remember-me cookie of the user."""
    with write_transaction():
        user.session_token = new_session_token()


def request_password_reset(raw_email: str) -> None:
    with write_transaction():
        user = _user_by_email(raw_email)
        if user is None or not user.is_active or not user.password_hash:
            return
        link = external_url("auth.reset_password", token=make_reset_token(user))
        queue_mail(
            user.email,
            _("【Zennin】パスワードの再設定"),
            _(
                "%(name)s さん\n\nパスワード再設定の申し込みを受け付けました。\n"
                "次のリンクから新しいパスワードを設定してください（%(hours)d時間有効、一度だけ使えます）。\n\n%(link)s\n\n"
                "心当たりがない場合は、このメールを無視してください。パスワードは変わりません。",
                name=user.display_name,
                hours=int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 3600),
                link=link,
            ),
        )


def user_for_reset_token(token: str) -> User | None:
    data = _load_token(token, _RESET_SALT, current_app.config["PASSWORD_RESET_MAX_AGE"])
    if data is None:
        return None
    user = db.session.get(User, data["uid"])
    if user is None or not user.is_active or _fingerprint(user.password_hash) != data.get("h"):
        return None
    return user


def reset_password(token: str, new_password: str) -> User | None:
    user = user_for_reset_token(token)
    if user is None:
        return None
    check_password(new_password, user.email)
    with write_transaction():
        user.password_hash = hash_password(new_password)
        user.session_token = new_session_token()
        # Following the link proves the mailbox, like the verification link does.
        user.email_verified_at = user.email_verified_at or utcnow()
        audit.record(user, "password_reset", "user", user.id)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current_password):
        raise ValidationFailed({"current_password": _("現在のパスワードが正しくありません。")})
    check_password(new_password, user.email)
    with write_transaction():
        user.password_hash = hash_password(new_password)
        user.session_token = new_session_token()  # other devices are logged out
        audit.record(user, "password_change", "user", user.id)


@dataclass(frozen=True)
class ProfileUpdate:
    display_name: str
    department: str
    bio: str
    career_visibility: str


def update_profile(user: User, update: ProfileUpdate) -> None:
    name = check_display_name(update.display_name)
    department = check_department(update.department)
    bio = clean_text(update.bio).strip()
    if len(bio) > BIO_MAX:
        raise ValidationFailed({"bio": _("自己紹介は%(n)d文字以内にしてください。", n=BIO_MAX)})
    if update.career_visibility not in CAREER_VISIBILITY:
        raise ValidationFailed({"career_visibility": _("公開範囲を選んでください。")})
    with write_transaction():
        user.display_name = name
        user.department = department
        user.bio = bio
        user.career_visibility = update.career_visibility


def set_locale(user: User, language: str) -> None:
    with write_transaction():
        user.locale = language


def create_verified_user(
    email: str, display_name: str, password: str, organization_code: str | None = None, role: str = "member"
) -> User:
    """For the CLI and the demo seed: an account that can log in at once."""
    email = normalize_email(email)
    if role not in ("member", "moderator", "admin"):
        raise ValidationFailed({"role": f"unknown role {role!r}"})
    organization = get_organization(organization_code) if organization_code else None
    with write_transaction():
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            raise ValidationFailed({"email": _("このメールアドレスはすでに登録されています。")})
        user = User(
            email=email,
            password_hash=hash_password(check_password(password, email)),
            display_name=check_display_name(display_name),
            organization_code=organization.code if organization else None,
            role=role,
            email_verified_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
    return user


def load_user_from_session(identity: str) -> User | None:
    """Flask-Login's user loader: "<id>:<session token>"; a rotated token ends the session."""
    user_id, _sep, token = identity.partition(":")
    if not user_id.isdigit() or len(user_id) > 18 or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user

