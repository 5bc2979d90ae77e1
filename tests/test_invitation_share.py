"""A new invitation link can be copied or sent by WhatsApp at once, and says until when it works.

Families pass links around by WhatsApp; a coordinator on a phone should not have to select a
long address by hand. The link is shown once, on the page that made it.
"""

from __future__ import annotations

import html
import re
import shutil
from urllib.parse import unquote

import pytest

from tests.conftest import sign_in
from tests.live import DEMO_PASSWORD, demo_environment, gunicorn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _new_link_page(client, world) -> str:
    sign_in(client, world.coordinator)
    response = client.post(
        f"/organisations/{world.org.slug}/invitations", data={"note": "Para Marta"}
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_new_link_offers_copy_and_whatsapp_and_says_until_when(client, world):
    page = _new_link_page(client, world)
    link = re.search(r'id="new-link"[^>]*value="([^"]+)"', page).group(1)
    whatsapp = html.unescape(re.search(r'href="(https://wa\.me/\?text=[^"]+)"', page).group(1))
    assert link in unquote(whatsapp) and world.org.name in unquote(whatsapp)
    assert 'data-copy="new-link"' in page and "js/copy-link.js" in page
    assert re.search(r"It works once, until \w+ \d{1,2}, 20\d\d", page)  # a date, no seconds


def test_the_script_is_only_on_the_page_that_shows_a_link(client, world):
    sign_in(client, world.coordinator)
    page = client.get(f"/organisations/{world.org.slug}/invitations").get_data(as_text=True)
    assert "copy-link.js" not in page and "wa.me" not in page


@pytest.mark.live
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_the_copy_button_puts_the_link_on_the_clipboard(tmp_path):
    """In a real browser the button appears (hidden without JavaScript) and copies the link."""
    from playwright.sync_api import sync_playwright

    with gunicorn(demo_environment(tmp_path)) as base, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        context = chromium.new_context(permissions=["clipboard-read", "clipboard-write"])
        page = context.new_page()
        page.goto(f"{base}/account/login")
        page.fill("#email", "rosa@caravana.example")
        page.fill("#password", DEMO_PASSWORD)
        page.click("form.stack button[type=submit]")
        page.goto(f"{base}/organisations/comite-progreso/invitations")
        page.fill("#note", "Para Marta")
        page.click("form.stack button[type=submit]")
        page.click("button[data-copy]")
        page.wait_for_selector("[data-copy-status]:not(:empty)")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.input_value("#new-link") and "/invite/" in copied
        chromium.close()
