"""Search follows every change at once, and never loses one: access lost, text changed, crashes.

Changes reach the index through the outbox written in the same transaction (search/outbox.py);
a search first writes what is waiting, so what a person finds always matches what they may
open now. These run on the backend of the suite's database (Whoosh, or PostgreSQL's).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.library import services as library
from app.models import DocumentVisibility, RoomScope, SearchOutbox
from app.orgs import services as orgs
from app.rooms import services as rooms
from app.search import outbox, service
from tests import factories

WORD = "desaparecidas"


def found(user, text: str = WORD) -> set[str]:
    """The keys a person finds for a word."""
    result = service.search(user, text)
    assert result.error is None
    return {hit.key for hit in result.results.hits}


def add_text_document(world, visibility=DocumentVisibility.MOVEMENT, text=WORD):
    import io

    document, _seen = library.add_document(
        world.member, world.org, io.BytesIO(f"Informe sobre las {text}.".encode()), "i.txt",
        library.Details(title="Informe", description="", language="es", tags=[],
                        visibility=visibility),
    )  # fmt: skip
    from app.library import worker

    worker.run_pending()
    return document


@pytest.fixture
def reader(world):
    """A member of another approved organisation (a movement member, not of world.org)."""
    other = factories.make_org("Red de Madres")
    person = factories.make_user("Luz Reader")
    factories.add_member(other, person)
    return person


def test_a_document_made_private_disappears_from_search_at_once(world, reader):
    """Movement members find it; once it is for its organisation only, they find nothing."""
    document = add_text_document(world)
    assert found(reader) == {f"document:{document.id}"}
    details = library.Details(title="Informe", description="", language="es", tags=[],
                              visibility=DocumentVisibility.ORGANISATION)  # fmt: skip
    library.update_document(world.coordinator, document, details)
    assert found(reader) == set()
    assert found(world.member) == {f"document:{document.id}"}


def test_leaving_an_organisation_hides_its_documents_and_rooms_at_once(world, app):
    """Nothing is re-indexed: the member's tokens change, so the same index hides them."""
    document = add_text_document(world, DocumentVisibility.ORGANISATION)
    room = rooms.create_room(world.coordinator, RoomScope.ORGANISATION, "Sala", "", world.org)
    message, _ = rooms.post_message(world.coordinator, room, f"Hablemos de las {WORD}", "c-000001")
    assert found(world.member) == {f"document:{document.id}", f"message:{message.id}"}
    outbox.drain()
    with app.test_request_context():  # leaving tells the coordinators, in their language
        orgs.leave(world.member, world.org)
    assert db_outbox_empty()
    assert found(world.member) == set()


def test_a_deleted_message_is_not_found_and_an_edited_one_by_its_new_words(world):
    """Deleting removes it from search; editing replaces its words."""
    room = rooms.create_room(world.coordinator, RoomScope.ORGANISATION, "Sala", "", world.org)
    message, _ = rooms.post_message(world.member, room, f"Las {WORD} de Chiapas", "c-000002")
    key = f"message:{message.id}"
    assert found(world.coordinator) == {key}
    rooms.edit_message(world.member, message, "La caravana sale el lunes")
    assert found(world.coordinator) == set()
    assert found(world.coordinator, "caravana") == {key}
    rooms.delete_message(world.member, message)
    assert found(world.coordinator, "caravana") == set()


def test_a_document_in_the_bin_is_not_found_and_comes_back_restored(world, reader):
    """The bin hides a document from search; restoring it brings it back."""
    document = add_text_document(world)
    library.delete_document(world.coordinator, document)
    assert found(reader) == set() and found(world.coordinator) == set()
    library.restore_document(world.coordinator, document)
    assert found(reader) == {f"document:{document.id}"}


def test_a_failed_index_write_loses_nothing_and_the_next_drain_catches_up(world, reader, app,
                                                                           monkeypatch):
    """The database change stands; its outbox row waits; the next drain indexes it."""
    backend = service.backend()
    real_write = backend.write

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(backend, "write", broken)
    factories.make_org(f"Comité de las {WORD}")
    outbox.drain_quietly()  # what runs after a commit: logs, keeps the rows
    assert not db_outbox_empty()
    monkeypatch.setattr(backend, "write", real_write)
    assert any(key.startswith("organisation:") for key in found(reader))
    assert db_outbox_empty()


def test_rebuild_gives_the_same_results_and_check_finds_no_difference(world, reader, app):
    """`flask search rebuild` empties and refills the index; `flask search check` agrees."""
    add_text_document(world)
    room = rooms.create_room(world.coordinator, RoomScope.ORGANISATION, "Sala", "", world.org)
    rooms.post_message(world.member, room, f"Sobre las {WORD}", "c-000003")
    before = {user.id: found(user) for user in (reader, world.member, world.outsider)}
    runner = CliRunner()
    result = runner.invoke(app.cli, ["search", "rebuild"], catch_exceptions=False)
    assert result.exit_code == 0 and "entries indexed" in result.output
    after = {user.id: found(user) for user in (reader, world.member, world.outsider)}
    assert after == before
    check = runner.invoke(app.cli, ["search", "check"], catch_exceptions=False)
    assert check.exit_code == 0, check.output
    assert "missing: 0" in check.output and "stale: 0" in check.output


def test_check_reports_an_index_that_lost_an_entry(world, app):
    """An entry removed behind the application's back is reported missing (exit code 1)."""
    document = add_text_document(world)
    service.backend().write([], [f"document:{document.id}"])
    result = CliRunner().invoke(app.cli, ["search", "check"])
    assert result.exit_code == 1
    assert f"document:{document.id}" in result.output


def db_outbox_empty() -> bool:
    from app.extensions import db

    return db.session.scalar(select(func.count(SearchOutbox.id))) == 0


def test_a_search_does_not_wait_behind_another_writer(world, reader, app):
    """While another writer holds the index (a long merge), a search answers within its wait."""
    import threading

    add_text_document(world)
    factories.make_org(f"Comité de las {WORD} del norte")  # waits in the outbox
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with app.app_context(), outbox.writer_lock() as taken:
            assert taken
            held.set()
            release.wait(30)

    writer = threading.Thread(target=hold)
    writer.start()
    held.wait(10)
    try:
        result = service.search(reader, WORD)  # gives up draining after 2 s, still answers
        assert result.error is None and result.results.total >= 1
        assert not db_outbox_empty()  # left for the writer
    finally:
        release.set()
        writer.join()
    assert len(found(reader)) == 2 and db_outbox_empty()  # the next search catches up


def test_an_index_of_an_older_layout_is_rebuilt_from_the_database(world, reader, app, tmp_path):
    """After an upgrade that changes the index's fields, the old index is emptied on opening
    and every row is queued again, so the next search finds what it found before."""
    from whoosh import fields
    from whoosh import index as whoosh_index

    document = add_text_document(world)
    old = tmp_path / "old-index"
    old.mkdir()
    whoosh_index.create_in(str(old), fields.Schema(key=fields.ID(stored=True)))
    app.config.update(SEARCH_BACKEND="whoosh", SEARCH_INDEX_DIR=str(old))
    app.extensions.pop("search_backend", None)
    service.backend()
    queued = set(_db_keys())
    assert f"document:{document.id}" in queued and f"organisation:{world.org.id}" in queued
    assert found(reader) == {f"document:{document.id}"}


def _db_keys() -> list[str]:
    from app.extensions import db

    return list(db.session.scalars(select(SearchOutbox.key)))
