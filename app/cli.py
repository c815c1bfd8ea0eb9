"""Command-line tools, as `flask --app wsgi …` (DESIGN.md §5). They call the same services."""

import click
from flask import Flask
from flask.cli import AppGroup

from app import indexing, mail
from app.services import accounts, seed
from app.services.errors import ValidationFailed
from app.services.organizations import load_organizations
from search import SearchUnavailable

orgs_cli = AppGroup("orgs", help="Organizations (local governments and national bodies).")
seed_cli = AppGroup("seed", help="Demo content.")
users_cli = AppGroup("users", help="Accounts.")
search_cli = AppGroup("search", help="The full-text search index.")
mail_cli = AppGroup("mail", help="The outgoing mail queue.")


@orgs_cli.command("load")
def orgs_load():
    """Insert or update the organization list shipped in app/data (idempotent)."""
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


@search_cli.command("sync")
def search_sync():
    """Apply pending outbox rows to the index (run from cron/systemd, or after a lock timeout)."""
    try:
        applied = indexing.sync_index(timeout=30.0)
    except SearchUnavailable as error:
        raise click.ClickException(f"search index unavailable: {error}; run `search rebuild`") from None
    click.echo(f"applied {applied} changes")


@mail_cli.command("send")
def mail_send():
    """Send queued e-mail that is due (retries failed deliveries with back-off)."""
    sent, failed = mail.deliver_pending()
    click.echo(f"sent {sent}, failed {failed}")


def register_commands(app: Flask) -> None:
    for group in (orgs_cli, seed_cli, users_cli, search_cli, mail_cli):
        app.cli.add_command(group)
