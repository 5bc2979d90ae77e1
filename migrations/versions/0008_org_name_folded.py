"""directory search without accents or case: organisations.name_folded

Revision ID: 0008_org_name_folded
Revises: 0007_event_last_end
Create Date: 2026-12-02 06:45:00

"comite" did not find "Comité": SQLite's LIKE folds only ASCII case, PostgreSQL's ILIKE keeps
accents. ``name_folded`` holds the name lowercased with its accents and Arabic vowel marks
taken off (``app.models.orgs.fold``, kept by the model on every write of the name); the
directory compares the folded query with it, the same way on every database. Here the stored
organisations get it, computed by the same function.
"""

from alembic import op
import sqlalchemy as sa

from app.models.orgs import fold


# revision identifiers, used by Alembic.
revision = "0008_org_name_folded"
down_revision = "0007_event_last_end"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_folded", sa.Text(), nullable=False, server_default=""))
    _fill()


def _fill():
    """Fold every stored organisation's name, BATCH rows at a time."""
    organisations = sa.table(
        "organisations",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_folded", sa.Text),
    )
    connection = op.get_bind()
    store = (
        organisations.update()
        .where(organisations.c.id == sa.bindparam("row"))
        .values(name_folded=sa.bindparam("folded"))
    )
    last = 0
    while rows := connection.execute(
        sa.select(organisations.c.id, organisations.c.name)
        .where(organisations.c.id > last)
        .order_by(organisations.c.id)
        .limit(BATCH)
    ).all():
        connection.execute(store, [{"row": row.id, "folded": fold(row.name)} for row in rows])
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("name_folded")
