"""moderator roles: moderator, editor or admin in place of the is_admin flag

Revision ID: e4a7c2b91d06
Revises: 5b1e7c3d9a20
Create Date: 2026-11-30 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4a7c2b91d06'
down_revision = '5b1e7c3d9a20'
branch_labels = None
depends_on = None

moderators = sa.table(
    'moderators', sa.column('is_admin', sa.Boolean), sa.column('role', sa.String)
)


def upgrade():
    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('role', sa.String(length=16), server_default='moderator', nullable=False)
        )
    # Admins keep every right; everyone else stays a moderator of the queues.
    op.execute(moderators.update().where(moderators.c.is_admin == sa.true()).values(role='admin'))
    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_moderators_role'), "role IN ('moderator', 'editor', 'admin')"
        )
        batch_op.drop_column('is_admin')


def downgrade():
    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('is_admin', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Editors lose their questions: only admins had rights beyond the queues before.
    op.execute(moderators.update().where(moderators.c.role == 'admin').values(is_admin=True))
    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_moderators_role'), type_='check')
        batch_op.drop_column('role')
