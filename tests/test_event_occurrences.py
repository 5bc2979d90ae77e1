"""Times the clocks skip, the day they skip left out of a series, and all-day series that end
on a date: each answered on the page, never a server error."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.campaigns import services
from app.campaigns.services import EventDraft
from app.extensions import db
from tests.conftest import sign_in

# Europe/Rome's clocks go from 02:00 to 03:00 on Sunday 29 March 2026.
GAP_DAY = "2026-03-29"
SKIPPED = "Please choose another time."


def signed_in(app, user):
    http = app.test_client()
    if user is not None:
        sign_in(http, user)
    return http


def text(response, status: int = 200) -> str:
    assert response.status_code == status, (response.status_code, response.request.path)
    return response.get_data(as_text=True)


def error_of(html: str, field: str) -> str:
    """The error shown right under a field ('' when none)."""
    marker = f'id="{field}-error">'
    return html.split(marker, 1)[1].split("<", 1)[0] if marker in html else ""


@pytest.fixture
def sundays(world):
    """A Sunday 10:00 vigil in Rome, four times from 22 March."""
    draft = EventDraft(
        "Sunday vigil", "Europe/Rome", datetime(2026, 3, 22, 10), datetime(2026, 3, 22, 11),
        rrule="FREQ=WEEKLY;INTERVAL=1;BYDAY=SU;COUNT=4",
    )  # fmt: skip
    return services.create_event(world.coordinator, world.org, draft)


def test_moving_one_date_to_a_time_the_clocks_skip_is_answered_beside_the_field(
    app, world, sundays
):
    """02:30 on 29 March does not exist in Rome: the form says so under the start (or end)
    time, nothing is saved, and a time that exists then saves."""
    http = signed_in(app, world.coordinator)
    at = "2026-03-29T08:00:00+00:00"  # 10:00 in Rome, summer time
    form = {"recurrence_id": at, "day": GAP_DAY, "start_time": "02:30", "end_time": "04:00"}
    html = text(http.post(f"/events/{sundays.id}/occurrence", data=form))
    assert SKIPPED in error_of(html, "start_time")
    html = text(
        http.post(
            f"/events/{sundays.id}/occurrence",
            data={**form, "start_time": "01:00", "end_time": "02:15"},
        )
    )
    assert SKIPPED in error_of(html, "end_time") and not error_of(html, "start_time")
    db.session.refresh(sundays)
    assert sundays.overrides == []
    moved = http.post(f"/events/{sundays.id}/occurrence", data={**form, "start_time": "03:30"})
    assert moved.status_code == 302
    db.session.refresh(sundays)
    assert sundays.overrides[0].starts_at.isoformat() == "2026-03-29T01:30:00+00:00"


def test_an_event_at_a_time_the_clocks_skip_is_answered_beside_the_field(app, world, sundays):
    """Adding or editing an event at 02:30 on 29 March in Rome: the error is under the field."""
    http = signed_in(app, world.coordinator)
    form = {
        "organisation": world.org.slug, "title": "Night walk", "timezone": "Europe/Rome",
        "day": GAP_DAY, "start_time": "02:30", "end_time": "04:00", "repeat": "",
        "interval": "1", "ends": "never", "visibility": "public",
    }  # fmt: skip
    html = text(http.post(f"/organisations/{world.org.slug}/events/new", data=form))
    assert SKIPPED in error_of(html, "start_time")
    html = text(http.post(f"/events/{sundays.id}/edit", data=form))
    assert SKIPPED in error_of(html, "start_time")
    db.session.refresh(sundays)
    assert sundays.title == "Sunday vigil"


@pytest.fixture
def nightly(world):
    """A 02:30 night watch in Rome every day from 27 March: on 29 March 02:30 never comes."""
    draft = EventDraft(
        "Night watch", "Europe/Rome", datetime(2026, 3, 27, 2, 30), datetime(2026, 3, 27, 3, 30),
        rrule="FREQ=DAILY;COUNT=5",
    )  # fmt: skip
    return services.create_event(world.coordinator, world.org, draft)


def _dates_on_event_page(app, event) -> str:
    return text(signed_in(app, None).get(f"/events/{event.id}"))


def test_the_day_the_clocks_skip_can_be_left_out_from_its_page(app, world, nightly):
    """The series' date on 29 March has its own page; "leave this date out" removes it."""
    http = signed_in(app, world.coordinator)
    at = "2026-03-29T01:30:00+00:00"  # what the rule gives for 02:30 that day
    page = text(http.get(f"/events/{nightly.id}/occurrence", query_string={"at": at}))
    assert "Leave this date out of the series" in page
    response = http.post(
        f"/events/{nightly.id}/occurrence", data={"recurrence_id": at, "leave_out": "1"}
    )
    assert response.status_code == 302
    db.session.refresh(nightly)
    assert nightly.exdates == [at]
    calendar = text(signed_in(app, world.member).get("/calendar?month=2026-03"))
    assert calendar.count("Night watch") == 4  # 27, 28, 30 and 31 March
    assert at not in calendar


def test_the_day_the_clocks_skip_can_be_cancelled_and_left_out_in_the_event_form(
    app, world, nightly
):
    """Cancelling that date works; so does writing it among the dates left out."""
    http = signed_in(app, world.coordinator)
    at = "2026-03-29T01:30:00+00:00"
    cancel = http.post(
        f"/events/{nightly.id}/occurrence", data={"recurrence_id": at, "cancel": "1"}
    )
    assert cancel.status_code == 302
    db.session.refresh(nightly)
    assert nightly.overrides[0].cancelled
    form = {
        "title": "Night watch", "timezone": "Europe/Rome", "day": "2026-03-27",
        "start_time": "02:30", "end_time": "03:30", "repeat": "DAILY", "interval": "1",
        "ends": "count", "count": "5", "exdates": GAP_DAY, "visibility": "public",
    }  # fmt: skip
    assert http.post(f"/events/{nightly.id}/edit", data=form).status_code == 302
    db.session.refresh(nightly)
    assert nightly.exdates == [at]
    assert (
        text(signed_in(app, world.member).get("/calendar?month=2026-03")).count("Night watch") == 4
    )


@pytest.fixture
def all_day_until(world):
    """An all-day Monday fast until a date with no time (UNTIL=20261231), as files write it."""
    draft = EventDraft(
        "Monday fast", "America/Tegucigalpa", datetime(2026, 12, 7), datetime(2026, 12, 8),
        all_day=True, rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231",
    )  # fmt: skip
    return services.create_event(world.coordinator, world.org, draft)


def test_an_all_day_series_until_a_date_shows_on_every_page(app, world, all_day_until):
    """The event page, the calendars, the edit page and the feeds all answer, with 7, 14, 21
    and 28 December."""
    event = all_day_until
    html = _dates_on_event_page(app, event)
    assert "Every week on Monday ·\u00a0until Dec 31, 2026" in html
    member = signed_in(app, world.member)
    for url in [
        "/calendar?month=2026-12",
        "/calendar?view=month&month=2026-12",
        "/calendar/mine?month=2026-12",
        f"/organisations/{world.org.slug}/calendar?month=2026-12",
    ]:
        assert text(member.get(url)).count("Monday fast") >= 4, url
    assert "Monday fast" in text(signed_in(app, world.coordinator).get(f"/events/{event.id}/edit"))
    for url in ["/calendar/public.ics", f"/organisations/{world.org.slug}/calendar.ics"]:
        feed = text(member.get(url))
        assert "RRULE:FREQ=WEEKLY" in feed and "UNTIL=20261231" in feed, url


def test_a_stored_date_until_never_breaks_a_page(app, world, all_day_until):
    """A rule stored with a bare date UNTIL before it was written in UTC: every page answers."""
    event = all_day_until
    event.rrule = "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231"
    db.session.commit()
    assert "until Dec 31, 2026" in _dates_on_event_page(app, event)
    member = signed_in(app, world.member)
    for url in [
        "/calendar?month=2026-12",
        "/calendar?view=month&month=2026-12",
        f"/organisations/{world.org.slug}/calendar?month=2026-12",
    ]:
        assert text(member.get(url)).count("Monday fast") >= 4, url  # every Monday, not one
    edit = text(signed_in(app, world.coordinator).get(f"/events/{event.id}/edit"))
    assert 'value="2026-12-31"' in edit


def test_a_stored_date_until_never_breaks_a_feed(app, world, all_day_until):
    """The feeds of a rule stored with a bare date UNTIL answer too, with the date kept."""
    all_day_until.rrule = "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231"
    db.session.commit()
    member = signed_in(app, world.member)
    for url in ["/calendar/public.ics", f"/organisations/{world.org.slug}/calendar.ics"]:
        feed = text(member.get(url))
        assert "Monday fast" in feed and "UNTIL=20261231" in feed, url
