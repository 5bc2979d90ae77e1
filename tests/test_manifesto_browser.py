"""The live manifesto editor in real browsers (headless Chromium, the bundled CodeMirror + Yjs
client, the site's strict CSP): two people type in the same paragraph at once and both end
with the same text; one goes offline, keeps typing, comes back, and nothing is lost."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from tests.live import DEMO_PASSWORD, demo_environment, gunicorn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)"),
]
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
LUCIA = "lucia@caravana.example"  # coordinator, Movimiento Mesoamericano (on the committee)
TOMAS = "tomas@caravana.example"  # member of the same organisation
SYNCED = "#collab-editor[data-state=synced]:not([data-pending])"
TEXT = "window.caravanaEditor.ytext.toString()"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo, its manifesto moved back to drafting so that the committee may edit."""
    instance = tmp_path_factory.mktemp("instance")
    env = demo_environment(instance)
    with sqlite3.connect(instance / "live.sqlite3") as connection:
        connection.execute("UPDATE manifestos SET status = 'drafting'")
        connection.execute("UPDATE users SET locale = 'en' WHERE email IN (?, ?)", (LUCIA, TOMAS))
    with gunicorn(env) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _editor(browser, base: str, email: str):
    """A signed-in context on the manifesto's editor, once it has synced; and its CSP errors."""
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security" in m.text else None)
    page.goto(f"{base}/account/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/manifestos/1/edit")
    page.wait_for_selector(SYNCED, timeout=20_000)
    assert page.locator("#plain-edit").is_hidden()
    return context, page, problems


def _click_after(page, words: str) -> None:
    """Put the caret just after these words in the editor (as a click there would)."""
    page.evaluate(
        """(words) => {
            const {view, ytext} = window.caravanaEditor;
            const at = ytext.toString().indexOf(words) + words.length;
            view.focus();
            view.dispatch({selection: {anchor: at}});
        }""",
        words,
    )


def test_two_people_typing_in_the_same_paragraph_end_with_the_same_text(site, browser):
    lucia_context, lucia, lucia_csp = _editor(browser, site, LUCIA)
    tomas_context, tomas, tomas_csp = _editor(browser, site, TOMAS)
    try:
        anchor = "Exigimos verdad"
        _click_after(lucia, anchor)
        _click_after(tomas, anchor)
        for lucia_word, tomas_word in zip(
            [" plena", " y", " completa"], [" YA", " AHORA", " SIEMPRE"], strict=True
        ):
            lucia.keyboard.type(lucia_word, delay=15)
            tomas.keyboard.type(tomas_word, delay=15)
        for page in (lucia, tomas):
            page.wait_for_selector(SYNCED, timeout=20_000)
        tomas.wait_for_function(
            f"{TEXT}.includes('completa') && {TEXT}.includes('SIEMPRE')", timeout=20_000
        )
        lucia.wait_for_function(
            f"{TEXT}.includes('completa') && {TEXT}.includes('SIEMPRE')", timeout=20_000
        )
        text = lucia.evaluate(TEXT)
        assert text == tomas.evaluate(TEXT)
        paragraph = next(p for p in text.split("\n\n") if p.startswith(anchor))
        for word in ("plena", "completa", "YA", "AHORA", "SIEMPRE"):
            assert word in paragraph
        # What they see is what the server stored: a fresh page shows the same text.
        fresh = lucia_context.new_page()
        fresh.goto(f"{site}/manifestos/1/edit")
        fresh.wait_for_selector(SYNCED, timeout=20_000)
        assert fresh.evaluate(TEXT) == text
        assert lucia_csp == [] and tomas_csp == []
    finally:
        lucia_context.close()
        tomas_context.close()


def test_offline_typing_is_kept_and_merged_when_back(site, browser):
    lucia_context, lucia, _ = _editor(browser, site, LUCIA)
    tomas_context, tomas, _ = _editor(browser, site, TOMAS)
    try:
        # Tomás loses the connection and keeps typing; Lucía types meanwhile.
        tomas.evaluate("window.caravanaEditor.socket.disconnect()")
        tomas.wait_for_selector("#collab-editor[data-state=offline]", timeout=10_000)
        _click_after(tomas, "Exigimos justicia")
        tomas.keyboard.type(" (escrito sin red)", delay=10)
        _click_after(lucia, "Exigimos identificación")
        lucia.keyboard.type(" (escrito en línea)", delay=10)
        lucia.wait_for_selector(SYNCED, timeout=20_000)
        assert "sin red" not in lucia.evaluate(TEXT)
        tomas.evaluate("window.caravanaEditor.socket.connect()")
        tomas.wait_for_selector(SYNCED, timeout=20_000)
        lucia.wait_for_function(f"{TEXT}.includes('sin red')", timeout=20_000)
        tomas.wait_for_function(f"{TEXT}.includes('en línea')", timeout=20_000)
        assert lucia.evaluate(TEXT) == tomas.evaluate(TEXT)
        # Stored on the server: the page without a script shows both.
        page = lucia_context.new_page()
        page.goto(f"{site}/manifestos/1")
        body = page.inner_text("article")
        assert "(escrito sin red)" in body and "(escrito en línea)" in body
    finally:
        lucia_context.close()
        tomas_context.close()


def _paragraph_of(text: str, words: str) -> int:
    """The number (1, 2...) of the paragraph these words are in, as the page counts them."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return next(n for n, p in enumerate(paragraphs, 1) if words in p)


def test_a_comment_on_selected_words_stays_with_that_passage(site, browser):
    """Words selected in the editor fill the comment form; the comment points at that very
    place (not the first place the same words appear) and follows it when text is added."""
    context, page, problems = _editor(browser, site, LUCIA)
    try:
        # "Exigimos" begins several paragraphs: select it where "Exigimos justicia" starts.
        page.evaluate(
            """() => {
                const {view, ytext} = window.caravanaEditor;
                const at = ytext.toString().indexOf("Exigimos justicia") + "Exigimos".length;
                view.focus();
                view.dispatch({selection: {anchor: at}});
            }"""
        )
        for _ in "Exigimos":
            page.keyboard.press("Shift+ArrowLeft")
        page.click("#comment-on-passage summary")
        assert page.input_value("#comment-on-passage [name=quote]") == "Exigimos"
        page.fill("#comment-on-passage [name=body]", "¿Y quién juzga? (comentario anclado)")
        page.click("#comment-on-passage button[type=submit]")
        page.wait_for_load_state()
        thread = page.locator(".thread", has_text="comentario anclado")
        text = page.evaluate("() => document.querySelector('.manifesto-text').innerText")
        where = _paragraph_of(text, "Exigimos justicia")
        assert where != _paragraph_of(text, "Exigimos")  # the same words come earlier too
        assert f"Paragraph {where}:" in thread.inner_text()
        assert "Exigimos justicia" in thread.locator("q").inner_text()

        # Someone adds a paragraph at the very start: the comment moves down with its passage.
        page.goto(f"{site}/manifestos/1/edit")
        page.wait_for_selector(SYNCED, timeout=20_000)
        page.evaluate(
            "() => { const {view} = window.caravanaEditor; view.focus();"
            " view.dispatch({selection: {anchor: 0}}); }"
        )
        page.keyboard.type("Un párrafo nuevo al principio.", delay=5)
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")
        page.wait_for_selector(SYNCED, timeout=20_000)
        page.goto(f"{site}/manifestos/1")
        thread = page.locator(".thread", has_text="comentario anclado")
        assert f"Paragraph {where + 1}:" in thread.inner_text()
        assert problems == []
    finally:
        context.close()
