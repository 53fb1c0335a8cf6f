"""per-question crowd version (and outcome version) that caches of crowd numbers are keyed by

Revision ID: 5b1e7c3d9a20
Revises: bf9e5b285c4c
Create Date: 2026-11-30 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e7c3d9a20'
down_revision = 'bf9e5b285c4c'
branch_labels = None
depends_on = None


def upgrade():
    # Existing questions start at 0: workers upgraded together with the schema hold no cache
    # keyed by a version yet.
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crowd_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('outcome_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('outcome_version')
        batch_op.drop_column('crowd_version')
