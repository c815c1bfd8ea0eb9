"""Command-line tools, as `flask --app wsgi …` (DESIGN.md §5). They call the same services."""

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app import indexing, mail
from app.models import utcnow
from app.services import accounts, backup, digests, meetings, seed
from app.services.errors import ValidationFailed
from app.services.organizations import load_organizations
from search import SearchUnavailable

orgs_cli = AppGroup("orgs", help="Organizations (local governments and national bodies).")
seed_cli = AppGroup("seed", help="Demo content.")
users_cli = AppGroup("users", help="Accounts.")
search_cli = AppGroup("search", help="The full-text search index.")
mail_cli = AppGroup("mail", help="The outgoing mail queue.")
audit_cli = AppGroup("audit", help="The audit log (read only: entries cannot be changed or deleted).")
posts_cli = AppGroup("posts", help="Stored posts.")
import_cli = AppGroup("import", help="Import content: a Stack Exchange dump, a municipal FAQ CSV, a Zennin export.")


@orgs_cli.command("load")
def orgs_load():
    """Insert or update the organization list and populations shipped in app/data (idempotent)."""
    click.echo(f"{load_organizations()} organizations loaded")


@seed_cli.command("demo")
def seed_demo():
    """Fill an empty database with demo content; does nothing on a non-empty one."""
    if not seed.load_demo(progress=click.echo):
        click.echo("database is not empty: demo not loaded")
    else:
        click.echo(f"demo loaded; every demo account's password is {seed.DEMO_PASSWORD}")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Display name")
@click.option("--password", required=True)
@click.option("--org", "organization", default=None, help="Organization code, e.g. 141003")
@click.option("--role", type=click.Choice(["member", "moderator", "admin"]), default="member")
def users_create(email, name, password, organization, role):
    """Create a verified account (no e-mail domain restriction: this is the operator's tool)."""
    try:
        user = accounts.create_verified_user(email, name, password, organization, role)
    except ValidationFailed as failure:
        raise click.ClickException("; ".join(failure.errors.values())) from None
    click.echo(f"created user {user.id} <{user.email}> ({role})")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="コマンドラインで発行", show_default=True, help="Name shown in the person's token list")
@click.option("--scope", type=click.Choice(["write", "read"]), default="write", show_default=True)
def users_token(email, name, scope):
    """Print a new personal API token for EMAIL (shown once; stored only as a hash)."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import User
    from app.services import tokens

    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or user.is_placeholder or not user.is_active or not user.is_verified:
        raise click.ClickException(f"no verified, active account for {email}")
    created = tokens.create_token(user, name, scope)
    click.echo(created.secret)


@users_cli.command("claim")
@click.argument("placeholder_id", type=int)
@click.argument("email")
def users_claim(placeholder_id, email):
    """Give an imported placeholder's posts to the verified account EMAIL (check who they are first)."""
    from app.services.errors import NotFound
    from app.services.importers.placeholders import claim_placeholder

    try:
        person = claim_placeholder(placeholder_id, email)
    except NotFound:
        raise click.ClickException(f"{placeholder_id} is not an unclaimed placeholder") from None
    except ValidationFailed as failure:
        raise click.ClickException("; ".join(failure.errors.values())) from None
    click.echo(f"placeholder {placeholder_id} claimed by user {person.id} <{person.email}>; reputation {person.reputation}")


@users_cli.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(["member", "moderator", "admin"]))
def users_role(email, role):
    """Give EMAIL's account a role (recorded in the audit log; the last admin cannot be demoted)."""
    from app.services import admin
    from app.services.errors import NotFound

    try:
        user = admin.user_by_email(email)
        changed = admin.set_role(None, user, role)
    except NotFound:
        raise click.ClickException(f"no account for {email}") from None
    except ValidationFailed as failure:
        raise click.ClickException("; ".join(map(str, failure.errors.values()))) from None
    click.echo(f"user {user.id} <{user.email}> is {role}" + ("" if changed else " (unchanged)"))


def _day_option(value: str | None, param: str):
    """A day for --since/--until as the page reads it; a bad one is a usage error (exit code 2)."""
    from app.services import audit

    try:
        return audit.parse_day(value, param)
    except ValidationFailed:
        raise click.BadParameter(f"{value!r} is not a date; write it as 2026-12-01", param_hint=f"--{param}") from None


@audit_cli.command("export")
@click.option("--since", required=True, help="First day, e.g. 2026-12-01 (days in Japan time)")
@click.option("--until", default=None, help="Last day, included (default: up to now)")
@click.option("--format", "output_format", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write (default: standard output)")
def audit_export(since, until, output_format, output):
    """Write audit log entries, oldest first: JSON Lines (one object per entry) or CSV."""
    import contextlib
    import csv
    import json
    import sys

    from app.services import audit

    filters = audit.AuditFilter(since=_day_option(since, "since"), until=_day_option(until, "until"))
    if filters.until and filters.since > filters.until:
        raise click.BadParameter("--until is before --since", param_hint="--until")
    with output.open("w", encoding="utf-8", newline="") if output else contextlib.nullcontext(sys.stdout) as stream:
        if output_format == "csv":
            writer = csv.DictWriter(stream, fieldnames=audit.EXPORT_FIELDS)
            writer.writeheader()
            for entry in audit.export_entries(filters):
                writer.writerow({**entry, "detail": json.dumps(entry["detail"], ensure_ascii=False)})
        else:
            for entry in audit.export_entries(filters):
                stream.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _progress_bars():
    """A progress callback drawing one click progress bar per stage (users, tags, posts…)."""
    state: dict = {}

    def progress(label: str, done: int, total: int) -> None:
        if state.get("label") != label:
            if state.get("bar") is not None:
                state["bar"].render_finish()
            state.update(label=label, done=0, bar=click.progressbar(length=max(total, 1), label=label.ljust(9)))
            state["bar"].__enter__()
        bar = state["bar"]
        bar.update(max(done - state["done"], 0))
        state["done"] = max(done, state["done"])

    def finish() -> None:
        if state.get("bar") is not None:
            state["bar"].render_finish()

    return progress, finish


def _print_report(report, seconds: float, posts: int) -> None:
    for line in report.lines():
        click.echo(line)
    rate = f" ({posts / seconds:.0f} posts/s)" if seconds > 0 and posts else ""
    click.echo(f"done in {seconds:.1f}s{rate}")


@import_cli.command("stackexchange")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Import at most N new questions (with their answers)")
@click.option("--site", default=None, help="Name of the source site (default: the folder name); re-runs must use the same")
def import_stackexchange(directory, limit, site):
    """Import a Stack Exchange dump folder (Posts.xml, Users.xml, Tags.xml, PostLinks.xml, Votes.xml)."""
    import time

    from app.services.importers import stackexchange

    progress, finish = _progress_bars()
    started = time.perf_counter()
    report = stackexchange.import_dump(directory, limit=limit, source=site, progress=progress)
    finish()
    _print_report(report, time.perf_counter() - started, report.created["questions"] + report.created["answers"])


@import_cli.command("faq-csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--org", required=True, help="Organization code of the publisher, e.g. 141003")
@click.option("--tag", default=None, help="A tag added to every question, e.g. よくある質問")
def import_faq_csv(file, org, tag):
    """Import a municipal FAQ CSV (UTF-8 or Shift_JIS): each row a question with an accepted answer."""
    import time

    from app.services.importers import faq_csv

    progress, finish = _progress_bars()
    started = time.perf_counter()
    try:
        report = faq_csv.import_faq_csv(file, org=org, tag=tag, progress=progress)
    except ValidationFailed as failure:
        raise click.ClickException("; ".join(map(str, failure.errors.values()))) from None
    except faq_csv.FaqFormatError as error:
        raise click.ClickException(str(error)) from None
    finish()
    _print_report(report, time.perf_counter() - started, report.created["questions"] * 2)


@import_cli.command("zennin")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def import_zennin(directory):
    """Restore a `flask export` folder into an empty database (ids kept; people become placeholders)."""
    from app.services.importers import zennin

    progress, finish = _progress_bars()
    try:
        report = zennin.restore(directory, progress=progress)
    except (zennin.NotEmpty, ValueError) as error:
        raise click.ClickException(str(error)) from None
    finish()
    for line in report.lines():
        click.echo(line)


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
def export_command(directory):
    """Write all visible content as JSON Lines into DIRECTORY (no e-mail addresses or passwords)."""
    from app.services.export import export_all

    counts = export_all(directory)
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))


@search_cli.command("rebuild")
@click.option("--procs", default=2, show_default=True, help="Worker processes for analysis")
def search_rebuild(procs):
    """Rebuild the index from the database into a new directory and swap it in."""
    from sqlalchemy.orm import Session

    from app.extensions import db

    with Session(db.engine) as session:
        total = indexing.count_documents(session)
    with click.progressbar(length=total, label="indexing questions") as bar:
        done = [0]

        def progress(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        count = indexing.rebuild(procs=procs, progress=progress)
    click.echo(f"indexed {count} questions")
    applied = indexing.try_sync()
    click.echo(f"applied {applied or 0} changes made during the rebuild")


synonyms_cli = AppGroup("synonyms", help="The administrative-jargon dictionary search expands queries with.")
search_cli.add_command(synonyms_cli)


@synonyms_cli.command("load")
def search_synonyms_load():
    """Fill an empty jargon dictionary with the starter list of app/data (never over edits)."""
    from app.services.search import load_starter_synonyms

    added = load_starter_synonyms()
    click.echo(f"{added} synonym groups loaded" if added else "the dictionary has entries or moderators edited it: nothing to do")


@search_cli.command("sync")
@click.option("--batch-size", default=500, show_default=True, help="Outbox rows per index commit")
def search_sync(batch_size):
    """Apply pending outbox rows to the index (run from cron/systemd, or after a lock timeout)."""
    try:
        applied = indexing.sync_index(limit=batch_size, timeout=30.0, replay=indexing.REPLAY_WINDOW)
        if indexing.purge_redactions(timeout=30.0):
            click.echo("purged redacted text from the index files")
    except SearchUnavailable as error:
        raise click.ClickException(f"search index unavailable: {error}; run `search rebuild`") from None
    click.echo(f"applied {applied} changes")


@posts_cli.command("render")
def posts_render():
    """Render every post and tag description again with the current sanitizer rules (say, after
    IMAGE_SOURCES changed) and store the HTML where it differs. Safe to run while the site serves."""
    from app.services.importers.common import patient_rendering
    from app.services.posting import render_stored

    with patient_rendering():
        changed, refused = render_stored()
    click.echo(f"re-rendered {changed} (refused, old HTML kept: {refused})")


@mail_cli.command("send")
def mail_send():
    """Send queued e-mail that is due, each message exactly once (app/mail.py); failures are retried
    with back-off, refused or unknown-outcome messages are held for an admin at /admin/mail."""
    report = mail.deliver_pending()
    click.echo(f"sent {report.sent}, failed {report.failed}, dead {report.dead}")


@click.command("housekeeping")
def housekeeping_command():
    """Trim the search outbox (rows every index has applied), old read notifications, expired
    rate-limit windows and old sent mail (app/services/housekeeping.py); ask the experts of tags
    with possibly outdated answers to review them (app/services/confirmations.py). Run daily."""
    from app.services import confirmations, housekeeping

    trimmed = housekeeping.trim()
    click.echo(
        f"deleted: search outbox {trimmed.outbox}, notifications {trimmed.notifications}, "
        f"rate limits {trimmed.rate_limits}, mail {trimmed.mail}"
    )
    click.echo(f"review reminders sent: {confirmations.remind_experts()}")


def _now(now_text: str | None) -> datetime:
    """--now as naive UTC (no offset means UTC), or the present."""
    if now_text is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(now_text)
    except ValueError:
        raise click.BadParameter("expected an ISO date-time such as 2026-12-07T07:00+09:00", param_hint="--now") from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


@mail_cli.command("reminders")
@click.option("--now", "now_text", metavar="ISO-DATETIME", help="Remind as at this time (default: now; no offset means UTC)")
def mail_reminders(now_text):
    """Remind registered members of tomorrow's (JST) exchange meetings (from a timer; never twice)."""
    click.echo(f"queued {meetings.send_reminders(_now(now_text))} meeting reminders")


@mail_cli.command("digest")
@click.option("--now", "now_text", metavar="ISO-DATETIME", help="Send what is due at this time (default: now; no offset means UTC)")
def mail_digest(now_text):
    """Send the daily and weekly digests that are due (run from a timer; never sends a period twice)."""
    result = digests.send_due(_now(now_text))
    for period in result.periods:
        click.echo(f"{period.frequency}: period from {period.local_start:%Y-%m-%d %H:%M} JST")
    click.echo(f"queued {result.sent} digests, {result.empty} empty (not mailed)")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path):
    """Write a consistent copy of the database to PATH (safe while the site is running)."""
    try:
        click.echo(f"backup written to {backup.backup(path)}")
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(path: Path):
    """Load backup PATH into the configured (empty) database; then run `search rebuild`."""
    try:
        backup.restore(path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo("restored; now run `flask --app wsgi search rebuild`")


def register_commands(app: Flask) -> None:
    for command in (orgs_cli, seed_cli, users_cli, search_cli, mail_cli, posts_cli, import_cli, audit_cli, export_command, backup_command, restore_command, housekeeping_command):
        app.cli.add_command(command)
