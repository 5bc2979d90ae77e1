"""The library in a real browser (headless Chromium): a member adds a PDF through the form,
with the upload script and without it, waits until its text is read, and finds it by another
form of a word on its last page; a member of another organisation does not."""

from __future__ import annotations

import re
import shutil
import sqlite3
import time

import pytest

from tests.library_files import pdf_bytes
from tests.live import DEMO_PASSWORD, demo_environment, gunicorn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.live,  # a real server (and its library worker) on its own SQLite file
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)"),
]
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ANA = "ana@caravana.example"  # member of the Honduran committee
MARTA = "marta@caravana.example"  # coordinator of the Salvadoran committee: another organisation
COMMITTEE = "Comité de Familiares de Migrantes de El Progreso"
OURS_ONLY = "Only the members of our organisation"
TITLE = "Informe de la brigada de julio"
PAGES = [
    "Informe interno del comité. Reunión de familias en Yoro, julio.",
    "Lista de albergues visitados y de las muestras de ADN entregadas al equipo forense.",
    "Las campañas de búsqueda en Chiapas siguieron a la brigada de doña Eustaquia Villalpando.",
]
READ_OR_BEING_READ = ("Text being read…", "Text searchable")
READ_WITHIN = 60  # seconds for the server's worker to read the file and index it
# Shows on the console what the upload script writes in its progress box while it sends.
WATCH_PROGRESS = """
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector(".upload-progress");
  if (!box) { return; }
  new MutationObserver(() => {
    console.log("progress:" + (box.hidden ? "hidden" : "shown") + ":" + box.textContent.trim());
  }).observe(box, {attributes: true, childList: true, subtree: true, characterData: true});
});
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo served by gunicorn (its library worker on), Ana and Marta reading English."""
    instance = tmp_path_factory.mktemp("instance")
    env = demo_environment(instance, LIBRARY_WORKER="1")
    with sqlite3.connect(instance / "live.sqlite3") as connection:
        connection.execute("UPDATE users SET locale = 'en' WHERE email IN (?, ?)", (ANA, MARTA))
    with gunicorn(env) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _signed_in(browser, base: str, email: str, **options):
    """A browser context of its own, signed in through the form, and its page."""
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{base}/account/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    assert "/account/login" not in page.url, "signing in failed"
    return context, page


def _fill_upload_form(page, base: str, title: str, pages: list[str], filename: str) -> None:
    """From the library's list, open the form and fill it as a member does."""
    page.goto(f"{base}/library/")
    page.get_by_role("link", name="Add a document").click()
    page.wait_for_url(f"{base}/library/new")
    page.set_input_files(
        "#file",
        files=[{"name": filename, "mimeType": "application/pdf", "buffer": pdf_bytes(pages)}],
    )
    page.fill("#title", title)
    page.select_option("#organisation", label=COMMITTEE)
    page.fill("#description", "Lo que vimos en la ruta.")
    page.select_option("#language", "es")
    page.fill("#tags", "informe, brigada")
    page.get_by_label(OURS_ONLY).check()


def _document_id(page, base: str) -> int:
    match = re.fullmatch(re.escape(base) + r"/library/(\d+)", page.url)
    assert match, f"not on a document's page: {page.url}"
    return int(match.group(1))


def _wait_until_searchable(page, base: str, document_id: int) -> None:
    """Reload the document's page until it says its text can be searched (at most a minute)."""
    deadline = time.monotonic() + READ_WITHIN
    status = page.locator("span.status")
    while True:
        if page.url != f"{base}/library/{document_id}":
            page.goto(f"{base}/library/{document_id}")
        said = status.inner_text().strip()
        if said == "Text searchable":
            return
        assert said == "Text being read…", f"the text was not read: {said!r}"
        assert time.monotonic() < deadline, f"still {said!r} after {READ_WITHIN} s"
        time.sleep(0.5)
        page.reload()


def _search_from_header(page, words: str) -> None:
    page.fill("form.site-search #site-q", words)
    page.click("form.site-search button[type=submit]")
    page.wait_for_url(re.compile(r".*/search\?q="))


def _hit(page, title: str):
    return page.locator("ol.hits li.hit", has=page.locator("h2", has_text=title))


@pytest.fixture(scope="module")
def added(site, browser):
    """Ana adds the document through the form with the upload script; what the browser did:
    the document's id, the page she landed on, the requests sent and the progress shown."""
    base = site
    context, page = _signed_in(browser, base, ANA)
    context.add_init_script(WATCH_PROGRESS)
    progress: list[str] = []
    posts: list[str] = []
    page.on("console", lambda m: m.text.startswith("progress:") and progress.append(m.text))
    page.on(
        "request",
        lambda r: r.method == "POST" and "/library/new" in r.url and posts.append(r.resource_type),
    )
    _fill_upload_form(page, base, TITLE, PAGES, "informe-julio.pdf")
    page.get_by_role("button", name="Add the document").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/library/\d+$"), timeout=15_000)
    page.wait_for_load_state()
    flash = page.locator(".flashes").inner_text() if page.locator(".flashes").count() else ""
    yield {
        "id": _document_id(page, base),
        "page": page,
        "posts": posts,
        "progress": progress,
        "flash": flash,
    }
    context.close()


def test_member_adds_a_pdf_with_the_script_and_finds_it_by_another_form_of_a_word(site, added):
    """The script sends the form (progress shown), the browser goes to the new document; its
    text is read within a minute; "campaña" finds it by "campañas" on its third page."""
    base, page = site, added["page"]
    assert added["posts"] == ["xhr"], added["posts"]  # the script sent it, once
    assert any(p.startswith("progress:shown:Sending…") for p in added["progress"]), added[
        "progress"
    ]
    assert "The document is added." in added["flash"]  # the page the upload came back with
    assert page.locator("h1").inner_text() == TITLE
    assert f"Members of {COMMITTEE}" in page.locator("p.meta").first.inner_text()
    assert page.locator("span.status").inner_text().strip() in READ_OR_BEING_READ
    _wait_until_searchable(page, base, added["id"])
    assert "3 pages" in page.content()
    assert "Las campañas de búsqueda en Chiapas" in page.locator(".text-preview").inner_text()

    _search_from_header(page, "campaña")
    hit = _hit(page, TITLE)
    assert hit.count() == 1, page.locator("ol.hits").inner_text()
    marks = [m.lower() for m in hit.locator("p.snippet mark").all_inner_texts()]
    assert "campañas" in marks, marks
    assert "Chiapas" in hit.locator("p.snippet").inner_text()
    hit.locator("h2 a").click()
    page.wait_for_url(f"{base}/library/{added['id']}")
    assert page.locator("h1").inner_text() == TITLE


def test_member_adds_a_document_without_javascript(site, browser):
    """With scripts off the same form posts by itself and lands on the new document's page."""
    base = site
    context, page = _signed_in(browser, base, ANA, java_script_enabled=False)
    try:
        _fill_upload_form(
            page,
            base,
            "Acta de la asamblea de agosto",
            ["Acta de la asamblea.", "Acuerdos sobre la caravana.", "Firmas de las familias."],
            "acta-agosto.pdf",
        )
        page.get_by_role("button", name="Add the document").click()
        page.wait_for_url(re.compile(re.escape(base) + r"/library/\d+$"))
        assert page.locator("h1").inner_text() == "Acta de la asamblea de agosto"
        assert "The document is added." in page.locator(".flashes").inner_text()
        assert page.locator("span.status").inner_text().strip() in READ_OR_BEING_READ
        assert f"Members of {COMMITTEE}" in page.locator("p.meta").first.inner_text()
    finally:
        context.close()


def test_a_member_of_another_organisation_does_not_find_it(site, browser, added):
    """Marta, of the Salvadoran committee, searches the same word once the text is indexed:
    the Honduran committee's own document is not among her results, nor its marked words."""
    base = site
    _wait_until_searchable(added["page"], base, added["id"])
    context, page = _signed_in(browser, base, MARTA)
    try:
        page.goto(f"{base}/library/")
        _search_from_header(page, "campaña")
        assert TITLE not in page.content()
        assert _hit(page, TITLE).count() == 0
        snippets = " ".join(page.locator("ol.hits p.snippet").all_inner_texts())
        assert "Chiapas" not in snippets and "Villalpando" not in snippets
        _search_from_header(page, "Villalpando")
        assert TITLE not in page.content()
        assert page.locator("ol.hits mark").count() == 0
        assert "Nothing found." in page.locator("main").inner_text()
        response = page.goto(f"{base}/library/{added['id']}")  # nor by its address
        assert response.status == 404
        assert TITLE not in page.content()
    finally:
        context.close()
