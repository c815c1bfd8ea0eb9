"""Login throttling (SECURITY.md AUTH-01, AUTH-03): only failed attempts count.

On LGWAN a whole city hall (behind a prefecture's security cloud, sometimes a whole prefecture)
reaches us from one proxy address, so an address is not a person: a successful login never
counts, and the address-wide scope ("ip") only stops floods of failures. Guessing is stopped per
account, from anywhere ("account"), and per account and address ("account_ip"). Past the failures
a scope allows within its window, each further failure locks the scope twice as long as the one
before (LOGIN_LOCK_FIRST seconds, doubling up to LOGIN_LOCK_MAX). A lock ends by itself, so nobody
can lock a colleague out for good, and while it lasts no password is checked at all.

Counters live in the limiter's storage (app/ratelimit.py: the database, shared by every worker).
"""

import math
import time
from dataclasses import dataclass

from flask import current_app

from app.extensions import limiter
from app.services import accounts
from app.text import normalize_key

SCOPES = ("account_ip", "account", "ip")


@dataclass(frozen=True)
class Lockout:
    scope: str  # one of SCOPES
    until: float  # epoch seconds

    @property
    def seconds(self) -> int:
        return max(1, math.ceil(self.until - time.time()))


def _keys(email: str, address: str) -> dict[str, str]:
    account = normalize_key(email)[:254]  # Victim@… and ｖｉｃｔｉｍ@… are one account
    return {"account_ip": f"{account}|{address}", "account": account, "ip": address}


def _enabled() -> bool:
    return bool(current_app.config["RATELIMIT_ENABLED"])


def lockout(email: str, address: str) -> Lockout | None:
    """The longest lock now holding logins to this account from this address, if any."""
    if not _enabled():
        return None
    storage = limiter.storage
    locks = [
        Lockout(scope, storage.get_expiry(f"login-lock:{scope}:{key}"))
        for scope, key in _keys(email, address).items()
        if storage.get(f"login-lock:{scope}:{key}")
    ]
    return max(locks, key=lambda lock: lock.until, default=None)


def record_failure(email: str, address: str) -> Lockout | None:
    """Count a failed login in every scope; the longest lock this failure started, if any.

    The first lock of a scope's window goes to the audit log (later ones in the same window
    only double), so an attack leaves a row without filling the log.
    """
    if not _enabled():
        return None
    config = current_app.config
    storage = limiter.storage
    started = []
    for scope, key in _keys(email, address).items():
        allowed, window = config["LOGIN_FAILURE_LIMITS"][scope]
        over = storage.incr(f"login-failures:{scope}:{key}", window) - allowed
        if over <= 0:
            continue
        seconds = min(config["LOGIN_LOCK_FIRST"] * 2 ** min(over - 1, 30), config["LOGIN_LOCK_MAX"])
        storage.incr(f"login-lock:{scope}:{key}", seconds)
        started.append(Lockout(scope, time.time() + seconds))
        if over == 1:
            accounts.record_login_lockout(email, f"{allowed} failures per {window} s", scope)
    return max(started, key=lambda lock: lock.until, default=None)
