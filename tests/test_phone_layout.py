"""On a 390 px phone (issue 9, item 11): checkboxes sit beside their labels, and the audit
log, the library and search results fit the screen without sideways scrolling. Checked in a
real browser (headless Chromium) on the demo, by measuring where things are drawn."""

from __future__ import annotations

import shutil

import pytest

from tests.live import DEMO_PASSWORD, demo_environment, gunicorn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)"),
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    """A phone-sized page of Chromium and the demo's address."""
    from playwright.sync_api import sync_playwright

    instance = tmp_path_factory.mktemp("instance")
    with gunicorn(demo_environment(instance)) as base, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium, base
        chromium.close()


def _signed_in(phone, email: str):
    chromium, base = phone
    page = chromium.new_context(viewport=PHONE, locale="en-GB").new_page()
    page.goto(f"{base}/account/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    return page, base


def _beside(page, box_id: str) -> None:
    """The checkbox and its label are drawn on one line."""
    box = page.locator(f"#{box_id}").bounding_box()
    label = page.locator(f"label[for={box_id}]").bounding_box()
    middle = box["y"] + box["height"] / 2
    assert label["y"] <= middle <= label["y"] + label["height"], (box, label)
    assert label["x"] > box["x"]  # after the box (left to right here)


def test_checkboxes_sit_beside_their_labels(phone):
    chromium, base = phone
    page = chromium.new_context(viewport=PHONE).new_page()
    page.goto(f"{base}/account/login")
    _beside(page, "remember")
    page, base = _signed_in(phone, "rosa@caravana.example")
    page.goto(f"{base}/organisations/comite-progreso/events/new")
    _beside(page, "all_day")


def test_the_audit_log_fits_a_phone(phone):
    page, base = _signed_in(phone, "admin@caravana.example")
    page.goto(f"{base}/admin/audit")
    assert page.locator("table.stack-narrow tbody tr").count() > 0
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_the_library_and_search_fit_a_phone(phone):
    """The library with its filters, a document, the upload form and results: no sideways scroll."""
    page, base = _signed_in(phone, "rosa@caravana.example")
    page.goto(f"{base}/library/")
    document = page.locator("main .card-list a[href^='/library/']").first.get_attribute("href")
    for url in ("/library/", document, "/library/new", "/search?q=campa%C3%B1a"):
        page.goto(base + url)
        page.locator("details.filter-box summary").first.click() if url == "/library/" else None
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (url, width)
    assert page.locator("ol.hits li.hit").count() > 0


def test_a_manifesto_fits_a_phone(phone):
    """The manifesto with the committee's comments below it, its history, a word difference,
    the Arabic translation beside its source (stacked) and the signatories: no sideways scroll."""
    page, base = _signed_in(phone, "lucia@caravana.example")
    for url in ("/manifestos/", "/manifestos/1", "/manifestos/1/history",
                "/manifestos/1/diff?a=1&b=2", "/manifestos/1/translations/ar",
                "/manifestos/1/signatories", "/manifestos/1/print"):  # fmt: skip
        page.goto(base + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (url, width)
    page.goto(base + "/manifestos/1")
    assert page.locator("#comments .thread").count() == 2
