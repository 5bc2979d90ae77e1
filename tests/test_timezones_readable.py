"""Times people can read: zone names in the reader's language, one picker of real places,
an end before the start asked about, a day change shown, a visitor's own zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.core import get_global
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.auth.forms import RegisterForm
from app.campaigns import services
from app.campaigns.forms import EventForm
from app.campaigns.services import EventDraft
from app.campaigns.timefmt import zone_choices, zone_label
from app.extensions import db
from app.i18n import MOVEMENT_ZONES
from app.models import Event, User, Visibility
from app.models.orgs import fold
from tests import factories
from tests.conftest import csrf_token_from, running_app, sign_in

MARCH = "/calendar?month=2026-03"


ZONES = ["America/Tegucigalpa", "Africa/Dakar", "Europe/Rome", "UTC"]
LABELS = {
    "en": ["Honduras Time", "Senegal Time", "Italy Time", "Coordinated Universal Time (UTC)"],
    "es": [
        "hora de Honduras",
        "hora de Senegal",
        "hora de Italia",
        "tiempo universal coordinado (UTC)",
    ],
    "fr": [
        "heure : Honduras",
        "heure : Sénégal",
        "heure : Italie",
        "temps universel coordonné (UTC)",
    ],
    "ar": ["توقيت هندوراس", "توقيت السنغال", "توقيت إيطاليا", "التوقيت العالمي المنسق (UTC)"],
}


@pytest.mark.parametrize("language", LABELS)
def test_zone_labels_name_the_country_in_the_readers_language(language):
    """Tegucigalpa, Dakar, Rome and UTC read as their country's time (UTC by its own name)."""
    assert [zone_label(zone, language) for zone in ZONES] == LABELS[language]
    assert zone_label(ZoneInfo("Europe/Rome"), language) == LABELS[language][2]


def test_a_country_with_several_zones_names_the_city():
    """Mexico has several zones: the label says which city."""
    assert zone_label("America/Mexico_City", "es") == "hora de México (Ciudad de México)"


def _picker(app, language: str) -> list[tuple[str, str]]:
    with app.test_request_context("/", headers={"Accept-Language": language}):
        return zone_choices()


@pytest.mark.parametrize("language", ["es", "fr", "ar", "en", "it"])
def test_picker_lists_the_movements_zones_first_then_all_by_label(app, language):
    """Common zones first (UTC last of them); the rest sorted by folded label; readable."""
    found = _picker(app, language)
    values = [value for value, _label in found]
    assert values[: len(MOVEMENT_ZONES)] == list(MOVEMENT_ZONES)
    rest = [label for _value, label in found[len(MOVEMENT_ZONES) :]]
    assert rest == sorted(rest, key=lambda label: (fold(label), label))
    assert all("_" not in label and "/" not in label for _value, label in found)
    assert len({label for _value, label in found}) == len(found)  # no two read alike


def test_picker_has_one_entry_per_place_and_only_valid_zones(app):
    """No alias beside its canonical zone (Asia/Calcutta, America/Buenos_Aires, US/...)."""
    values = [value for value, _label in _picker(app, "en")]
    assert len(values) == len(set(values))
    assert "Asia/Kolkata" in values and "Asia/Calcutta" not in values
    assert "America/Argentina/Buenos_Aires" in values and "America/Buenos_Aires" not in values
    assert not [v for v in values if v.startswith(("US/", "Etc/", "SystemV/"))]
    aliases = get_global("zone_aliases")
    assert not [v for v in values if v != "UTC" and v in aliases]
    for value in values:
        ZoneInfo(value)  # every value is a zone zoneinfo knows


def test_registration_and_event_forms_accept_every_zone_the_picker_offers(app, world):
    """Each value of the picker validates in the account form and the event form."""
    with app.test_request_context("/", method="POST"):
        values = [value for value, _label in zone_choices()]
        for value in values:
            data = MultiDict({"timezone": value})
            account = RegisterForm(formdata=data, meta={"csrf": False})
            event = EventForm(formdata=data, meta={"csrf": False})
            assert account.timezone.validate(account), value
            assert event.timezone.validate(event), value
        bad = RegisterForm(formdata=MultiDict({"timezone": "Mars/Olympus"}), meta={"csrf": False})
        assert not bad.timezone.validate(bad)


def test_registration_and_event_form_save_a_picked_zone(app, client, world):
    """Through the pages: an account in Kolkata, an event in Bamako."""
    password = "violet-harbour-lantern-42"
    response = client.post(
        "/account/register",
        data={
            "display_name": "Meera",
            "email": "meera@example.org",
            "password": password,
            "confirm": password,
            "locale": "en",
            "timezone": "Asia/Kolkata",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(select(User.timezone).where(User.email == "meera@example.org")) == (
        "Asia/Kolkata"
    )
    response = _post_event(app, world, timezone="Africa/Bamako")
    assert response.status_code == 302
    assert db.session.scalar(select(Event.timezone)) == "Africa/Bamako"


def test_forms_show_readable_zone_names_and_keep_a_stored_alias(app, world):
    """Profile and event form list 'Honduras Time'; an alias stored earlier stays selected."""
    world.coordinator.timezone = "Asia/Calcutta"
    db.session.commit()
    http = app.test_client()
    sign_in(http, world.coordinator)
    profile = http.get("/account/profile").get_data(as_text=True)
    assert '<option value="America/Tegucigalpa">Honduras Time</option>' in profile
    assert '<option selected value="Asia/Calcutta">India Time</option>' in profile
    form = http.get(f"/organisations/{world.org.slug}/events/new").get_data(as_text=True)
    assert '<option value="Africa/Dakar">Senegal Time</option>' in form


def _post_event(app, world, **fields):
    http = app.test_client()
    sign_in(http, world.coordinator)
    data = {
        "organisation": world.org.slug,
        "title": "Night vigil",
        "timezone": "America/Tegucigalpa",
        "day": "2026-03-17",
        "start_time": "18:00",
        "end_time": "19:00",
        "repeat": "",
        "interval": "1",
        "ends": "never",
        "visibility": "public",
        **fields,
    }
    return http.post(f"/organisations/{world.org.slug}/events/new", data=data)


def _error(html: str, name: str) -> str:
    found = re.findall(rf'<p class="error" id="{name}-error">([^<]*)</p>', html)
    return " ".join(found)


def test_an_end_before_the_start_asks_whether_it_ends_the_next_day(app, world):
    """18:00 to 01:00 on one date is not saved; ticking 'It ends the next day' saves 7 hours."""
    response = _post_event(app, world, end_time="01:00")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Does the event end the next day?" in _error(html, "end_time")
    assert 'name="ends_next_day"' in html and "It ends the next day" in html
    assert db.session.scalar(select(Event)) is None
    response = _post_event(app, world, end_time="01:00", ends_next_day="y")
    assert response.status_code == 302, _error(response.get_data(as_text=True), "end_time")
    event = db.session.scalar(select(Event))
    assert event.ends_at - event.starts_at == timedelta(hours=7)
    local_end = event.ends_at.astimezone(ZoneInfo("America/Tegucigalpa"))
    assert (local_end.date().isoformat(), local_end.hour) == ("2026-03-18", 1)


def test_the_choice_is_not_shown_for_an_ordinary_event(app, world):
    """An end after the start is saved at once, without the question."""
    response = _post_event(app, world)
    assert response.status_code == 302
    http = app.test_client()
    sign_in(http, world.coordinator)
    html = http.get(f"/organisations/{world.org.slug}/events/new").get_data(as_text=True)
    assert 'name="title"' in html and "ends_next_day" not in html


def _public_event(world, start_utc: datetime, hours: int, zone: str = "UTC") -> Event:
    local = start_utc.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    draft = EventDraft(
        title="Vigil of the mothers",
        timezone=zone,
        starts_local=local,
        ends_local=local + timedelta(hours=hours),
        visibility=Visibility.PUBLIC,
    )
    return services.create_event(world.coordinator, world.org, draft, None)


def test_a_range_past_midnight_shows_the_day_change(app, world):
    """18:00–01:00 says '(next day)' on the calendar and the event page; in Spanish too."""
    event = _public_event(world, datetime(2026, 3, 17, 18, 0, tzinfo=UTC), hours=7)
    http = app.test_client()
    for url in (MARCH, f"/events/{event.id}"):
        assert "18:00–01:00 (next day)" in http.get(url).get_data(as_text=True)
    short = _public_event(world, datetime(2026, 3, 18, 18, 0, tzinfo=UTC), hours=6)
    html = http.get(f"/events/{short.id}").get_data(as_text=True)
    assert "18:00–00:00" in html and "(next day)" not in html  # midnight closes the day


def test_a_range_over_several_days_shows_the_end_date(app, world):
    """An event ending two days later names its end date."""
    event = _public_event(world, datetime(2026, 3, 17, 18, 0, tzinfo=UTC), hours=40)
    html = app.test_client().get(f"/events/{event.id}").get_data(as_text=True)
    assert "18:00–Thu, Mar 19, 10:00" in html


def test_a_visitor_with_a_valid_zone_cookie_reads_times_in_that_zone(app, world):
    """The browser's zone (sent by timezone.js as the 'tz' cookie) is taken."""
    _public_event(world, datetime(2026, 3, 17, 18, 0, tzinfo=UTC), hours=1)
    http = app.test_client()
    http.set_cookie("tz", "America/Tegucigalpa")
    html = http.get(MARCH).get_data(as_text=True)
    assert "12:00–13:00 Honduras Time" in html
    assert "Times are shown in your time zone: Honduras Time." in html
    assert 'data-zone="America/Tegucigalpa"' in html


@pytest.mark.parametrize("cookie", ["Mars/Olympus", "../../etc/passwd", "", "Europe/Rome\x00"])
def test_a_visitor_with_an_invalid_zone_cookie_reads_utc_and_can_choose(app, world, cookie):
    """Anything else in the cookie is ignored: UTC, said plainly, with the way to choose."""
    _public_event(world, datetime(2026, 3, 17, 18, 0, tzinfo=UTC), hours=1)
    http = app.test_client()
    http.set_cookie("tz", cookie)
    html = http.get(MARCH).get_data(as_text=True)
    assert "18:00–19:00 Coordinated Universal Time (UTC)" in html
    assert "Times are shown in UTC." in html and "Choose your time zone" in html
    assert "/time-zone?next=" in html


def test_a_signed_in_reader_keeps_the_accounts_zone_whatever_the_cookie(app, world):
    """The cookie is for visitors only."""
    _public_event(world, datetime(2026, 3, 17, 18, 0, tzinfo=UTC), hours=1)
    world.member.timezone = "Africa/Dakar"
    db.session.commit()
    http = app.test_client()
    sign_in(http, world.member)
    http.set_cookie("tz", "America/Tegucigalpa")
    html = http.get(MARCH).get_data(as_text=True)
    assert "18:00–19:00 (your time)" in html
    assert "Times are shown in your time zone: Senegal Time." in html


def test_the_zone_chooser_works_without_javascript(tmp_path):
    """A plain form with CSRF: pick Rome, post it, go back to the calendar in Rome's time."""
    with running_app(tmp_path, WTF_CSRF_ENABLED=True) as app:
        coordinator = factories.make_user("Rosa Coordinator")
        org = factories.make_org("Comité", requested_by=coordinator)
        draft = EventDraft(
            title="Vigil of the mothers",
            timezone="UTC",
            starts_local=datetime(2026, 3, 17, 18, 0),
            ends_local=datetime(2026, 3, 17, 19, 0),
            visibility=Visibility.PUBLIC,
        )
        services.create_event(coordinator, org, draft, None)
        http = app.test_client()
        chooser = http.get(f"/time-zone?next={MARCH}").get_data(as_text=True)
        assert '<option selected value="UTC">' in chooser
        assert '<option value="Europe/Rome">Italy Time</option>' in chooser
        assert "<script>" not in chooser  # strict CSP: the page's script is a file
        without_token = http.post(f"/time-zone?next={MARCH}", data={"timezone": "Europe/Rome"})
        assert without_token.status_code == 400
        response = http.post(
            f"/time-zone?next={MARCH}",
            data={"timezone": "Europe/Rome", "csrf_token": csrf_token_from(chooser)},
        )
        assert response.status_code == 302 and response.headers["Location"].endswith(MARCH)
        html = http.get(MARCH).get_data(as_text=True)
        assert "19:00–20:00 Italy Time" in html and 'data-chosen="1"' in html
        http.set_cookie("tz", "America/Tegucigalpa")  # a choice made here beats the browser's
        assert "19:00–20:00 Italy Time" in http.get(MARCH).get_data(as_text=True)
        refused = http.post(
            "/time-zone", data={"timezone": "Mars/Olympus", "csrf_token": csrf_token_from(chooser)}
        )
        assert refused.status_code == 200
        assert "Choose a time zone from the list." in refused.get_data(as_text=True)


def test_the_chooser_refuses_to_redirect_elsewhere_and_sends_accounts_to_the_profile(app, world):
    """next= stays on this site; a signed-in reader changes the zone in the profile."""
    http = app.test_client()
    response = http.post("/time-zone?next=https://evil.example/", data={"timezone": "Africa/Dakar"})
    assert response.headers["Location"] == "/"
    signed = app.test_client()
    sign_in(signed, world.member)
    assert signed.get("/time-zone").headers["Location"].endswith("/account/profile")


def test_event_page_names_the_series_zone_readably_in_spanish(app, world):
    """'Repeats … (hora de Italia)', not '(Europe/Rome)'."""
    draft = EventDraft(
        title="Vigilia",
        timezone="Europe/Rome",
        starts_local=datetime(2026, 3, 3, 17, 0),
        ends_local=datetime(2026, 3, 3, 18, 0),
        rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=5",
        visibility=Visibility.PUBLIC,
    )
    event = services.create_event(world.coordinator, world.org, draft, None)
    http = app.test_client()
    http.get("/language/es")
    html = http.get(f"/events/{event.id}").get_data(as_text=True)
    assert "(hora de Italia)" in html and "Europe/Rome" not in html
