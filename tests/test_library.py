"""The shared library as its people use it: add, read, find, version, bin and restore."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.library import worker
from app.models import Document, DocumentVisibility, StoredFile
from tests import factories
from tests.conftest import app_on_a_file, sign_in
from tests.library_files import docx_bytes, fake_pdf, pdf_bytes

SPANISH_PAGES = [
    "Informe anual de la red de madres.",
    "La caravana recorrió el sur de México.",
    "Las campañas de búsqueda en Chiapas encontraron nuevas pistas.",
]


def upload(client, org, data: bytes, name: str, **fields):
    """Post the library's upload form as the browser does (multipart, with its fields)."""
    form = {
        "file": (io.BytesIO(data), name),
        "title": fields.pop("title", "Informe de búsqueda"),
        "organisation": str(org.id),
        "description": fields.pop("description", ""),
        "language": fields.pop("language", "es"),
        "tags": fields.pop("tags", "informe, Chiapas"),
        "campaign": "",
        "visibility": fields.pop("visibility", "organisation"),
    }
    form.update(fields)
    return client.post("/library/new", data=form, content_type="multipart/form-data")


def only_document(db) -> Document:
    return db.session.scalars(select(Document)).one()


def test_a_member_adds_a_pdf_and_reads_its_text_after_the_worker(client, world, db):
    """The upload lands on the document's page; once read, page 3's words are in the preview."""
    sign_in(client, world.member)
    response = upload(client, world.org, pdf_bytes(SPANISH_PAGES), "informe.pdf")
    assert response.status_code == 302
    doc = only_document(db)
    assert doc.file.kind == "pdf" and doc.file.status.value == "queued"
    page = client.get(f"/library/{doc.id}").get_data(as_text=True)
    assert "Text being read" in page
    assert worker.run_pending() == 1
    page = client.get(f"/library/{doc.id}").get_data(as_text=True)
    assert "Text searchable" in page
    assert "campañas de búsqueda en Chiapas" in page
    assert "3 pages" in page


def test_a_worker_round_reads_the_file_and_leaves_the_search_ready(
    client, world, db, app, monkeypatch
):
    """After a round, the new document is found without the search reading the index's columns."""
    from app.search import whoosh_facets

    sign_in(client, world.member)
    upload(client, world.org, pdf_bytes(SPANISH_PAGES), "informe.pdf")
    worker.round_of_work(app)
    read = []
    real = whoosh_facets._column
    monkeypatch.setattr(
        whoosh_facets, "_column", lambda r, name: read.append(name) or real(r, name)
    )
    page = client.get("/search?q=campaña").get_data(as_text=True)
    assert "Informe de búsqueda" in page
    assert read == []


def test_the_file_is_stored_under_a_random_name_not_the_uploaders(client, world, db, app):
    """Nothing of the uploaded name reaches the disk; the bytes are kept once."""
    sign_in(client, world.member)
    upload(client, world.org, pdf_bytes(["uno"]), "../../etc/passwd.pdf")
    stored = db.session.scalars(select(StoredFile)).one()
    files = [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]
    assert [p.name for p in files] == [stored.storage_name]
    assert "passwd" not in stored.storage_name


def test_download_is_an_attachment_of_the_right_type_never_sniffed(client, world, db):
    """The file comes back as a download with its type from its content, not its name."""
    sign_in(client, world.member)
    upload(client, world.org, pdf_bytes(["uno"]), "named-as-text.txt")
    doc = only_document(db)
    response = client.get(f"/library/{doc.id}/download")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "named-as-text.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data.startswith(b"%PDF-")


def test_a_file_that_is_not_a_document_is_refused_and_nothing_is_kept(client, world, db, app):
    """An executable named .pdf gets a clear message; no row, no file left behind."""
    sign_in(client, world.member)
    response = upload(client, world.org, fake_pdf(), "informe.pdf")
    assert response.status_code == 400
    assert "This kind of file cannot be added" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Document.id))) == 0
    assert not [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def test_a_file_over_the_limit_is_refused_with_the_limit_in_words(client, world, db, app):
    """Past LIBRARY_MAX_UPLOAD the form says how big a file may be; nothing is stored."""
    app.config["LIBRARY_MAX_UPLOAD"] = 50_000
    sign_in(client, world.member)
    response = upload(client, world.org, b"a" * 200_000, "big.txt")
    assert response.status_code == 400
    assert "larger than" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Document.id))) == 0


def test_the_same_file_twice_is_stored_once_and_the_uploader_is_told(client, world, db):
    """Identical bytes (same SHA-256) share one stored file; the second upload names the first."""
    sign_in(client, world.member)
    data = docx_bytes(["Guía legal para familias"])
    upload(client, world.org, data, "guia.docx", title="Guía legal")
    response = upload(client, world.org, data, "copia.docx", title="Copia")
    assert db.session.scalar(select(func.count(StoredFile.id))) == 1
    assert db.session.scalar(select(func.count(Document.id))) == 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "already in the library" in page and "Guía legal" in page


def test_an_organisation_document_is_hidden_from_outsiders_everywhere(client, world, db):
    """Outsiders and anonymous readers get 404 for its page and its file; members read it."""
    sign_in(client, world.member)
    upload(client, world.org, pdf_bytes(["privado"]), "p.pdf", visibility="organisation")
    doc = only_document(db)
    for person in (world.outsider, None):
        client.post("/account/logout")
        if person:
            sign_in(client, person)
        assert client.get(f"/library/{doc.id}").status_code == 404
        assert client.get(f"/library/{doc.id}/download").status_code == 404
        assert "Informe de búsqueda" not in client.get("/library/").get_data(as_text=True)


def test_a_public_document_is_listed_and_opened_without_an_account(client, world, db):
    """Public documents are for everyone, also without signing in."""
    sign_in(client, world.member)
    upload(
        client,
        world.org,
        pdf_bytes(["abierto"]),
        "a.pdf",
        visibility="public",
        title="Guía pública",
    )
    doc = only_document(db)
    client.post("/account/logout")
    assert "Guía pública" in client.get("/library/").get_data(as_text=True)
    assert client.get(f"/library/{doc.id}").status_code == 200


def test_new_versions_keep_the_history_and_each_downloads(client, world, db):
    """A new version becomes current; the first stays downloadable."""
    sign_in(client, world.member)
    upload(client, world.org, pdf_bytes(["primera"]), "v1.pdf")
    doc = only_document(db)
    response = client.post(
        f"/library/{doc.id}/versions/new",
        data={"file": (io.BytesIO(docx_bytes(["segunda"])), "v2.docx"), "note": "revisada"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.refresh(doc)
    assert doc.version_count == 2 and doc.file.kind == "docx"
    page = client.get(f"/library/{doc.id}").get_data(as_text=True)
    assert "v1.pdf" in page and "v2.docx" in page and "revisada" in page
    assert client.get(f"/library/{doc.id}/versions/1/download").data.startswith(b"%PDF-")
    assert client.get(f"/library/{doc.id}/download").data.startswith(b"PK")


def test_only_coordinators_bin_and_restore_and_the_bin_hides_it(client, world, db):
    """A member cannot delete; a coordinator bins it (members lose it) and restores it."""
    sign_in(client, world.member)
    upload(client, world.org, pdf_bytes(["texto"]), "t.pdf", visibility="public")
    doc = only_document(db)
    assert client.post(f"/library/{doc.id}/delete").status_code == 403
    client.post("/account/logout")
    sign_in(client, world.coordinator)
    assert "Move “Informe de búsqueda” to the bin?" in client.get(
        f"/library/{doc.id}/delete"
    ).get_data(as_text=True)
    assert client.post(f"/library/{doc.id}/delete").status_code == 302
    assert "Informe de búsqueda" in client.get("/library/bin").get_data(as_text=True)
    client.post("/account/logout")
    sign_in(client, world.member)
    assert client.get(f"/library/{doc.id}").status_code == 404
    client.post("/account/logout")
    sign_in(client, world.coordinator)
    client.post(f"/library/{doc.id}/restore")
    client.post("/account/logout")
    assert client.get(f"/library/{doc.id}").status_code == 200


def test_people_without_an_organisation_cannot_upload(client, world):
    """The upload page is for members of an approved organisation."""
    sign_in(client, world.outsider)
    assert client.get("/library/new").status_code == 403
    assert client.post("/library/new").status_code == 403


def test_details_change_and_visibility_narrows_at_once(client, world, db):
    """The uploader changes the details; making it private hides it from the movement."""
    other = factories.make_org("Red Mesoamericana")
    reader = factories.make_user("Luz Reader")
    factories.add_member(other, reader)
    sign_in(client, world.member)
    upload(client, world.org, pdf_bytes(["x"]), "x.pdf", visibility="movement")
    doc = only_document(db)
    client.post("/account/logout")
    sign_in(client, reader)
    assert client.get(f"/library/{doc.id}").status_code == 200
    client.post("/account/logout")
    sign_in(client, world.member)
    response = client.post(
        f"/library/{doc.id}/edit",
        data={
            "title": "Nuevo título",
            "description": "",
            "language": "es",
            "tags": "",
            "campaign": "",
            "visibility": "organisation",
        },
    )
    assert response.status_code == 302
    db.session.refresh(doc)
    assert doc.title == "Nuevo título" and doc.visibility == DocumentVisibility.ORGANISATION
    client.post("/account/logout")
    sign_in(client, reader)
    assert client.get(f"/library/{doc.id}").status_code == 404


def test_a_zip_bomb_upload_fails_with_a_reason_a_person_understands(client, world, db):
    """A .docx that unpacks to a gigabyte is stored, not unpacked, and its page says why."""
    from tests.library_files import zip_bomb_docx

    sign_in(client, world.member)
    assert upload(client, world.org, zip_bomb_docx(), "bomba.docx").status_code == 302
    worker.run_pending()
    doc = only_document(db)
    assert doc.file.status.value == "failed"
    page = client.get(f"/library/{doc.id}").get_data(as_text=True)
    assert "Text could not be read" in page
    assert "unpacks to far more than its size" in page


class TestWhileAFileIsRead:
    """The worker and the pages really side by side: each thread with its own connection."""

    @pytest.fixture
    def app(self, tmp_path):
        with app_on_a_file(tmp_path) as app:
            yield app

    def test_the_site_answers_while_a_pdf_bomb_is_being_read(self, client, world, db, app):
        """The file is parsed in a child process: pages answer while it burns its CPU allowance."""
        _answers_while_a_pdf_bomb_is_read(client, world, db, app)


def _answers_while_a_pdf_bomb_is_read(client, world, db, app) -> None:
    import threading

    from tests.library_files import pdf_bomb

    app.config.update(EXTRACT_CPU_SECONDS=4, EXTRACT_WALL_SECONDS=30.0)
    sign_in(client, world.member)
    upload(client, world.org, pdf_bomb(), "bomba.pdf")
    doc_id = only_document(db).id

    def work() -> None:
        with app.app_context():
            worker.run_pending()

    reading = threading.Thread(target=work)
    reading.start()
    answered_while_reading = 0
    while reading.is_alive():
        if client.get("/library/").status_code == 200 and reading.is_alive():
            answered_while_reading += 1
    reading.join()
    assert answered_while_reading >= 1
    page = client.get(f"/library/{doc_id}").get_data(as_text=True)
    assert "Text could not be read" in page and "took too long" in page


def test_a_body_over_the_site_limit_gets_the_too_large_page_and_nothing_is_kept(
    client, world, db, app
):
    """Past MAX_CONTENT_LENGTH the request stops before the form is read (CSRF check included)."""
    app.config.update(MAX_CONTENT_LENGTH=100_000, WTF_CSRF_ENABLED=True)
    sign_in(client, world.member)
    response = upload(client, world.org, b"a" * 300_000, "big.txt")
    assert response.status_code == 413
    assert "This is too large" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Document.id))) == 0


def test_tags_are_split_on_latin_and_arabic_commas_trimmed_and_not_repeated():
    """ "دليل قانوني، شهادة" gives two tags, as "legal guide, Testimony, testimony" gives two."""
    from app.library.services import clean_tags

    assert clean_tags("دليل قانوني، شهادة") == ["دليل قانوني", "شهادة"]
    assert clean_tags(" legal  guide , Testimony,testimony,") == ["legal guide", "testimony"]
