"""Five languages: complete catalogues, language choice, right-to-left Arabic, zoned times."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po

from app.extensions import db
from app.models import JoinRequest
from tests.conftest import ROOT, sign_in
from tests.factories import make_user

LANGUAGES = ("en", "es", "fr", "ar", "it")
CATALOGUES = ROOT / "app" / "translations"


def _catalogue(code: str):
    with (CATALOGUES / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=code)


@pytest.fixture(scope="module")
def source_ids(tmp_path_factory) -> set:
    """The message ids extracted from the code and templates right now."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


@pytest.mark.parametrize("code", LANGUAGES)
def test_catalogue_is_complete_and_current(code, source_ids):
    """Every string on screen has a real translation; none is fuzzy, missing or stale."""
    catalogue = _catalogue(code)
    ids = {m.id for m in catalogue if m.id}
    assert source_ids - ids == set(), "strings not in the catalogue: run make update-catalogues"
    assert ids - source_ids == set(), "catalogue has strings no longer used"
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        if isinstance(message.id, tuple):
            assert len(strings) == catalogue.num_plurals, f"plural forms: {message.id!r}"


@pytest.mark.parametrize("code", ("es", "fr", "ar", "it"))
def test_catalogue_is_really_translated(code):
    """Translations are not copies of the English text (a few names and symbols aside)."""
    catalogue = _catalogue(code)
    messages = [m for m in catalogue if m.id and isinstance(m.id, str) and len(m.id) > 12]
    copied = [m.id for m in messages if m.string == m.id]
    assert len(copied) <= len(messages) // 20, copied


def _expected(code: str, msgid: str) -> str:
    return _catalogue(code)[msgid].string


@pytest.mark.parametrize("code", LANGUAGES)
def test_home_page_speaks_the_chosen_language(client, code):
    """The language switcher cookie shows the home page in that language."""
    client.get(f"/language/{code}")
    html = client.get("/").get_data(as_text=True)
    assert f'<html lang="{code}" dir="{"rtl" if code == "ar" else "ltr"}">' in html
    assert _expected(code, "See the organisations") in html


def test_browser_language_is_used_without_a_choice(client):
    """A visitor whose phone is set to Spanish sees Spanish first."""
    html = client.get("/", headers={"Accept-Language": "es-HN,es;q=0.9,en;q=0.5"}).get_data(
        as_text=True
    )
    assert '<html lang="es"' in html


def test_unknown_browser_language_falls_back_to_english(client):
    """A visitor in a language we do not have yet sees English."""
    assert '<html lang="en"' in client.get("/", headers={"Accept-Language": "wo"}).get_data(
        as_text=True
    )


def test_account_language_beats_cookie_and_browser(client):
    """A signed-in person's own language setting wins over an old cookie and the browser."""
    sign_in(client, make_user(locale="ar"))
    client.set_cookie("lang", "it")
    html = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html


def test_switching_language_by_link_changes_this_browser_not_the_account(client):
    """A signed-in person who picks another language sees it at once; a link (which any site
    can make a browser follow) never changes the stored account setting."""
    user = make_user(locale="ar")
    sign_in(client, user)
    client.get("/language/es")
    assert '<html lang="es"' in client.get("/").get_data(as_text=True)
    assert user.locale == "ar"


def test_the_profile_form_changes_the_accounts_language(client):
    """The account's own language is changed on the profile page."""
    user = make_user(locale="ar")
    sign_in(client, user)
    client.post(
        "/account/profile",
        data={"display_name": user.display_name, "locale": "it", "timezone": "UTC"},
    )
    assert user.locale == "it"


def test_language_links_name_each_language_in_itself(client):
    """The switcher shows Español, Français, العربية, Italiano, English."""
    html = client.get("/").get_data(as_text=True)
    for name in ("English", "español", "français", "العربية", "italiano"):
        assert name.lower() in html.lower()


def test_error_pages_are_translated(client):
    """A missing page explains itself in the reader's language."""
    client.get("/language/fr")
    html = client.get("/nowhere").get_data(as_text=True)
    assert _expected("fr", "Page not found") in html


def test_stylesheet_uses_logical_properties_only():
    """The layout mirrors for Arabic: no left/right-specific CSS properties."""
    css = (ROOT / "static" / "css" / "caravana.css").read_text()
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)|(?<![-\w])(?:left|right)\s*:|"
        r"float\s*:\s*(?:left|right)|text-align\s*:\s*(?:left|right)",
        css,
    )
    assert physical == []


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("America/Tegucigalpa", "12:00"),  # UTC-6
        ("Africa/Dakar", "18:00"),  # UTC+0
        ("Europe/Rome", "19:00"),  # UTC+1 in March before the change
    ],
)
def test_times_are_shown_in_the_readers_zone(client, world, zone, shown):
    """A request sent at 18:00 UTC shows at the reader's own local time, without seconds."""
    world.coordinator.timezone = zone
    world.coordinator.locale = "fr"
    db.session.add(
        JoinRequest(
            organisation_id=world.org.id,
            user_id=world.outsider.id,
            created_at=datetime(2026, 3, 10, 18, 0, tzinfo=UTC),
        )
    )
    db.session.commit()
    sign_in(client, world.coordinator)
    html = client.get(f"/organisations/{world.org.slug}/requests").get_data(as_text=True)
    assert shown in html and f"{shown}:00" not in html


def test_server_error_page_is_translated_and_calm(app, client):
    """When something breaks, the reader gets a calm page in their language, not a trace."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise RuntimeError("database exploded")

    app.add_url_rule("/broken", view_func=broken)
    client.get("/language/es")
    response = client.get("/broken")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert _expected("es", "Something went wrong on our side") in html
    assert "database exploded" not in html


def test_forbidden_page_is_translated(client, world):
    """A refused page says why in the reader's language."""
    world.outsider.locale = "it"
    db.session.commit()
    sign_in(client, world.outsider)
    response = client.get(f"/organisations/{world.org.slug}/members")
    assert response.status_code == 403
    assert _expected("it", "You cannot see this page") in response.get_data(as_text=True)


def test_user_text_keeps_its_own_direction(client, world):
    """An Arabic description on a Spanish page (and the reverse) reads in its own direction."""
    world.org.description = "جمعية لأمهات المفقودين في البحر."
    db.session.commit()
    client.get("/language/es")
    html = client.get(f"/organisations/{world.org.slug}").get_data(as_text=True)
    assert '<div class="prose" dir="auto"><p>جمعية' in html


def test_countries_are_listed_as_a_reader_of_the_language_looks_them_up(client, world):
    """In French, Égypte and Équateur come with the E's, not after Zimbabwe (code point order)."""
    sign_in(client, world.coordinator)
    client.get("/language/fr")
    page = client.get(f"/organisations/{world.org.slug}/edit").get_data(as_text=True)
    names = re.findall(r'<option[^>]*value="[A-Z]{2}"[^>]*>([^<]+)</option>', page)
    at = {name: i for i, name in enumerate(names)}
    assert at["Danemark"] < at["Égypte"] < at["Équateur"] < at["Espagne"] < at["Zimbabwe"]
