"""collaborative documents: collab_documents, collab_updates, collab_presence

Revision ID: 0012_collab
Revises: 0011_search_entries
Create Date: 2026-12-02 13:00:00

A shared Yjs document is an append-only log of validated v1 updates (gapless sequence numbers
per document) folded now and then into a snapshot; collab_presence lists the live
connections on a document so that losing access closes them at once. New tables only.
"""

from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0012_collab"
down_revision = "0011_search_entries"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "collab_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("snapshot_seq", sa.Integer(), nullable=False),
        sa.Column("stored_bytes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collab_documents")),
        sqlite_autoincrement=True,  # ids never reused: live copies are keyed by them
    )
    op.create_table(
        "collab_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["collab_documents.id"],
            name=op.f("fk_collab_updates_document_id_collab_documents"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_collab_updates_user_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collab_updates")),
        sa.UniqueConstraint("document_id", "seq", name=op.f("uq_collab_updates_document_id")),
    )
    with op.batch_alter_table("collab_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collab_updates_document_id"), ["document_id"], unique=False
        )
    op.create_table(
        "collab_presence",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["collab_documents.id"],
            name=op.f("fk_collab_presence_document_id_collab_documents"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_collab_presence_user_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", "document_id", name=op.f("pk_collab_presence")),
    )


def downgrade():
    op.drop_table("collab_presence")
    with op.batch_alter_table("collab_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collab_updates_document_id"))
    op.drop_table("collab_updates")
    op.drop_table("collab_documents")
