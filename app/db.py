"""The unit of work: ``atomic()`` blocks that compose, and ``on_commit()`` for side effects.

Services change state inside ``with atomic():``. Only the outermost block commits, so a
service that calls other services commits once, and all or nothing is kept. Socket emits,
mail and search updates are queued with ``on_commit(fn)``: they run after the outermost
commit succeeded and are dropped when the work is rolled back, so nobody is told of a
change that was not stored (Django's transaction.on_commit, Zulip's send_event_on_commit).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)

_DEPTH = "uow.depth"  # how many atomic() blocks are open on this session
_CALLBACKS = "uow.on_commit"  # functions waiting for the outermost commit
_DOOMED = "uow.doomed"  # an inner block failed: the outermost must not commit
_COMMITTING = "uow.committing"  # the outermost block is committing (not a stray commit)


class InnerBlockFailed(RuntimeError):
    """An inner atomic() block failed and its error was swallowed: nothing is committed."""


@contextmanager
def atomic() -> Iterator[Session]:
    """Run a block as one unit of work; nested blocks join the outermost one."""
    session = db.session()
    info = session.info
    depth = info.get(_DEPTH, 0)
    info[_DEPTH] = depth + 1
    try:
        yield session
    except BaseException:
        info[_DEPTH] = depth
        _abandon(session, doomed=depth > 0)
        raise
    info[_DEPTH] = depth
    if depth > 0:
        return
    if info.pop(_DOOMED, False):
        _abandon(session, doomed=False)
        raise InnerBlockFailed("an inner unit of work failed; everything was rolled back")
    info[_COMMITTING] = True
    try:
        session.commit()
    except BaseException:
        _abandon(session, doomed=False)
        raise
    finally:
        info.pop(_COMMITTING, None)
    _run(info.pop(_CALLBACKS, []))


def on_commit(fn: Callable[[], object]) -> None:
    """Run fn after the current unit of work is committed (never if it is rolled back)."""
    info = db.session().info
    if not info.get(_DEPTH):
        raise RuntimeError("on_commit() needs an open atomic() block")
    info.setdefault(_CALLBACKS, []).append(fn)


def holds_work(session: Session) -> bool:
    """Whether ending the session's transaction now would lose work (not only reads)."""
    return bool(session.info.get(_DEPTH) or session.new or session.dirty or session.deleted)


def claim(statement) -> bool:
    """Run a conditional UPDATE and say whether it changed a row.

    Consuming something single-use (an invitation, a reset link, a pending request) is one
    ``UPDATE ... WHERE <still unused>``: of two people at the same moment only one changes the
    row, on SQLite and PostgreSQL alike, so only one gets through.
    """
    return db.session.execute(statement).rowcount == 1


def lock_row(model: type, row_id: int) -> None:
    """Hold a row's write lock until the unit of work ends (count-then-write in one go).

    PostgreSQL takes a row lock with SELECT ... FOR UPDATE; SQLite has no row locks, so a
    no-op UPDATE takes the database's write lock now rather than at the first real write,
    and a second writer waits for the commit instead of counting stale rows.
    """
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(table.c.id).where(table.c.id == row_id).with_for_update())
    else:
        db.session.execute(update(table).where(table.c.id == row_id).values(id=table.c.id))


def in_atomic() -> bool:
    """Whether an atomic() block is open on the current session."""
    return bool(db.session().info.get(_DEPTH))


def _abandon(session: Session, doomed: bool) -> None:
    session.rollback()
    session.info.pop(_CALLBACKS, None)
    if doomed:
        session.info[_DOOMED] = True
    else:
        session.info.pop(_DOOMED, None)


def _run(callbacks: list[Callable[[], object]]) -> None:
    # The change is stored: a failing side effect (a socket emit, an SMTP server) is logged
    # and must not stop the others, nor turn a saved change into an error page.
    for fn in callbacks:
        try:
            fn()
        except Exception:
            log.exception("after-commit work failed: %r", fn)


@event.listens_for(Session, "before_commit")
def _refuse_stray_commits(session: Session) -> None:
    """A commit inside atomic() would break the all-or-nothing promise: refuse it."""
    if session.info.get(_DEPTH) and not session.info.get(_COMMITTING):
        raise RuntimeError("commit() inside atomic(): let the outermost block commit")
