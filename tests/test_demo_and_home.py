"""The demo looks alive on any date, and the home page says what is next for a person."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Campaign, CampaignStatus, User
from tests.conftest import sign_in


def seed_demo(today: date) -> None:
    """The small demo, as `flask seed-demo` loads it, with its campaigns around `today`."""
    from app.campaigns.demo import seed_campaigns
    from app.demo import DemoWorld, seed_organisations
    from app.rooms.demo import seed_rooms

    world = DemoWorld()
    seed_organisations(world)
    seed_rooms(world)
    seed_campaigns(world, today=today)
    db.session.commit()


def _user(key: str) -> User:
    return db.session.scalar(select(User).where(User.email == f"{key}@caravana.example"))


def _section(html: str, heading_id: str) -> str:
    """The part of the page from a section's heading to the next section."""
    start = html.index(f'id="{heading_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def _month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


# A leap day in winter, the last day of a month, and a day after Europe's autumn clock change.
@pytest.mark.parametrize("today", [date(2024, 2, 29), date(2026, 1, 31), date(2031, 10, 28)])
def test_demo_calendar_is_full_this_month_and_next_on_any_date(app, client, today):
    """Whatever the day the demo is loaded, the movement calendar of that month and the next
    has events, and every campaign already over is closed (none reads as active)."""
    seed_demo(today)
    for month in (today, _month_after(today)):
        html = client.get(f"/calendar?view=agenda&month={month:%Y-%m}").get_data(as_text=True)
        assert 'class="occ' in html, month
        assert "No events in this period." not in html, month
    campaigns = list(db.session.scalars(select(Campaign)))
    assert {c.status for c in campaigns} == set(CampaignStatus)  # over, going on, coming
    for campaign in campaigns:
        if campaign.ends_on < today:
            assert campaign.status == CampaignStatus.CLOSED, campaign.title
        elif campaign.starts_on > today:
            assert campaign.status == CampaignStatus.PLANNED, campaign.title
        else:
            assert campaign.status == CampaignStatus.ACTIVE, campaign.title
    # The participants' list of campaigns (read in English) says the finished one is closed.
    sign_in(client, _user("aminata"))
    client.get("/language/en")
    html = client.get("/campaigns/").get_data(as_text=True)
    line = re.search(r"consulats.*?</li>", html, re.S)
    assert line and "Closed" in line.group(0) and "Active" not in line.group(0)


def test_demo_weekly_meetings_have_coming_dates(app, client):
    """The repeating meetings of the demo still have dates in the coming weeks."""
    from app.campaigns.queries import events_in
    from app.main.queries import UPCOMING_WINDOW
    from app.models import utcnow

    seed_demo(date.today())
    now = utcnow()
    coming = events_in(now, now + UPCOMING_WINDOW, None)
    assert len({occ.event.id for occ in coming if occ.event.rrule}) == 2


def test_signed_in_home_shows_what_is_next(app, client):
    """Rosa's home page lists her next dates, a room with unread messages and a mention."""
    seed_demo(date.today())
    sign_in(client, _user("rosa"))
    html = client.get("/").get_data(as_text=True)
    coming = _section(html, "next-dates")
    assert "Reunión semanal de la caravana" in coming
    assert "No events" not in coming and "Nothing planned" not in coming
    unread = _section(html, "unread-rooms")
    assert "Comité El Progreso" in unread and 'class="badge"' in unread
    mentions = _section(html, "mentions")
    assert "Giulia Russo" in mentions and "@Rosa" in mentions
    # Her organisations are still listed.
    assert "Comité de Familiares de Migrantes de El Progreso" in html


def test_a_private_campaign_stays_out_of_an_outsiders_home(app, client):
    """The next dates come from the one policy: a participants-only campaign is not shown."""
    seed_demo(date.today() + timedelta(days=80))  # its meetings fall in the coming weeks
    sign_in(client, _user("outsider"))
    html = client.get("/").get_data(as_text=True)
    assert "Réunion des mères de Nouadhibou" not in html
    assert "Réunion des familles" not in html
    sign_in(client, _user("mariem"))
    assert "Réunion des mères de Nouadhibou" in client.get("/").get_data(as_text=True)


def test_anonymous_home_still_works(app, client):
    """A visitor sees what Caravana is and the way in, no personal lists."""
    seed_demo(date.today())
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "See the organisations" in html and "Sign in" in html
    assert 'id="next-dates"' not in html


def test_main_menu_has_campaigns(app, client):
    """The main menu leads to the campaigns, signed in or not."""
    nav = re.search(r'<nav class="site-nav".*?</nav>', client.get("/").get_data(as_text=True), re.S)
    assert nav and 'href="/campaigns/"' in nav.group(0) and "Campaigns" in nav.group(0)
