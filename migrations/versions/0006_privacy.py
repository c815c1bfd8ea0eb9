"""privacy: career visibility names, personal feed keys, removal reasons, redaction marks,
an append-only audit log

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 07:00:00

Hand-written (checked against autogenerate).
- users.career_visibility: the site is members-only now, so 'public' means every member
  ('members') and 'private' means the career only counts for rankings ('ranking_only').
- users.feed_key: the per-person secret behind personal feed URLs (NULL: no feed URL).
- posts.removal_reason / removal_note: why a moderator removed a post, shown to its author.
- revisions.redacted_at: when a passage of this revision was redacted (the text itself is gone).
- audit_log: indexes for the admin page's filters, and triggers that refuse UPDATE and DELETE,
  so no code path (nor a stray SQL statement of ours) can rewrite history.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_RENAMES = (("public", "members"), ("private", "ranking_only"))

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)
_POSTGRES_TRIGGERS = (
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)


def _set_visibility_names(pairs, allowed):
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_career_visibility'), type_='check')
    for old, new in pairs:
        op.execute(sa.text("UPDATE users SET career_visibility = :new WHERE career_visibility = :old").bindparams(old=old, new=new))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_users_career_visibility'), f"career_visibility IN {allowed}")


def upgrade():
    _set_visibility_names(_RENAMES, "('members', 'organization', 'ranking_only')")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_key', sa.String(length=32), nullable=True))
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removal_reason', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('removal_note', sa.String(length=500), nullable=True))
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redacted_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_action', ['action', 'created_at'], unique=False)
        batch_op.create_index('ix_audit_log_target', ['target_type', 'target_id'], unique=False)
    for statement in _POSTGRES_TRIGGERS if op.get_bind().dialect.name == 'postgresql' else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_delete")
        op.execute("DROP TRIGGER audit_log_no_update")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_target')
        batch_op.drop_index('ix_audit_log_action')
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_column('redacted_at')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('removal_note')
        batch_op.drop_column('removal_reason')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('feed_key')
    _set_visibility_names([(new, old) for old, new in _RENAMES], "('public', 'organization', 'private')")
