"""article_urls per question: the addresses an embed without a slug is matched against

Revision ID: e3a91c7d2b14
Revises: e4a7c2b91d06
Create Date: 2026-11-30 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3a91c7d2b14'
down_revision = 'e4a7c2b91d06'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('article_urls', sa.JSON(), server_default='[]', nullable=False))


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('article_urls')
