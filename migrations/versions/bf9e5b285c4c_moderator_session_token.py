"""moderator session token: logout, disable and a new password end every session

Revision ID: bf9e5b285c4c
Revises: 4fd1ce9744fd
Create Date: 2026-11-30 02:16:57.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bf9e5b285c4c'
down_revision = '4fd1ce9744fd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))

    # Every existing account gets a random token of its own (as models.new_session_token), so
    # sessions made before this revision, which hold a moderator's id, no longer log anyone in.
    moderators = sa.table('moderators', sa.column('id', sa.Integer), sa.column('session_token'))
    connection = op.get_bind()
    for (moderator_id,) in connection.execute(sa.select(moderators.c.id)).all():
        connection.execute(
            moderators.update()
            .where(moderators.c.id == moderator_id)
            .values(session_token=secrets.token_urlsafe(32))
        )

    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f('uq_moderators_session_token'), ['session_token']
        )


def downgrade():
    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_moderators_session_token'), type_='unique')
        batch_op.drop_column('session_token')
