"""Campaign and event pages, month and agenda views: times in each reader's zone, RSVP,
single-date changes, permissions, XSS and page weight."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.campaigns import queries, services
from app.campaigns.recurrence import weekly_rule
from app.campaigns.services import EventDraft
from app.extensions import db
from app.models import (
    Campaign,
    CampaignParticipant,
    Event,
    ParticipationStatus,
    Role,
    Visibility,
)
from tests import factories
from tests.conftest import sign_in
from tests.test_security import PAGE_BUDGET, page_weight
from tests.test_xss import assert_inert

MARCH = "month=2026-03"


def browser(app, user=None):
    """A client signed in as user (or a visitor)."""
    http = app.test_client()
    if user is not None:
        sign_in(http, user)
    return http


def page(http, url: str, status: int = 200) -> str:
    response = http.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def shown_at(html: str, utc_iso: str) -> str:
    """The text shown for the occurrence starting at this UTC instant (with its own zone)."""
    match = re.search(
        rf'<time datetime="{re.escape(utc_iso)}">([^<]*)</time>'
        r'(?: <span class="own-zone">([^<]*))?',
        html,
    )
    assert match, f"no occurrence at {utc_iso}"
    return " ".join(part for part in match.groups() if part)


def weekly_event(org, title="Weekly vigil", campaign=None, **extra) -> Event:
    draft = EventDraft(
        title=title,
        timezone="Europe/Rome",
        starts_local=datetime(2026, 3, 3, 17, 0),
        ends_local=datetime(2026, 3, 3, 18, 0),
        rrule=weekly_rule(["TU"], count=10),
        **extra,
    )
    return services.create_event(org.requested_by or factories.make_user(), org, draft, campaign)


@pytest.fixture
def palermo(world):
    """The coordinator works from Palermo; members read from Tegucigalpa and Dakar."""
    world.coordinator.timezone = "Europe/Rome"
    db.session.commit()
    honduras = factories.make_user("Mother in Tegucigalpa", timezone="America/Tegucigalpa")
    senegal = factories.make_user("Mother in Dakar", timezone="Africa/Dakar")
    factories.add_member(world.org, honduras)
    factories.add_member(world.org, senegal)
    return honduras, senegal


def test_weekly_meeting_shows_each_member_their_own_time_across_europes_clock_change(
    app, world, palermo
):
    """A Palermo coordinator's Tuesday 17:00 meeting reads 10:00 then 09:00 in Tegucigalpa
    and 16:00 then 15:00 in Dakar, before and after 29 March."""
    honduras, senegal = palermo
    coordinator = browser(app, world.coordinator)
    form = page(coordinator, f"/organisations/{world.org.slug}/events/new")
    assert '<option selected value="Europe/Rome">' in form
    response = coordinator.post(
        f"/organisations/{world.org.slug}/events/new",
        data={
            "organisation": world.org.slug,
            "title": "Online meeting of the mothers",
            "timezone": "Europe/Rome",
            "day": "2026-03-03",
            "start_time": "17:00",
            "end_time": "18:30",
            "repeat": "WEEKLY",
            "weekdays": ["TU"],
            "interval": "1",
            "ends": "never",
            "online_url": "https://meet.example.org/caravana",
            "visibility": "movement",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalar(select(Event))
    assert event.rrule == "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU"
    before, after = "2026-03-24T16:00:00+00:00", "2026-03-31T15:00:00+00:00"
    for reader, first, second in [(honduras, "10:00", "09:00"), (senegal, "16:00", "15:00")]:
        http = browser(app, reader)
        for url in [f"/calendar?{MARCH}", f"/calendar/mine?{MARCH}"]:
            agenda = page(http, url)
            assert "Mar 24" in shown_at(agenda, before)
            assert f"{first}–" in shown_at(agenda, before)
            assert f"{second}–" in shown_at(agenda, after)
            assert "17:00 Italy Time" in shown_at(agenda, before)
            assert "17:00 Italy Time" in shown_at(agenda, after)
        month = page(http, f"/calendar?view=month&{MARCH}")
        assert f"{first} <a" in month and f"{second} <a" in month
    own = page(coordinator, f"/calendar?{MARCH}")
    assert "17:00–18:30 (your time)" in shown_at(own, after)
    assert "Italy Time" not in shown_at(own, after)  # same zone: nothing beside it


def test_month_navigation_links_to_the_previous_and_next_months(client):
    """The month view links to February and April from March, and says March 2026."""
    html = page(client, f"/calendar?view=month&{MARCH}")
    assert "March 2026" in html
    assert "month=2026-02" in html and "month=2026-04" in html
    assert client.get("/calendar?month=March").status_code == 400
    assert client.get("/calendar?view=poster").status_code == 400


def test_private_campaign_appears_in_no_page_for_outsiders(app, world):
    """A participants-only campaign and its events are 404 or absent for outsiders."""
    campaign = services.create_campaign(
        world.coordinator,
        world.org,
        "Secret planning",
        date(2026, 3, 1),
        date(2026, 3, 31),
        visibility=Visibility.PARTICIPANTS,
    )
    event = weekly_event(world.org, "Hidden vigil", campaign)
    outsider_org = factories.make_org("Other committee")
    factories.add_member(outsider_org, world.outsider)
    for http in (browser(app), browser(app, world.outsider)):
        page(http, f"/campaigns/{campaign.slug}", 404)
        page(http, f"/campaigns/{campaign.slug}/calendar", 404)
        page(http, f"/events/{event.id}", 404)
        for url in [
            f"/calendar?{MARCH}",
            f"/calendar?view=month&{MARCH}",
            "/campaigns/",
            f"/organisations/{world.org.slug}/calendar?{MARCH}",
        ]:
            html = page(http, url)
            assert "Hidden vigil" not in html and "Secret planning" not in html, url
    member = browser(app, world.member)
    assert "Hidden vigil" in page(member, f"/campaigns/{campaign.slug}")
    assert "Hidden vigil" in page(member, f"/calendar?{MARCH}")


def test_rsvp_counts_are_public_names_only_for_members_and_a_full_event_refuses(app, world):
    """Everyone sees how many are going; only members see who; a full event says so."""
    event = weekly_event(world.org, "Vigil in Yoro", capacity=1)
    member = browser(app, world.member)
    assert member.post(f"/events/{event.id}/rsvp", data={"response": "going"}).status_code == 302
    outsider = browser(app, world.outsider)
    html = page(outsider, f"/events/{event.id}")
    assert "Going: 1" in html and "This event is full." in html
    assert "Ana Member" not in html
    response = outsider.post(f"/events/{event.id}/rsvp", data={"response": "going"})
    assert "This event is full." in page(outsider, response.headers["Location"])
    assert queries.rsvp_counts(event)[services.RsvpResponse.GOING] == 1
    assert outsider.post(f"/events/{event.id}/rsvp", data={"response": "maybe"}).status_code == 302
    assert "Maybe: 1" in page(browser(app), f"/events/{event.id}")
    assert "Ana Member" in page(browser(app, world.coordinator), f"/events/{event.id}")
    assert (
        browser(app).post(f"/events/{event.id}/rsvp", data={"response": "going"}).status_code == 302
    )
    assert outsider.post(f"/events/{event.id}/rsvp", data={"response": "yes"}).status_code == 400


def test_changing_one_date_leaves_the_series_and_editing_the_series_raises_its_sequence(app, world):
    """A coordinator moves one Tuesday to 19:00, cancels another, then renames the series."""
    event = weekly_event(world.org, "Tuesday vigil")
    coordinator = browser(app, world.coordinator)
    second = "2026-03-10T16:00:00+00:00"
    form = page(coordinator, f"/events/{event.id}/occurrence?at={second}")
    assert 'value="2026-03-10"' in form
    response = coordinator.post(
        f"/events/{event.id}/occurrence",
        data={
            "recurrence_id": second,
            "day": "2026-03-10",
            "start_time": "19:00",
            "title": "Special vigil",
        },
    )
    assert response.status_code == 302
    third = "2026-03-17T16:00:00+00:00"
    coordinator.post(f"/events/{event.id}/occurrence", data={"recurrence_id": third, "cancel": "1"})
    db.session.refresh(event)
    assert event.sequence == 0
    moved = {o.recurrence_id.isoformat(): o for o in event.overrides}
    assert moved[second].title == "Special vigil" and not moved[second].cancelled
    assert moved[third].cancelled
    agenda = page(coordinator, f"/calendar?{MARCH}")
    assert "Special vigil" in agenda
    assert "19:00 Italy Time" in shown_at(agenda, "2026-03-10T18:00:00+00:00")
    assert "Cancelled" in agenda and "17:00 Italy Time" in shown_at(
        agenda, "2026-03-24T16:00:00+00:00"
    )
    assert (
        coordinator.post(
            f"/events/{event.id}/occurrence",
            data={"recurrence_id": "2026-03-11T16:00:00+00:00", "cancel": "1"},
        ).status_code
        == 400
    )
    edit = page(coordinator, f"/events/{event.id}/edit")
    assert 'value="TU" checked' in edit or 'checked id="weekdays-1"' in edit or "checked" in edit
    response = coordinator.post(
        f"/events/{event.id}/edit",
        data={
            "title": "Tuesday vigil for truth",
            "timezone": "Europe/Rome",
            "day": "2026-03-03",
            "start_time": "17:00",
            "end_time": "18:00",
            "repeat": "WEEKLY",
            "weekdays": ["TU"],
            "interval": "1",
            "ends": "count",
            "count": "10",
            "visibility": "public",
        },
    )
    assert response.status_code == 302, re.findall(
        r"class=\"error\"[^>]*>([^<]*)", response.get_data(as_text=True)
    )
    db.session.refresh(event)
    assert event.sequence == 1 and event.title == "Tuesday vigil for truth"
    assert event.rrule == "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU;COUNT=10"


def test_until_and_excluded_dates_become_an_rrule_in_utc(app, world):
    """'Ends on a date' is written as UNTIL in UTC, and left-out dates are skipped."""
    coordinator = browser(app, world.coordinator)
    coordinator.post(
        f"/organisations/{world.org.slug}/events/new",
        data={
            "organisation": world.org.slug,
            "title": "Daily fast",
            "timezone": "America/Mexico_City",
            "day": "2026-03-02",
            "start_time": "08:00",
            "repeat": "DAILY",
            "interval": "2",
            "ends": "until",
            "until": "2026-03-12",
            "exdates": "2026-03-06\n",
            "visibility": "public",
        },
    )
    event = db.session.scalar(select(Event).where(Event.title == "Daily fast"))
    assert event.rrule == "FREQ=DAILY;INTERVAL=2;UNTIL=20260313T055959Z"
    html = page(browser(app), f"/calendar?{MARCH}")
    assert html.count("Daily fast") == 5  # 2, 4, 8, 10, 12 March


def test_cancelling_an_event_shows_it_cancelled(app, world):
    """After a coordinator cancels it, the event page says so and offers no answer buttons."""
    event = weekly_event(world.org, "Caravan stop")
    coordinator = browser(app, world.coordinator)
    assert coordinator.post(f"/events/{event.id}/cancel").status_code == 302
    html = page(browser(app, world.member), f"/events/{event.id}")
    assert "This event is cancelled." in html and "I am going" not in html
    assert (
        browser(app, world.member)
        .post(f"/events/{event.id}/rsvp", data={"response": "going"})
        .status_code
        == 403
    )


def test_members_cannot_create_events_nor_outsiders_edit_them(app, world):
    """A member gets 403 on the new-event form; a stranger cannot edit or cancel."""
    member = browser(app, world.member)
    assert member.get(f"/organisations/{world.org.slug}/events/new").status_code == 403
    assert (
        member.post(f"/organisations/{world.org.slug}/events/new", data={"title": "x"}).status_code
        == 403
    )
    assert db.session.scalar(select(Event)) is None
    event = weekly_event(world.org)
    for path in ("edit", "cancel"):
        assert member.post(f"/events/{event.id}/{path}").status_code == 403
    assert browser(app).get(f"/events/{event.id}/edit").status_code == 302  # to sign in


def test_campaign_through_pages_invite_accept_then_add_events(app, world):
    """A coordinator starts a campaign and invites another organisation; until it accepts,
    its coordinator cannot add events; after accepting it can."""
    coordinator = browser(app, world.coordinator)
    response = coordinator.post(
        f"/campaigns/new?org={world.org.slug}",
        data={
            "title": "Day of action for the missing",
            "goal": "Truth and justice",
            "description": "**Together**",
            "starts_on": "2026-05-10",
            "ends_on": "2026-05-10",
            "status": "planned",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    dakar = factories.make_org("Mothers of Dakar", country="SN")
    dakar_coordinator = factories.make_user("Awa Coordinator", timezone="Africa/Dakar")
    factories.add_member(dakar, dakar_coordinator, Role.COORDINATOR)
    other = browser(app, dakar_coordinator)
    assert other.get(f"/campaigns/{campaign.slug}/events/new").status_code == 403
    assert (
        browser(app, world.member)
        .post(f"/campaigns/{campaign.slug}/invite", data={"organisation": dakar.slug})
        .status_code
        == 403
    )
    coordinator.post(f"/campaigns/{campaign.slug}/invite", data={"organisation": dakar.slug})
    invitation = db.session.scalar(select(CampaignParticipant))
    assert "Day of action for the missing" in page(other, f"/organisations/{dakar.slug}/calendar")
    assert coordinator.post(f"/campaign-invitations/{invitation.id}/accept").status_code == 404
    assert other.post(f"/campaign-invitations/{invitation.id}/accept").status_code == 302
    db.session.refresh(invitation)
    assert invitation.status == ParticipationStatus.ACCEPTED
    assert page(other, f"/campaigns/{campaign.slug}/events/new").count("<form") >= 1
    for org, zone, hour in [(world.org, "America/Tegucigalpa", 9), (dakar, "Africa/Dakar", 16)]:
        services.create_event(
            world.coordinator,
            org,
            EventDraft("Vigil", zone, datetime(2026, 5, 10, hour), datetime(2026, 5, 10, hour + 2)),
            campaign,
        )
    html = page(browser(app), f"/campaigns/{campaign.slug}")
    assert "<strong>Together</strong>" in html and "Mothers of Dakar" in html
    assert html.index("<h3>Honduras</h3>") < html.index("<h3>Senegal</h3>")
    edit = coordinator.post(
        f"/campaigns/{campaign.slug}/edit",
        data={
            "title": "Day of action",
            "starts_on": "2026-05-10",
            "ends_on": "2026-05-11",
            "status": "active",
            "visibility": "public",
        },
    )
    assert edit.status_code == 302
    assert "Active" in page(browser(app), "/campaigns/?status=active")


XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "[click](javascript:alert(1))",
]


def test_titles_and_descriptions_are_inert_on_every_calendar_page(app, world):
    """Script in titles, descriptions and places is shown as text, never run."""
    campaign = services.create_campaign(
        world.coordinator,
        world.org,
        XSS[1],
        date(2026, 3, 1),
        date(2026, 3, 31),
        description="\n\n".join(XSS),
        goal=XSS[0],
    )
    events = [
        weekly_event(
            world.org,
            payload,
            campaign,
            description=payload,
            location=payload,
            online_url="javascript:alert(1)",
        )
        for payload in XSS
    ]
    member = browser(app, world.member)
    for url in [
        f"/calendar?{MARCH}",
        f"/calendar?view=month&{MARCH}",
        f"/calendar/mine?{MARCH}",
        "/campaigns/",
        f"/campaigns/{campaign.slug}",
        f"/campaigns/{campaign.slug}/calendar?{MARCH}",
        *[f"/events/{e.id}" for e in events],
    ]:
        html = page(member, url)
        assert_inert(html)
        if "/events/" not in url:
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_every_calendar_page_is_light(app, world):
    """Each calendar page, with its CSS, stays under 60 KB for slow phones."""
    campaign = services.create_campaign(
        world.coordinator, world.org, "Caravan 2026", date(2026, 3, 1), date(2026, 3, 31)
    )
    event = weekly_event(world.org, "Vigil", campaign)
    coordinator = browser(app, world.coordinator)
    for url in [
        f"/calendar?{MARCH}",
        f"/calendar?view=month&{MARCH}",
        f"/calendar/mine?{MARCH}",
        "/campaigns/",
        f"/campaigns/{campaign.slug}",
        f"/campaigns/{campaign.slug}/calendar",
        f"/organisations/{world.org.slug}/calendar",
        f"/events/{event.id}",
        f"/events/{event.id}/edit",
        f"/organisations/{world.org.slug}/events/new",
        f"/campaigns/{campaign.slug}/events/new",
        f"/campaigns/new?org={world.org.slug}",
        f"/events/{event.id}/occurrence?at=2026-03-10T16:00:00%2B00:00",
    ]:
        assert coordinator.get(url).status_code == 200, url
        assert page_weight(coordinator, url) <= PAGE_BUDGET, url


def test_arabic_calendar_pages_are_right_to_left(app, world):
    """In Arabic the calendar page is right-to-left and still lists the events."""
    weekly_event(world.org, "Vigil")
    world.member.locale = "ar"
    db.session.commit()
    html = page(browser(app, world.member), f"/calendar?view=month&{MARCH}")
    assert 'dir="rtl"' in html and "Vigil" in html


def test_a_campaign_past_its_last_day_says_ended_not_active(client, world):
    """Nobody closed it, but its dates are over: the list and its page say "Ended"."""
    from app.models import CampaignStatus

    today = datetime.now(UTC).date()
    over = services.create_campaign(
        world.coordinator, world.org, "Caravana pasada", today - timedelta(days=40),
        today - timedelta(days=2),
    )  # fmt: skip
    over.status = CampaignStatus.ACTIVE
    db.session.commit()
    sign_in(client, world.member)
    listed = client.get("/campaigns/").get_data(as_text=True)
    card = listed[listed.index("Caravana pasada") :][:600]
    shown = client.get(f"/campaigns/{over.slug}").get_data(as_text=True)
    for html in (card, shown):
        badge = re.search(r'class="badge">([^<]+)<', html).group(1)
        assert badge == "Ended"
