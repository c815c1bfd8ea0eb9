"""performance: indexes for the votes tab, the experts ranking and profiles; site counters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:30:00

Hand-written (checked against autogenerate). At 100,000 questions (make bench):
- ix_posts_kind_score held (kind, deleted_at, score) only, so ORDER BY score, created_at, id sorted
  each run of equal scores in a temporary B-tree: page 500 of the votes tab took 1.4 s. With
  created_at and id in the index, the walk is ordered and the page takes about 1 ms.
- ix_posts_question also holds kind, author_id and score: the experts ranking sums a tag's
  answers per author from the index alone (財政: 80,000 answers) instead of reading each row.
- ix_posts_author also holds deleted_at, score, created_at and question_id: a profile reads a
  person's answers (best first), acceptances and tags from it. Without them the planner walked
  every question with an accepted answer: 4 s of SQL for a member with 72 posts.
- counters: every list page counted its visible questions for the page count (≈ 9 ms of CPU at
  100,000, growing with the site). The questions service now keeps the count in a row, like
  tags.question_count; it is filled here from the data already present.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_kind_score')
        batch_op.create_index('ix_posts_kind_score', ['kind', 'deleted_at', 'score', 'created_at', 'id'], unique=False)
        batch_op.drop_index('ix_posts_question')
        batch_op.create_index('ix_posts_question', ['question_id', 'deleted_at', 'kind', 'author_id', 'score'], unique=False)
        batch_op.drop_index('ix_posts_author')
        batch_op.create_index(
            'ix_posts_author', ['author_id', 'kind', 'deleted_at', 'score', 'created_at', 'question_id'], unique=False
        )

    counters = op.create_table('counters',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counters'))
    )
    visible = op.get_bind().execute(
        sa.text("SELECT count(*) FROM posts WHERE kind = 'question' AND deleted_at IS NULL")
    ).scalar()
    op.bulk_insert(counters, [{'name': 'visible_questions', 'value': visible}])


def downgrade():
    op.drop_table('counters')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_kind_score')
        batch_op.create_index('ix_posts_kind_score', ['kind', 'deleted_at', 'score'], unique=False)
        batch_op.drop_index('ix_posts_question')
        batch_op.create_index('ix_posts_question', ['question_id', 'deleted_at'], unique=False)
        batch_op.drop_index('ix_posts_author')
        batch_op.create_index('ix_posts_author', ['author_id', 'kind'], unique=False)
