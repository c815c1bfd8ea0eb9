"""people: question routes (directed questions and expert routing), routing opt-in

Revision ID: 0002
Revises: 0003
Create Date: 2026-11-26 08:30:42

Hand-checked against autogenerate. Chained after 0003 (imports), which was added in parallel, so
the history keeps a single head. Additive only: safe on a populated database.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('question_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('directed', 'routed')", name=op.f('ck_question_routes_kind')),
    sa.ForeignKeyConstraint(['question_id'], ['posts.id'], name=op.f('fk_question_routes_question_id_posts')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_question_routes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_routes')),
    sa.UniqueConstraint('question_id', 'user_id', name=op.f('uq_question_routes_question_id_user_id'))
    )
    with op.batch_alter_table('question_routes', schema=None) as batch_op:
        # The weekly cap and "least recently routed" read a person's routed rows by time.
        batch_op.create_index('ix_question_routes_load', ['user_id', 'kind', 'created_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        # Existing people are opted in, like new ones (README: People and transfers).
        batch_op.add_column(sa.Column('routing_opt_in', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('routing_opt_in')

    with op.batch_alter_table('question_routes', schema=None) as batch_op:
        batch_op.drop_index('ix_question_routes_load')

    op.drop_table('question_routes')
