"""manifesto translations and the paragraphs marked done

Revision ID: 0015_manifesto_translations
Revises: 0014_manifesto_revisions
Create Date: 2026-12-02 14:00:00

A translation is a shared document of its own, linked to the manifesto and to the source
revision it was last synced with; a paragraph marked done keeps the SHA-256 of the source
paragraph it translates, so a change of the source shows it out of date. New tables only.
"""

from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0015_manifesto_translations"
down_revision = "0014_manifesto_revisions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "manifesto_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manifesto_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("synced_revision_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["collab_documents.id"],
            name=op.f("fk_manifesto_translations_document_id_collab_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["manifesto_id"], ["manifestos.id"],
            name=op.f("fk_manifesto_translations_manifesto_id_manifestos"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["synced_revision_id"], ["manifesto_revisions.id"],
            name=op.f("fk_manifesto_translations_synced_revision_id_manifesto_revisions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manifesto_translations")),
        sa.UniqueConstraint(
            "manifesto_id", "language", name=op.f("uq_manifesto_translations_manifesto_id")
        ),
    )
    with op.batch_alter_table("manifesto_translations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manifesto_translations_manifesto_id"), ["manifesto_id"], unique=False
        )
    op.create_table(
        "manifesto_translated_paragraphs",
        sa.Column("translation_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["marked_by_id"], ["users.id"],
            name=op.f("fk_manifesto_translated_paragraphs_marked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["translation_id"], ["manifesto_translations.id"],
            name=op.f("fk_manifesto_translated_paragraphs_translation_id_manifesto_translations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "translation_id", "number", name=op.f("pk_manifesto_translated_paragraphs")
        ),
    )


def downgrade():
    op.drop_table("manifesto_translated_paragraphs")
    op.drop_table("manifesto_translations")
