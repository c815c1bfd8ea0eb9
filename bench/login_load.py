"""One city hall, one address: logins under load (issue 19), as `make bench-login` runs it.

    .venv/bin/python -m bench.login_load [--members 300] [--concurrency 12]

1. A fresh SQLite database (the real migrations) with N verified members, written in one
   transaction with one scrypt hash shared by all (the production hash, computed once).
2. gunicorn with the repository's gunicorn.conf.py (3 workers, as `make serve`), production
   settings, TRUSTED_PROXY_COUNT=1: this script plays nginx and sends X-Forwarded-For.
3. Morning: every member opens /login and logs in, all from one LGWAN proxy address, several
   at once. Every login must succeed; prints p50/p95 of the POST /login and the wall time.
4. Guessing: 20 wrong passwords for one account, each from another address. The account must
   be slowed or locked (429 or a form error), and the other members must still log in.

A measurement on a shared machine, not a test (tests/test_login_limits.py holds the tests).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.site_bench import Server, _csrf_token, _request

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "asa-no-chourei-2026"
CITY_HALL = "203.0.113.10"  # documentation range: the one proxy address of a whole municipality


def create_members(database: Path, count: int) -> list[str]:
    import flask_migrate

    from app import create_app
    from app.database import write_transaction
    from app.extensions import db
    from app.models import User, utcnow
    from app.services import accounts
    from config import Config

    config = type("LoadSetup", (Config,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "setup", "SEARCH_INDEX_DIR": None})
    app = create_app(config)
    emails = [f"shokuin{n:04d}@city.kawasaki.lg.jp" for n in range(count)]
    with app.app_context():
        flask_migrate.upgrade()
        password_hash = accounts.hash_password(PASSWORD)  # scrypt, as in production: computed once
        with write_transaction():
            db.session.add_all(
                User(email=email, password_hash=password_hash, display_name=f"川崎 職員{n}", email_verified_at=utcnow())
                for n, email in enumerate(emails)
            )
        db.session.remove()
        db.engine.dispose()
    return emails


def request(base, method: str, path: str, *, address: str, body: dict | None = None, cookie: str = "") -> tuple[int, str, str, dict]:
    """One request as nginx would pass it on: the client's address in X-Forwarded-For."""
    encoded = urllib.parse.urlencode(body) if body is not None else None
    return _request(base, method, path, encoded, cookie, headers={"X-Forwarded-For": address, "User-Agent": "zennin-bench-login"})


def log_in(base, email: str, password: str, address: str) -> tuple[int, float, str, dict]:
    """Open the login page, then post it; (status, seconds for the POST, page text, headers)."""
    _status, html, cookie, _headers = request(base, "GET", "/login", address=address)
    form = {"csrf_token": _csrf_token(html), "email": email, "password": password}
    started = time.perf_counter()
    status, text, _cookie, headers = request(base, "POST", "/login", address=address, body=form, cookie=cookie)
    return status, time.perf_counter() - started, text, headers


def scrypt_cost_ms() -> float:
    """What one password check costs on this machine right now: the floor of a login's CPU."""
    from werkzeug.security import check_password_hash, generate_password_hash

    stored = generate_password_hash(PASSWORD, method="scrypt")
    started = time.perf_counter()
    for _ in range(5):
        check_password_hash(stored, PASSWORD)
    return (time.perf_counter() - started) / 5 * 1000


def morning(base, emails: list[str], concurrency: int) -> bool:
    print(f"\n1. {len(emails)} members log in from one address ({CITY_HALL}), {concurrency} at a time")
    scrypt = scrypt_cost_ms()
    hashing = len(emails) * scrypt / 1000 / (os.cpu_count() or 1)
    print(f"   one scrypt check costs {scrypt:.0f} ms here now ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}):"
          f" {hashing:.0f} s of hashing alone for {len(emails)} logins")
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda email: log_in(base, email, PASSWORD, CITY_HALL), emails))
    wall = time.perf_counter() - started
    times = sorted(seconds * 1000 for _status, seconds, _text, _headers in results)
    failures = [status for status, *_rest in results if status != 302]
    p95 = times[max(0, round(len(times) * 0.95) - 1)]
    print(f"   succeeded {len(results) - len(failures)}/{len(results)}, failures {len(failures)} {sorted(set(failures)) or ''}")
    print(f"   POST /login p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, max {times[-1]:.0f} ms")
    print(f"   all {len(results)} logins (page + post each) in {wall:.1f} s ({len(results) / wall:.1f} logins/s); load {os.getloadavg()[0]:.2f}")
    ok = not failures and wall < 60
    print("   ok" if ok else "   MISSED: every member must log in within a minute")
    return ok


def guessing(base, victim: str, others: list[str]) -> bool:
    print(f"\n2. 20 wrong passwords for {victim}, each from another address")
    outcomes = []
    for n in range(20):
        status, _seconds, text, headers = log_in(base, victim, f"guess-{n:02d}", f"198.51.100.{n + 1}")
        wait = re.search(r"(\d+(?:秒|分))後にもう一度お試しください", text)
        outcomes.append((status, wait.group(1) if wait else "", headers.get("Retry-After", "")))
    for n, (status, wait, retry_after) in enumerate(outcomes, 1):
        note = f"form error: wait {wait}" + (f", Retry-After {retry_after}" if retry_after else "") if wait else "form error: wrong password"
        print(f"   attempt {n:2d}: {status}  {note}")
    locked = sum(1 for status, *_rest in outcomes if status == 429)
    right_password = log_in(base, victim, PASSWORD, "198.51.100.99")[0]
    print(f"   refused with 429: {locked}/20; the right password meanwhile: {right_password}")
    colleagues = [log_in(base, email, PASSWORD, address)[0] for email, address in zip(others, ["198.51.100.5", CITY_HALL, "192.0.2.7"], strict=True)]
    print(f"   other members from those addresses and the city hall: {colleagues}")
    ok = locked >= 5 and right_password == 429 and colleagues == [302, 302, 302]
    print("   ok" if ok else "   MISSED: the account must be locked and the others not")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=12)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zennin-login-") as temporary:
        folder = Path(temporary)
        started = time.perf_counter()
        emails = create_members(folder / "zennin.sqlite", args.members + 4)
        print(f"{args.members + 4} verified members created in {time.perf_counter() - started:.1f} s (temporary SQLite)")
        database = folder / "zennin.sqlite"
        server = Server(
            folder,
            "wsgi:app",
            {
                "DATABASE_URL": f"sqlite:///{database}",
                "SEARCH_INDEX_DIR": str(folder / "search-index"),
                "TRUSTED_PROXY_COUNT": "1",
                "WEB_CONCURRENCY": None,  # gunicorn.conf.py's 3 workers
            },
        )
        print(f"gunicorn: 3 workers, production settings, TRUSTED_PROXY_COUNT=1, on {server.base[0]}:{server.base[1]}; load {os.getloadavg()[0]:.2f}")
        try:
            ok = morning(server.base, emails[: args.members], args.concurrency)
            ok = guessing(server.base, emails[args.members], emails[args.members + 1 :]) and ok
        finally:
            server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
