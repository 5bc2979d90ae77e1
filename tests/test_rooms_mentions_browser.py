"""A real browser (headless Chromium) picks a mention from the suggestions with the keyboard,
and the person named sees the message marked for her, live."""

from __future__ import annotations

import pytest

from tests.test_rooms_browser import (  # noqa: F401 - site and browser are fixtures used here
    CHROMIUM,
    _open_room,
    browser,
    site,
)

pytestmark = [
    pytest.mark.live,  # real servers on their own SQLite file
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)"),
]


def test_keyboard_picks_a_suggested_mention_and_the_named_reader_sees_it(site, browser):  # noqa: F811
    """Rosa types "@An", the list offers Ana (a listbox tied to the text box), arrows and
    Enter insert @**Ana Castillo**; Ana's open page shows the message as mentioning her,
    and Rosa's does not."""
    base, room_id, _ = site
    rosa_context, rosa = _open_room(browser, base, room_id, "rosa@caravana.example")
    ana_context, ana = _open_room(browser, base, room_id, "ana@caravana.example")
    try:
        box = rosa.locator("#composer textarea")
        box.click()
        box.press_sequentially("Hola @An", delay=40)
        option = rosa.locator("#mention-list [role=option]", has_text="Ana Castillo")
        option.wait_for(timeout=10_000)
        assert rosa.locator("#mention-list").is_visible()
        assert box.get_attribute("aria-controls") == "mention-list"
        for _ in range(rosa.locator("#mention-list [role=option]").count()):
            if option.get_attribute("aria-selected") == "true":
                break
            box.press("ArrowDown")
        assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
        box.press("Enter")
        assert box.input_value() == "Hola @**Ana Castillo** "
        assert rosa.locator("#mention-list").is_hidden()
        box.press_sequentially("nos vemos en la parroquia", delay=10)
        rosa.click("#composer button[type=submit]")
        marked = ana.locator("#messages li.message.mentions-me", has_text="nos vemos en la")
        marked.wait_for(timeout=10_000)
        rosa.locator("#messages li.message[data-seq]", has_text="nos vemos en la").wait_for(
            timeout=10_000
        )
        assert rosa.locator("#messages li.mentions-me", has_text="nos vemos en la").count() == 0
        # Reloaded, the page marks it the same way, from the stored mention.
        ana.reload()
        ana.locator("#messages li.mentions-me", has_text="nos vemos en la").wait_for(timeout=10_000)
    finally:
        rosa_context.close()
        ana_context.close()
