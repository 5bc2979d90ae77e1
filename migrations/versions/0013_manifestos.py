"""manifestos and their drafting committees

Revision ID: 0013_manifestos
Revises: 0012_collab
Create Date: 2026-12-02 13:10:00

A manifesto points to its shared document (collab_documents) and keeps its text rendered once
per version; its committee is the organisations whose members edit it. New tables only.
"""

from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0013_manifestos"
down_revision = "0012_collab"
branch_labels = None
depends_on = None

STATUS = sa.Enum("drafting", "open", "published", "closed", name="manifestostatus",
                 native_enum=False, length=20)  # fmt: skip
VISIBILITY = sa.Enum("public", "movement", "committee", name="draftvisibility",
                     native_enum=False, length=20)  # fmt: skip


def upgrade():
    op.create_table(
        "manifestos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("visibility", VISIBILITY, nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("html_version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"],
            name=op.f("fk_manifestos_created_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["collab_documents.id"],
            name=op.f("fk_manifestos_document_id_collab_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manifestos")),
    )
    with op.batch_alter_table("manifestos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manifestos_status"), ["status"], unique=False)
    op.create_table(
        "manifesto_committee",
        sa.Column("manifesto_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["manifesto_id"], ["manifestos.id"],
            name=op.f("fk_manifesto_committee_manifesto_id_manifestos"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_manifesto_committee_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "manifesto_id", "organisation_id", name=op.f("pk_manifesto_committee")
        ),
    )
    with op.batch_alter_table("manifesto_committee", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manifesto_committee_organisation_id"), ["organisation_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("manifesto_committee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manifesto_committee_organisation_id"))
    op.drop_table("manifesto_committee")
    with op.batch_alter_table("manifestos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manifestos_status"))
    op.drop_table("manifestos")
