"""when a series ends: events.last_ends_at

Revision ID: 0007_event_last_end
Revises: 0006_confirm_address
Create Date: 2026-12-02 06:00:00

Calendars could not tell in SQL when a repeating event ends, so every series ever stored was
loaded and expanded for every month shown. ``last_ends_at`` is the UTC end of an event's last
date, changed dates included; NULL while a series has no end. The services keep it; here the
stored events get it, computed by the same function the services use
(``app.campaigns.recurrence.series_end``, bounded per event), so existing databases need no
other step. A row left NULL is only loaded by every calendar, as before.
"""

from alembic import op
import sqlalchemy as sa

from app.campaigns.recurrence import series_end
from app.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0007_event_last_end"
down_revision = "0006_confirm_address"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_ends_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_events_last_ends_at"), ["last_ends_at"], unique=False)
    _fill()


def _fill():
    """Compute every stored event's last end, BATCH events at a time."""
    events = sa.table(
        "events",
        sa.column("id", sa.Integer),
        sa.column("rrule", sa.String),
        sa.column("timezone", sa.String),
        sa.column("starts_at", UTCDateTime()),
        sa.column("ends_at", UTCDateTime()),
        sa.column("last_ends_at", UTCDateTime()),
    )
    overrides = sa.table(
        "event_overrides", sa.column("event_id", sa.Integer), sa.column("ends_at", UTCDateTime())
    )
    connection = op.get_bind()
    store = (
        events.update()
        .where(events.c.id == sa.bindparam("row"))
        .values(last_ends_at=sa.bindparam("end"))
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(
                events.c.id,
                events.c.rrule,
                events.c.timezone,
                events.c.starts_at,
                events.c.ends_at,
            )
            .where(events.c.id > last)
            .order_by(events.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changed: dict[int, list] = {}
        for event_id, ends_at in connection.execute(
            sa.select(overrides.c.event_id, overrides.c.ends_at).where(
                overrides.c.event_id.in_([row.id for row in rows])
            )
        ):
            changed.setdefault(event_id, []).append(ends_at)
        values = [
            {
                "row": row.id,
                "end": series_end(
                    row.rrule, row.timezone, row.starts_at, row.ends_at, changed.get(row.id, [])
                ),
            }
            for row in rows
        ]
        connection.execute(store, values)
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_last_ends_at"))
        batch_op.drop_column("last_ends_at")
