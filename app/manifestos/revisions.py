"""Revisions of a manifesto: checkpoints taken during activity, named ones, restoring one.

A revision holds the whole text, a SHA-256 of it and who wrote since the revision before
(read from the shared document's log, so a checkpoint is always taken before the log is
compacted). Nothing is ever destroyed: restoring an old revision is a new change.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.collab import hosts, store
from app.db import atomic
from app.extensions import db
from app.manifestos import services
from app.markup import render_markdown
from app.models import CollabUpdate, Manifesto, ManifestoRevision, RevisionKind, User, utcnow

CHECKPOINT_AFTER = timedelta(minutes=10)  # of activity since the last revision
CHECKPOINT_UPDATES = 300  # stored changes since the last revision
NAME_CHARS = 120


def content_hash(text: str) -> str:
    """The SHA-256 of a text (what an endorsement is bound to)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def latest(manifesto: Manifesto) -> ManifestoRevision | None:
    """The newest revision (None before the first)."""
    return db.session.scalar(
        select(ManifestoRevision)
        .where(ManifestoRevision.manifesto_id == manifesto.id)
        .order_by(ManifestoRevision.number.desc())
        .limit(1)
    )


def all_of(manifesto: Manifesto) -> list[ManifestoRevision]:
    """Every revision, newest first."""
    return list(
        db.session.scalars(
            select(ManifestoRevision)
            .where(ManifestoRevision.manifesto_id == manifesto.id)
            .order_by(ManifestoRevision.number.desc())
        )
    )


def get(manifesto: Manifesto, number: int) -> ManifestoRevision | None:
    """Revision number n of this manifesto."""
    return db.session.scalar(
        select(ManifestoRevision).where(
            ManifestoRevision.manifesto_id == manifesto.id, ManifestoRevision.number == number
        )
    )


def current(manifesto: Manifesto, user: Any = None) -> ManifestoRevision:
    """A revision holding exactly the current text (the latest, or a new checkpoint)."""
    text, _seq = services.text(manifesto)
    last = latest(manifesto)
    if last is not None and last.content_hash == content_hash(text):
        return last
    return checkpoint(manifesto, RevisionKind.AUTOMATIC, user=user)


def checkpoint(
    manifesto: Manifesto, kind: RevisionKind, name: str = "", user: Any = None
) -> ManifestoRevision:
    """A new revision of the current text, numbered after the latest."""
    for _attempt in range(3):  # two checkpoints at once: one takes the number, one retries
        text, seq = services.text(manifesto)
        last = latest(manifesto)
        try:
            with atomic():
                revision = ManifestoRevision(
                    manifesto_id=manifesto.id,
                    number=(last.number if last else 0) + 1,
                    seq=seq,
                    kind=kind,
                    name=name.strip()[:NAME_CHARS],
                    text=text,
                    html=str(render_markdown(text, limit=store.MAX_CHARS)),
                    content_hash=content_hash(text),
                    author_ids=_authors(manifesto, last.seq if last else 0, seq),
                    created_by_id=getattr(user, "id", None),
                )
                db.session.add(revision)
            _latest[manifesto.id] = (revision.seq, revision.created_at, time.monotonic())
            return revision
        except IntegrityError:
            db.session.rollback()
    raise RuntimeError("could not number a revision")


def _authors(manifesto: Manifesto, after: int, upto: int) -> list[int]:
    """Who stored changes in (after, upto], in the order they first wrote."""
    rows = db.session.execute(
        select(CollabUpdate.user_id, func.min(CollabUpdate.seq))
        .where(
            CollabUpdate.document_id == manifesto.document_id,
            CollabUpdate.seq > after,
            CollabUpdate.seq <= upto,
            CollabUpdate.user_id.is_not(None),
        )
        .group_by(CollabUpdate.user_id)
        .order_by(func.min(CollabUpdate.seq))
    )
    return [user_id for user_id, _first in rows]


def author_names(revisions: list[ManifestoRevision]) -> dict[int, str]:
    """Names of every author of these revisions (one query)."""
    ids = {i for revision in revisions for i in revision.author_ids or []}
    if not ids:
        return {}
    return dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )


# Per process, so a change (many a second while people type) costs no query here: which
# manifesto a shared document belongs to (never changes), and its latest revision's number
# in the log and date, re-read every LATEST_TTL seconds (other processes take some too).
LATEST_TTL = 30.0
_owners: dict[int, int | None] = {}
_latest: dict[int, tuple[int, Any, float]] = {}


def _owner(document_id: int) -> int | None:
    if document_id not in _owners:
        _owners[document_id] = db.session.scalar(
            select(Manifesto.id).where(Manifesto.document_id == document_id)
        )
    return _owners[document_id]


def _last_seen(manifesto_id: int) -> tuple[int, Any] | None:
    cached = _latest.get(manifesto_id)
    if cached is None or time.monotonic() - cached[2] > LATEST_TTL:
        row = db.session.execute(
            select(ManifestoRevision.seq, ManifestoRevision.created_at)
            .where(ManifestoRevision.manifesto_id == manifesto_id)
            .order_by(ManifestoRevision.number.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        cached = _latest[manifesto_id] = (row[0], row[1], time.monotonic())
    return cached[0], cached[1]


def after_store(document_id: int, seq: int, compacting: bool) -> None:
    """After a change to a manifesto's text: a checkpoint when one is due.

    Due after CHECKPOINT_AFTER of activity or CHECKPOINT_UPDATES changes, and always before
    the log is compacted (the authors of a revision are read from the log).
    """
    manifesto_id = _owner(document_id)
    if manifesto_id is None:
        return
    last = _last_seen(manifesto_id)
    due = (
        compacting
        or last is None
        or seq - last[0] >= CHECKPOINT_UPDATES
        or utcnow() - last[1] >= CHECKPOINT_AFTER
    )
    if due and (last is None or last[0] < seq):
        checkpoint(db.session.get(Manifesto, manifesto_id), RevisionKind.AUTOMATIC)


def restore(user: Any, manifesto: Manifesto, revision: ManifestoRevision) -> ManifestoRevision:
    """Bring an old revision back as a new change, recorded as a revision of its own."""
    services.replace_text(user, manifesto, revision.text)
    return checkpoint(manifesto, RevisionKind.RESTORED, name=str(revision.number), user=user)


hosts.AFTER_STORE.append(after_store)
store.FORGET_HOOKS += [_owners.clear, _latest.clear]
