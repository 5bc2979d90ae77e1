"""accounts registered on the site confirm their address

Revision ID: 0006_confirm_address
Revises: 0005_sessions_markup
Create Date: 2026-12-02 04:30:00

Registering sends a link to the address; the account waits until it is opened, so that the
registration page never reveals whether an address already has an account. Mailed links
(password reset, confirmation) share one table with a purpose.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006_confirm_address"
down_revision = "0005_sessions_markup"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "awaiting_confirmation", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=16), nullable=False, server_default="reset")
        )


def downgrade():
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.drop_column("purpose")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("awaiting_confirmation")
