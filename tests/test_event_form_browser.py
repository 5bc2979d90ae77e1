"""The event form in a real browser (headless Chromium), posting exactly what the page sends:
a coordinator adds a campaign event, saves it again unchanged, and sets up a "last Friday of
every month" series that an unchanged save leaves as it is."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from tests.live import DEMO_PASSWORD, demo_environment, gunicorn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.live,  # a real server on its own SQLite file
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)"),
]
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ROSA = "rosa@caravana.example"  # coordinator of a committee taking part in the caravan


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo served by gunicorn, Rosa reading English, and the caravan's slug."""
    instance = tmp_path_factory.mktemp("instance")
    env = demo_environment(instance)
    with sqlite3.connect(instance / "live.sqlite3") as connection:
        connection.execute("UPDATE users SET locale = 'en' WHERE email = ?", (ROSA,))
        slug = connection.execute(
            "SELECT slug FROM campaigns WHERE title LIKE 'Caravana de Madres%'"
        ).fetchone()[0]
    with gunicorn(env) as base:
        yield base, slug


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def rosa(site, browser):
    """Rosa's page, signed in through the form."""
    base, _slug = site
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/account/login")
    page.fill("#email", ROSA)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    yield page
    context.close()


def _save(page) -> None:
    page.click("form.event-form button[type=submit]")
    page.wait_for_load_state()


def _details(page) -> dict[str, str]:
    """What the event page says: each term of its details, and the next dates."""
    terms = page.locator("dl.details dt").all_inner_texts()
    values = page.locator("dl.details dd").all_inner_texts()
    found = dict(zip(terms, values, strict=True))
    found["next"] = " | ".join(page.locator("ul.occ-list li").all_inner_texts())
    return found


def _save_unchanged(page) -> None:
    """Open the edit page from the event page and save it as it is."""
    page.click("text=Edit the event (every date)")
    _save(page)
    assert "/edit" not in page.url, page.locator(".error").all_inner_texts()
    assert "The event is saved." in page.content()


def test_a_campaign_event_is_added_and_saved_again_unchanged(site, rosa):
    """No visibility question for a campaign event; a missing title is said beside it; the
    saved event reads the same after an unchanged save."""
    base, slug = site
    page = rosa
    page.goto(f"{base}/campaigns/{slug}/events/new")
    assert page.locator("#visibility").count() == 0  # the campaign decides who sees it
    page.fill("#day", "2027-01-14")
    page.fill("#start_time", "18:00")
    page.fill("#end_time", "19:30")
    _save(page)
    assert page.locator("#title-error").inner_text() == "Please enter a title."
    page.fill("#title", "Vigil at the consulate")
    page.fill("#location", "Consulado, Tapachula")
    _save(page)
    assert "/events/" in page.url and "/new" not in page.url, page.locator(
        ".error"
    ).all_inner_texts()
    assert "The event is saved." in page.content()
    before = _details(page)
    assert "Caravana de Madres" in before["Campaign"]
    assert "Jan 14, 2027" in before["When"] and "Consulado, Tapachula" in before["Place"]
    _save_unchanged(page)
    assert _details(page) == before


def test_a_last_friday_series_is_described_and_kept_by_an_unchanged_save(site, rosa):
    """Monthly on the last Friday, six times: the page says so, lists Fridays, and saving
    the edit form unchanged keeps every date."""
    base, slug = site
    page = rosa
    page.goto(f"{base}/campaigns/{slug}/events/new")
    page.fill("#title", "Monthly march of the mothers")
    page.fill("#day", "2027-01-29")
    page.fill("#start_time", "10:00")
    page.fill("#end_time", "12:00")
    page.select_option("#repeat", "MONTHLY")
    page.check("input[name=weekdays][value=FR]")
    page.check("input[name=positions][value='-1']")
    page.check("input[name=ends][value=count]")
    page.fill("#count", "6")
    _save(page)
    assert "The event is saved." in page.content(), page.locator(".error").all_inner_texts()
    before = _details(page)
    # The separator keeps to the next part (no-break space): a line never ends on it.
    assert before["Repeats"].startswith("Last Friday of every month ·\u00a06 times")
    dates = before["next"].split(" | ")
    assert len(dates) == 6 and all(d.startswith("Fri") for d in dates), dates
    assert "Apr 30, 2027" in before["next"] and "Jun 25, 2027" in before["next"]
    _save_unchanged(page)
    assert _details(page) == before
