"""Changes reach the index through an outbox written in the same transaction, drained by one writer.

A session hook notes every insert, change and delete of a searchable row (and of the rows its
audience or text depends on) and writes its key to ``search_outbox`` in the same flush, so
the change and the note of it are committed together or not at all. ``drain()`` then builds
the entries from the database as it is now and writes them to the backend, one writer at a
time; a crash before that loses nothing, the rows wait for the next drain.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app
from sqlalchemy import delete, event, func, insert, inspect, select, text
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import SearchOutbox
from app.search import registry
from app.search.base import Entry

log = logging.getLogger(__name__)

_PENDING = "search.pending"  # keys noted before the flush (changed and deleted rows)
_WROTE = "search.wrote"  # this transaction queued changes: wake the writer after commit
_LOCK = threading.Lock()  # one writer per process; a file or advisory lock across processes
BATCH = 200
# Called after a commit that queued changes (the library worker's wake-up), so the index
# follows within moments even when nobody searches.
WAKERS: list[Callable[[], Any]] = []


def _changed(obj: Any, ignore: tuple[str, ...] = ()) -> bool:
    state = inspect(obj)
    return any(attr.history.has_changes() for attr in state.attrs if attr.key not in ignore)


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Note the keys of changed and deleted rows while their ids and old links still exist."""
    if not registry.REGISTRY:
        return
    keys: set[str] = session.info.setdefault(_PENDING, set())
    with session.no_autoflush:
        for obj in list(session.dirty) + list(session.deleted):
            deleted = obj in session.deleted
            searchable = registry.by_model(type(obj))
            if searchable is not None and (deleted or _changed(obj, searchable.ignore)):
                keys.add(f"{searchable.kind}:{obj.id}")
            for follower, follow in registry.followers(type(obj)):
                state = inspect(obj)
                if deleted or any(state.attrs[a].history.has_changes() for a in follow.attributes):
                    ids = session.scalars(follow.ids(obj)).all()
                    keys.update(f"{follower.kind}:{i}" for i in ids)


@event.listens_for(Session, "after_flush")
def _write_outbox(session: Session, _context: Any) -> None:
    """Add the new rows' keys (they have ids now) and write every noted key to the outbox."""
    keys: set[str] = session.info.pop(_PENDING, set())
    for obj in session.new:
        searchable = registry.by_model(type(obj))
        if searchable is not None:
            keys.add(f"{searchable.kind}:{obj.id}")
    if keys:
        session.connection().execute(insert(SearchOutbox), [{"key": k} for k in sorted(keys)])
        session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _wake_writers(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        for wake in WAKERS:
            wake()


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_WROTE, None)


def queue(keys: list[str]) -> None:
    """Queue keys by hand (a rebuild, a repair); committed with the caller's transaction."""
    if keys:
        db.session.execute(insert(SearchOutbox), [{"key": k} for k in keys])


def lag() -> dict[str, Any]:
    """How many changes wait for the index, and since when (for /healthz)."""
    count, oldest = db.session.execute(
        select(func.count(SearchOutbox.id), func.min(SearchOutbox.queued_at))
    ).one()
    return {"waiting": count, "oldest": oldest.isoformat() if oldest else None}


def pending() -> bool:
    """True when some change has not reached the index yet (one indexed lookup)."""
    return db.session.scalar(select(SearchOutbox.id).limit(1)) is not None


def build(keys: list[str]) -> tuple[list[Entry], list[str]]:
    """The entries of these keys from the database as it is now, and the keys to remove."""
    entries: list[Entry] = []
    gone: list[str] = []
    by_kind: dict[str, list[int]] = {}
    for key in keys:
        kind, _, raw = key.partition(":")
        if kind in registry.REGISTRY and raw.isdigit():
            by_kind.setdefault(kind, []).append(int(raw))
        else:
            gone.append(key)  # a kind no longer searchable: its entries go
    for kind, ids in by_kind.items():
        searchable = registry.REGISTRY[kind]
        found = {obj.id: obj for obj in db.session.scalars(searchable.load(ids))}
        for obj_id in ids:
            entry = searchable.entry(found[obj_id]) if obj_id in found else None
            if entry is None:
                gone.append(f"{kind}:{obj_id}")
            else:
                entries.append(entry)
    return entries, gone


@contextmanager
def writer_lock(wait: float | None = None) -> Iterator[bool]:
    """Hold the one-writer lock: this process's, and the machine's or the database's.

    ``wait`` None waits as long as it takes; a number of seconds gives up after that and
    yields False (a search does not queue behind a long merge: the drainer holding the lock
    is already writing the same changes).
    """
    deadline = None if wait is None else time.monotonic() + wait
    if not _LOCK.acquire(timeout=-1 if wait is None else wait):
        yield False
        return
    try:
        if db.engine.dialect.name == "postgresql":
            # Several hosts: a session-level advisory lock in the database they share.
            with db.engine.connect() as conn:
                if not _poll(deadline, lambda: conn.execute(text(_PG_TRY)).scalar()):
                    yield False
                    return
                try:
                    yield True
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(7413)"))
                    conn.commit()
            return
        directory = current_app.config["SEARCH_INDEX_DIR"]
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "writer.lock"), "a+b") as handle:

            def take() -> bool:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
                return True

            # released when the file closes
            yield _poll(deadline, take)
    finally:
        _LOCK.release()


_PG_TRY = "SELECT pg_try_advisory_lock(7413)"


def _poll(deadline: float | None, take: Callable[[], bool]) -> bool:
    """Try to take a lock until it is taken or the deadline (None: no deadline) passes."""
    while not take():
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def drain(
    max_batches: int | None = None,
    progress: Callable[[int], Any] | None = None,
    wait: float | None = None,
) -> int:
    """Write waiting changes to the index, oldest first; the number of outbox rows handled.

    With ``wait``, gives up (0) when another writer holds the lock for longer than that.
    """
    from app.search.service import backend

    handled = 0
    with writer_lock(wait) as taken:
        if not taken:
            return 0
        batches = 0
        while max_batches is None or batches < max_batches:
            rows = db.session.execute(
                select(SearchOutbox.id, SearchOutbox.key).order_by(SearchOutbox.id).limit(BATCH)
            ).all()
            if not rows:
                break
            keys = list(dict.fromkeys(key for _, key in rows))
            entries, gone = build(keys)
            backend().write(entries, gone)
            handled_ids = [row_id for row_id, _ in rows]
            db.session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(handled_ids)))
            db.session.commit()
            handled += len(rows)
            batches += 1
            if progress is not None:
                progress(len(rows))
    return handled


def drain_quietly() -> None:
    """Drain after a commit; a failure is logged and the rows wait for the next drain."""
    try:
        drain()
    except Exception:  # the change is committed; the index catches up later
        db.session.rollback()
        log.exception("search index update failed; the changes stay in the outbox")
