"""the PostgreSQL search index: search_entries

Revision ID: 0011_search_entries
Revises: 0010_library
Create Date: 2026-12-03 09:00:00

When scaled (``SEARCH_BACKEND=postgres``) every web process on every host searches the same
index: one row per searchable entry, with its audience tokens (``text[]``) and its text-search
document (``tsvector``), each behind a GIN index. On SQLite the table is created with plain
text columns and stays empty (the embedded mode keeps its index in Whoosh). Filled by
``flask search rebuild`` (nothing to convert here).
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0011_search_entries"
down_revision = "0010_library"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_entries",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("obj_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("date", UTCDateTime(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "tokens",
            sa.Text().with_variant(postgresql.ARRAY(sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("fingerprint", sa.String(length=16), nullable=False),
        sa.Column(
            "document", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_search_entries")),
    )
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_entries_date"), ["date"], unique=False)
        # GIN on PostgreSQL (array overlap, text match); ignored elsewhere (a plain index).
        batch_op.create_index(
            "ix_search_entries_tokens", ["tokens"], unique=False, postgresql_using="gin"
        )
        batch_op.create_index(
            "ix_search_entries_document", ["document"], unique=False, postgresql_using="gin"
        )


def downgrade():
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_search_entries_document")
        batch_op.drop_index("ix_search_entries_tokens")
        batch_op.drop_index(batch_op.f("ix_search_entries_date"))
    op.drop_table("search_entries")
