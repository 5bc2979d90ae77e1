"""live sockets remember their audience channels

Revision ID: 0004_socket_channels
Revises: 0003_campaigns
Create Date: 2026-12-02 03:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004_socket_channels"
down_revision = "0003_campaigns"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("live_sockets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channels", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade():
    with op.batch_alter_table("live_sockets", schema=None) as batch_op:
        batch_op.drop_column("channels")
