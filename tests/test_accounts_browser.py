"""The account forms in a real browser (headless Chromium): register, finish from the mailed
link, see where one is signed in, sign out everywhere — posting exactly what the pages send."""

from __future__ import annotations

import re
import shutil

import pytest

from app.mail import spooled
from tests.live import demo_environment, gunicorn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)"),
]
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PASSWORD = "green boats on a quiet river"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo served by gunicorn; mail goes to the instance's spool folder."""
    instance = tmp_path_factory.mktemp("instance")
    env = demo_environment(instance, MAIL_SPOOL_DIR=str(instance / "mail"))
    with gunicorn(env) as base:
        yield base, instance / "mail"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def test_register_finish_from_the_mail_and_sign_out_everywhere(site, browser):
    """A newcomer registers, opens the link mailed to her, types her password, is signed in;
    the profile shows this device, and "sign out everywhere" signs her out."""
    base, spool = site
    page = browser.new_context().new_page()
    page.goto(f"{base}/account/register")
    page.fill("#display_name", "Carmen Ruiz")
    page.fill("#email", "carmen@example.org")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.select_option("#timezone", "America/Tegucigalpa")
    page.click("form.stack button[type=submit]")
    assert "Open the link in it to finish creating your account." in page.content()

    [mail] = [m for m in spooled(spool) if m["To"] == "carmen@example.org"]
    link = re.search(r"https?://\S+/account/confirm/\S+", mail.get_content()).group(0)
    page.goto(link.replace("http://localhost", base).replace("https://localhost", base))
    assert "/account/confirm" in page.url and "confirm/" not in page.url.split("/account/")[1]
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    assert "Your account is ready" in page.content()

    page.goto(f"{base}/account/profile")
    assert "This device" in page.content()
    page.click("text=Sign out everywhere")
    page.goto(f"{base}/account/profile")
    assert "/account/login" in page.url
