"""Two real browsers (headless Chromium) in one room: live messages and offline sending."""

from __future__ import annotations

import shutil
import sqlite3
import time

import pytest

from tests.live import DEMO_PASSWORD, demo_environment, gunicorn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.live,  # real servers on their own SQLite file
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)"),
]
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo served by gunicorn, and the id of the Honduran committee's room."""
    instance = tmp_path_factory.mktemp("instance")
    env = demo_environment(instance)
    with sqlite3.connect(instance / "live.sqlite3") as connection:
        room_id = connection.execute(
            "SELECT id FROM rooms WHERE name = 'Comité El Progreso'"
        ).fetchone()[0]
    with gunicorn(env) as base:
        yield base, room_id, instance / "live.sqlite3"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _open_room(browser, base: str, room_id: int, email: str):
    """A browser of its own, signed in through the form, showing the room."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/account/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    page.goto(f"{base}/rooms/{room_id}")
    page.wait_for_selector("#connection.is-online", state="attached", timeout=10_000)
    return context, page


def _send(page, text: str) -> None:
    page.fill("#composer textarea", text)
    page.click("#composer button[type=submit]")


def _count(page, text: str) -> int:
    return page.locator("#messages li.message", has_text=text).count()


def test_two_members_see_each_others_messages_live(site, browser):
    """What one member writes appears on the other's screen without reloading."""
    base, room_id, _ = site
    rosa_context, rosa = _open_room(browser, base, room_id, "rosa@caravana.example")
    ana_context, ana = _open_room(browser, base, room_id, "ana@caravana.example")
    try:
        _send(rosa, "Mañana a las diez en la parroquia")
        ana.locator("#messages li.message", has_text="Mañana a las diez").wait_for(timeout=10_000)
        _send(ana, "Allí estaré, gracias")
        rosa.locator("#messages li.message", has_text="Allí estaré").wait_for(timeout=10_000)
        assert _count(ana, "Mañana a las diez") == 1
        assert _count(rosa, "Allí estaré") == 1
    finally:
        rosa_context.close()
        ana_context.close()


def test_offline_member_catches_up_and_sends_once(site, browser):
    """A phone that loses its connection shows its message as waiting, sends it once when the
    connection returns, and receives what others wrote meanwhile — nothing lost or doubled."""
    base, room_id, _ = site
    rosa_context, rosa = _open_room(browser, base, room_id, "rosa@caravana.example")
    ana_context, ana = _open_room(browser, base, room_id, "ana@caravana.example")
    try:
        ana_context.set_offline(True)
        ana.wait_for_selector("#connection:not(.is-online)", state="attached", timeout=30_000)
        _send(ana, "Escrito sin conexión")
        ana.locator("#messages li.is-pending", has_text="Escrito sin conexión").wait_for()
        for number in range(3):
            _send(rosa, f"Mientras tanto {number}")
            rosa.locator("#messages li.message", has_text=f"Mientras tanto {number}").wait_for()
        ana_context.set_offline(False)
        for number in range(3):
            ana.locator("#messages li.message", has_text=f"Mientras tanto {number}").wait_for(
                timeout=30_000
            )
        rosa.locator("#messages li.message", has_text="Escrito sin conexión").wait_for(
            timeout=30_000
        )
        ana.wait_for_selector("#messages li.is-pending", state="detached", timeout=10_000)
        rosa.reload()
        for page in (ana, rosa):
            assert _count(page, "Escrito sin conexión") == 1
            assert all(_count(page, f"Mientras tanto {n}") == 1 for n in range(3))
    finally:
        rosa_context.close()
        ana_context.close()


def _store_silently(database, room_id: int, body: str) -> None:
    """Store a message the way the server does, but tell nobody: as when a server process
    dies between storing a message and announcing it, or Redis drops the announcement."""
    with sqlite3.connect(database) as connection:
        seq = connection.execute(
            "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq", (room_id,)
        ).fetchone()[0]
        author = connection.execute(
            "SELECT id FROM users WHERE email = 'rosa@caravana.example'"
        ).fetchone()[0]
        connection.execute(
            "INSERT INTO messages (room_id, seq, author_id, client_id, body, body_html, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, datetime('now'))",
            (room_id, seq, author, f"silent-{seq}", body, f"<p>{body}</p>"),
        )


def test_reader_catches_up_on_messages_nobody_announced(site, browser):
    """Messages stored but never pushed live appear on a reader's screen by themselves: when
    the next live message shows that a number was skipped, and when she comes back to the
    page after a while."""
    base, room_id, database = site
    rosa_context, rosa = _open_room(browser, base, room_id, "rosa@caravana.example")
    ana_context, ana = _open_room(browser, base, room_id, "ana@caravana.example")
    try:
        _send(rosa, "Antes del silencio")  # once it arrives, Ana's page follows the room
        ana.locator("#messages li.message", has_text="Antes del silencio").wait_for()
        _store_silently(database, room_id, "Guardado sin aviso")
        _send(rosa, "Después del silencio")
        ana.locator("#messages li.message", has_text="Guardado sin aviso").wait_for(timeout=10_000)
        ana.locator("#messages li.message", has_text="Después del silencio").wait_for()
        texts = ana.locator("#messages li.message .message-body").all_inner_texts()
        assert texts.index("Guardado sin aviso") < texts.index("Después del silencio")
        _store_silently(database, room_id, "Último sin aviso")
        time.sleep(6)  # she looked elsewhere for a few seconds
        ana.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        ana.locator("#messages li.message", has_text="Último sin aviso").wait_for(timeout=10_000)
        assert _count(ana, "Guardado sin aviso") == 1
    finally:
        rosa_context.close()
        ana_context.close()
