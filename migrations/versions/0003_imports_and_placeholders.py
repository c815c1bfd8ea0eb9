"""imports: import_records, placeholder users, imported score offset

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-27 10:00:00

Hand-written (checked against autogenerate): three additive changes, safe on a populated database.
0002 (people), written in parallel, is chained after this one, so there is a single head.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('local_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_records')),
    sa.UniqueConstraint('source', 'kind', 'external_id', name=op.f('uq_import_records_source_kind_external_id'))
    )
    with op.batch_alter_table('import_records', schema=None) as batch_op:
        batch_op.create_index('ix_import_records_local', ['kind', 'local_id'], unique=False)

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_score', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_placeholder', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('is_placeholder')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('imported_score')

    with op.batch_alter_table('import_records', schema=None) as batch_op:
        batch_op.drop_index('ix_import_records_local')

    op.drop_table('import_records')
