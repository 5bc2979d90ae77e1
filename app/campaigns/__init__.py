"""Campaign calendars: campaigns, events across time zones, RSVP and iCalendar feeds.

Pages by family: campaign_views (campaigns and who takes part), event_views, calendar_views
(month and agenda), feed_views (iCalendar feeds and the personal address), import_views.
Reading is in queries.py, changes in services.py, telling the time in timefmt.py.
"""

from flask import Blueprint

bp = Blueprint("campaigns", __name__)

from app.campaigns import (  # noqa: E402,F401  (each module registers its pages)
    calendar_views,
    campaign_views,
    event_views,
    feed_views,
    import_views,
)
