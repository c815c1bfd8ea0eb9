"""flags: a moderator's message on a notification (a warning, a suspension's reason)

Revision ID: 0008_flags
Revises: 0007
Create Date: 2026-12-06 08:00:00

Hand-written. notifications.message: the text a moderator wrote to the person (shown in their
inbox only; the audit log records that a warning was sent, never its words).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_flags'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('message')
