"""a person's name in another script: users.other_name

Revision ID: 0009_user_other_name
Revises: 0008_org_name_folded
Create Date: 2026-12-02 07:40:00

Families write each other's names in the script they read: "@نورة" and "@Noura" must reach the
same person. ``other_name`` is optional (empty for everyone until they set it in the profile);
mentions and the composer's suggestions match either name.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_user_other_name"
down_revision = "0008_org_name_folded"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("other_name", sa.String(length=80), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("other_name")
