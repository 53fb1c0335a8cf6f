"""published_at per question: None is a draft, seen only by editors

Revision ID: a6c2f9e41b37
Revises: e3a91c7d2b14
Create Date: 2026-11-30 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6c2f9e41b37'
down_revision = 'e3a91c7d2b14'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(), nullable=True))
    # Every question so far was public from the moment it was loaded.
    op.execute('UPDATE questions SET published_at = created_at')


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('published_at')
