"""manifesto revisions and endorsements

Revision ID: 0014_manifesto_revisions
Revises: 0013_manifestos
Create Date: 2026-12-02 13:30:00

A revision is the whole text at one moment (numbered per manifesto, with its authors and a
SHA-256 of the text); an endorsement binds an organisation's signature to one revision and
keeps the hash it signed. New tables only.
"""

from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0014_manifesto_revisions"
down_revision = "0013_manifestos"
branch_labels = None
depends_on = None

KIND = sa.Enum("automatic", "named", "restored", name="revisionkind", native_enum=False,
               length=20)  # fmt: skip


def upgrade():
    op.create_table(
        "manifesto_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manifesto_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("author_ids", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"],
            name=op.f("fk_manifesto_revisions_created_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["manifesto_id"], ["manifestos.id"],
            name=op.f("fk_manifesto_revisions_manifesto_id_manifestos"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manifesto_revisions")),
        sa.UniqueConstraint(
            "manifesto_id", "number", name=op.f("uq_manifesto_revisions_manifesto_id")
        ),
    )
    with op.batch_alter_table("manifesto_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manifesto_revisions_manifesto_id"), ["manifesto_id"], unique=False
        )
    op.create_table(
        "manifesto_endorsements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manifesto_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("signer_name", sa.String(length=120), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["manifesto_id"], ["manifestos.id"],
            name=op.f("fk_manifesto_endorsements_manifesto_id_manifestos"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_manifesto_endorsements_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"], ["manifesto_revisions.id"],
            name=op.f("fk_manifesto_endorsements_revision_id_manifesto_revisions"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"], ["users.id"],
            name=op.f("fk_manifesto_endorsements_signed_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manifesto_endorsements")),
        sa.UniqueConstraint(
            "manifesto_id", "organisation_id",
            name=op.f("uq_manifesto_endorsements_manifesto_id"),
        ),
    )
    with op.batch_alter_table("manifesto_endorsements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manifesto_endorsements_manifesto_id"), ["manifesto_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_manifesto_endorsements_organisation_id"), ["organisation_id"],
            unique=False,
        )


def downgrade():
    op.drop_table("manifesto_endorsements")
    op.drop_table("manifesto_revisions")
