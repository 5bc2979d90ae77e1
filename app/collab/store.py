"""Shared documents in the database and in memory: the update log, snapshots, live copies.

Each process keeps a live pycrdt document per open shared document (a few dozen at most,
least recently used dropped), with the sequence number of the last stored update it holds.
Before a live copy answers anything it catches up from the log, so several processes (or
hosts) serving the same document agree: the database is the truth, the copies follow it.

Socket.IO events run on several threads: a live copy is only touched under its own lock, and
its pycrdt document is created with ``allow_multithreading`` (pycrdt otherwise refuses a
document used from a thread other than its creator's).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import pycrdt
from sqlalchemy import Insert, Update, bindparam, delete, func, insert, select, update

from app.extensions import db
from app.models import CollabDocument, CollabUpdate

ROOT = "text"  # the one shared text of a document (what the editor binds to)
MAX_UPDATE_BYTES = 256 * 1024  # one update: a long paste fits, a flood does not
MAX_CHARS = 100_000  # characters of text a document may hold (a manifesto is a few pages)
MAX_STORED_BYTES = 32 * 1024 * 1024  # snapshot and log together, per document
COMPACT_AFTER = 500  # updates in the log after the snapshot before it is folded in
CACHED = 32  # live documents kept per process


@dataclass(frozen=True)
class Relay:
    """Where a stored change is sent: the name followers know the document by."""

    name: str  # "<kind>:<owner id>", as in the events (hosts.parse)
    skip_sid: str | None = None  # the sender's connection: it has the change already


@dataclass
class Waiting:
    """A checked change waiting for its turn to be applied and stored (services.apply)."""

    user_id: int | None
    data: bytes
    relay: Relay | None = None  # to whom the change goes once stored (None: nobody)
    done: bool = False  # stored or refused (then ``woken`` is set)
    # Set when the change is done, or when its thread should try to store the next turn.
    woken: threading.Event = field(default_factory=threading.Event)
    seq: int = 0  # once stored
    refusal: str | None = None  # "too_long" or "refused": the sender's thread says why
    error: BaseException | None = None  # the store failed


@dataclass
class Live:
    """A document in memory: its pycrdt copy and how far into the log it has read."""

    document_id: int
    doc: pycrdt.Doc
    seq: int = 0
    snapshot_seq: int = 0  # as last read: the log's length is seq - snapshot_seq
    stored_bytes: int = 0  # as last read, plus what this process stored since
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Changes sent meanwhile, stored together in the next turn (one commit) by whoever takes
    # turn_lock (services.apply); held only by a thread storing a turn.
    waiting: list[Waiting] = field(default_factory=list)
    waiting_lock: threading.Lock = field(default_factory=threading.Lock)
    turn_lock: threading.Lock = field(default_factory=threading.Lock)
    # The owners' hooks after a store (checkpoints), one thread at a time, outside `lock`.
    after_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def text(self) -> pycrdt.Text:
        """The shared text (the root the editor binds to)."""
        return self.doc.get(ROOT, type=pycrdt.Text)


_cache: OrderedDict[int, Live] = OrderedDict()
# Called when every live copy is dropped: owners' own per-document memories go with them.
FORGET_HOOKS: list = []
_cache_lock = threading.Lock()


def create() -> CollabDocument:
    """A new empty shared document (flushed, so its id is known; committed by the caller)."""
    document = CollabDocument(last_seq=0, snapshot=b"", snapshot_seq=0, stored_bytes=0)
    db.session.add(document)
    db.session.flush()
    return document


def live(document_id: int) -> Live:
    """This process's live copy of a document (not yet caught up: see catch_up)."""
    with _cache_lock:
        found = _cache.get(document_id)
        if found is not None:
            _cache.move_to_end(document_id)
            return found
        found = _cache[document_id] = Live(document_id, pycrdt.Doc(allow_multithreading=True))
        while len(_cache) > CACHED:
            _cache.popitem(last=False)
        return found


def forget(document_id: int | None = None) -> None:
    """Drop live copies (one, or all): the next use reads the database again."""
    with _cache_lock:
        if document_id is None:
            _cache.clear()
            for hook in FORGET_HOOKS:
                hook()
        else:
            _cache.pop(document_id, None)


def reset(copy: Live) -> None:
    """Empty a live copy (under copy.lock): its next catch_up reads everything again.

    Used when the copy took a change that was then not stored; threads already holding this
    copy see the reset too (dropping it from the cache alone would not reach them).
    """
    copy.doc, copy.seq, copy.snapshot_seq = pycrdt.Doc(allow_multithreading=True), 0, 0


def catch_up(copy: Live) -> None:
    """Apply what the log holds beyond what this copy has read (call under copy.lock)."""
    row = db.session.execute(
        select(
            CollabDocument.snapshot_seq, CollabDocument.last_seq, CollabDocument.stored_bytes
        ).where(CollabDocument.id == copy.document_id)
    ).one()
    snapshot_seq, last_seq, copy.stored_bytes = row
    copy.snapshot_seq = max(copy.snapshot_seq, snapshot_seq)
    if last_seq < copy.seq:  # a copy of something else (never, as ids are not reused): reload
        reset(copy)
    if last_seq <= copy.seq:
        return
    if snapshot_seq > copy.seq:  # the log before snapshot_seq is gone: start from the snapshot
        snapshot = db.session.scalar(
            select(CollabDocument.snapshot).where(CollabDocument.id == copy.document_id)
        )
        if snapshot:
            copy.doc.apply_update(snapshot)
        copy.seq = snapshot_seq
    rows = db.session.execute(
        select(CollabUpdate.seq, CollabUpdate.data)
        .where(CollabUpdate.document_id == copy.document_id, CollabUpdate.seq > copy.seq)
        .order_by(CollabUpdate.seq)
    )
    for seq, data in rows:
        copy.doc.apply_update(data)
        copy.seq = seq


def append(document_id: int, changes: list[tuple[int | None, bytes]]) -> list[int]:
    """Store validated updates, (author id, update) each, at the end of the log; their numbers.

    ``last_seq + n`` in one UPDATE: the row stays locked until commit, so two writers (even
    in two processes) get consecutive numbers, never the same ones, never a gap.
    """
    numbering, storing = _append_statements()
    last = db.session.execute(
        numbering,
        {"doc": document_id, "count": len(changes), "size": sum(len(d) for _, d in changes)},
    ).scalar_one()
    seqs = list(range(last - len(changes) + 1, last + 1))
    db.session.execute(
        storing,
        [
            {"document_id": document_id, "seq": seq, "data": data, "user_id": user_id}
            for seq, (user_id, data) in zip(seqs, changes, strict=True)
        ],
    )
    return seqs


@functools.cache
def _append_statements() -> tuple[Update, Insert]:
    """Built once, on the tables (no ORM bookkeeping): every keystroke is stored with them."""
    documents = CollabDocument.__table__
    numbering = (
        update(documents)
        .where(documents.c.id == bindparam("doc"))
        .values(
            last_seq=documents.c.last_seq + bindparam("count"),
            stored_bytes=documents.c.stored_bytes + bindparam("size"),
        )
        .returning(documents.c.last_seq)
    )
    return numbering, insert(CollabUpdate.__table__)


def compact(copy: Live) -> None:
    """Fold the log into a snapshot (call under copy.lock, caught up; the caller commits).

    The snapshot is the whole document as one update at copy.seq; the updates it covers go.
    An update stored meanwhile by another process has a higher number and stays in the log.
    """
    snapshot = copy.doc.get_update()
    db.session.execute(
        delete(CollabUpdate).where(
            CollabUpdate.document_id == copy.document_id, CollabUpdate.seq <= copy.seq
        )
    )
    rest = db.session.scalar(
        select(func.coalesce(func.sum(func.length(CollabUpdate.data)), 0)).where(
            CollabUpdate.document_id == copy.document_id
        )
    )
    db.session.execute(
        update(CollabDocument)
        .where(CollabDocument.id == copy.document_id, CollabDocument.snapshot_seq < copy.seq)
        .values(snapshot=snapshot, snapshot_seq=copy.seq, stored_bytes=len(snapshot) + rest)
    )
    copy.snapshot_seq, copy.stored_bytes = copy.seq, len(snapshot) + rest
