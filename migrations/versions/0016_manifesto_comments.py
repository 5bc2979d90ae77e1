"""comments on manifesto passages

Revision ID: 0016_manifesto_comments
Revises: 0015_manifesto_translations
Create Date: 2026-12-02 14:30:00

A comment keeps a Yjs relative position of its passage (so it follows edits), the passage as
quoted, its Markdown rendered once, and whether it is resolved; replies point to it.
New table only.
"""

from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0016_manifesto_comments"
down_revision = "0015_manifesto_translations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "manifesto_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manifesto_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("anchor", sa.LargeBinary(), nullable=True),
        sa.Column("quote", sa.String(length=300), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"],
            name=op.f("fk_manifesto_comments_author_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["manifesto_id"], ["manifestos.id"],
            name=op.f("fk_manifesto_comments_manifesto_id_manifestos"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["manifesto_comments.id"],
            name=op.f("fk_manifesto_comments_parent_id_manifesto_comments"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"],
            name=op.f("fk_manifesto_comments_resolved_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manifesto_comments")),
    )
    with op.batch_alter_table("manifesto_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manifesto_comments_manifesto_id"), ["manifesto_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_manifesto_comments_parent_id"), ["parent_id"], unique=False
        )


def downgrade():
    op.drop_table("manifesto_comments")
