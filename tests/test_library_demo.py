"""The demo library: a newcomer finds documents of many organisations, read and searchable.

One test seeds the whole demo (as `flask seed-demo` does, a few seconds) and then looks at it
as the people of the demo would: an anonymous visitor, members of two organisations.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from urllib.parse import quote

from sqlalchemy import func, select

from app.extensions import db
from app.library.demo import DOCUMENTS, file_bytes
from app.models import Document, DocumentVisibility, ExtractionStatus, StoredFile, User
from tests.conftest import sign_in

TESTIMONY = "Testimonio de doña Dolores (datos personales, solo para el comité)"
GUIDE = "Guía práctica: cómo presentar una solicitud de búsqueda en México"
FRENCH_GUIDE = "Guide des droits des familles de disparus (Sénégal et Mauritanie)"
STATEMENT = "بيان عائلات المفقودين في صفاقس"


def _user(key: str) -> User:
    return db.session.scalar(select(User).where(User.email == f"{key}@caravana.example"))


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def _search(client, words: str) -> str:
    return _page(client, f"/search?q={quote(words)}")


def _hits(page: str) -> list[str]:
    """The titles of a results page's hits, without their marked words."""
    titles = re.findall(r'<li class="hit">\s*<h2><a [^>]*>(.*?)</a>', page, re.S)
    return [re.sub(r"</?mark>", "", title) for title in titles]


def _finds(client, words: str) -> list[str]:
    return _hits(_search(client, words))


def _content(data: bytes) -> list[tuple[str, bytes]]:
    """An ODT's entries without namespace declarations: odfpy declares in each part every
    namespace it has met so far in this process, so only those differ from run to run."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [
            (name, re.sub(rb' xmlns:\w+="[^"]*"', b"", archive.read(name)))
            for name in archive.namelist()
        ]


def test_the_demo_files_are_built_the_same_on_every_run():
    """Built in memory, deterministically (no clock, no randomness), each one different."""
    for doc in DOCUMENTS:
        first, second = file_bytes(doc), file_bytes(doc)
        if doc.filename.endswith(".odt"):
            assert _content(first) == _content(second), doc.filename
        else:
            assert first == second, doc.filename
    assert len({file_bytes(doc) for doc in DOCUMENTS}) == len(DOCUMENTS)


def test_a_newcomer_finds_a_living_searchable_library(app, client):
    """Every demo document is added and read; search shows stemming, snippets, facets and
    who may see what."""
    from app.demo import seed

    seed()
    org_only = {d.title for d in DOCUMENTS if d.visibility == DocumentVisibility.ORGANISATION}
    not_public = {d.title for d in DOCUMENTS if d.visibility != DocumentVisibility.PUBLIC}
    assert TESTIMONY in org_only and len(org_only) >= 2

    # Every file went through the upload path and its text was read: none waits, none failed.
    documents = list(db.session.scalars(select(Document)))
    assert len(documents) == len(DOCUMENTS) >= 12
    assert {d.file.kind for d in documents} == {"pdf", "docx", "odt", "md", "txt"}
    assert {d.language for d in documents} == {"es", "fr", "ar", "it", "en"}
    statuses = db.session.execute(
        select(StoredFile.status, func.count()).group_by(StoredFile.status)
    )
    assert dict(statuses.all()) == {ExtractionStatus.INDEXED: len(DOCUMENTS)}
    assert max(d.file.pages or 0 for d in documents) >= 3

    # The library page lists the documents of several organisations to a movement member.
    sign_in(client, _user("lucia"))
    listing = _page(client, "/library/")
    shown = [d for d in DOCUMENTS if d.title in listing]
    assert len({d.org for d in shown}) >= 5
    assert TESTIMONY not in listing  # another organisation's private testimony

    visitor = app.test_client()
    # "campaña" finds the public Spanish documents saying "campañas", with a marked snippet,
    # and facets to narrow them; never a document that is not public.
    page = _search(visitor, "campaña")
    found = _hits(page)
    assert GUIDE in found
    assert '<p class="snippet"' in page and "<mark>campañas</mark>" in page
    assert 'class="facets"' in page
    assert not set(found) & not_public
    # Words found only on page 3 of the PDF guide (not in its details) find it.
    assert GUIDE in _finds(visitor, "amparo buscador")
    # French stemming: the guide only says "démarches", the plural.
    assert FRENCH_GUIDE in _finds(visitor, "démarche")
    assert FRENCH_GUIDE in _finds(visitor, "famille")
    # Italian and English: the report says "famiglie", the FAQ "searching" and "searched".
    assert any("identificazione" in title for title in _finds(visitor, "famiglia"))
    assert any("DNA" in title for title in _finds(visitor, "search"))
    # Arabic: "المفقودون" is nowhere in the statement, which says "المفقودين" and "مفقود".
    assert STATEMENT in _finds(visitor, "المفقودون")

    # The organisation-only testimony: its committee finds it, no one else does.
    assert _finds(visitor, "abarrotes") == []
    sign_in(client, _user("tomas"))  # member of another organisation
    assert _finds(client, "abarrotes") == []
    sign_in(client, _user("ana"))  # member of the Comité de El Progreso
    assert _finds(client, "abarrotes") == [TESTIMONY]
