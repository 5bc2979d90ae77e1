"""Revisions of a manifesto: checkpoints taken during activity, named ones, restoring one.

A revision holds the whole text, a SHA-256 of it and who wrote since the revision before
(read from the shared document's log, so a checkpoint is always taken before the log is
compacted). Nothing is ever destroyed: restoring an old revision is a new change.
"""

from __future__ import annotations

import hashlib
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


def after_store(document_id: int, seq: int, compacting: bool) -> None:
    """After a change to a manifesto's text: a checkpoint when one is due.

    Due after CHECKPOINT_AFTER of activity or CHECKPOINT_UPDATES changes, and always before
    the log is compacted (the authors of a revision are read from the log).
    """
    manifesto = db.session.scalar(select(Manifesto).where(Manifesto.document_id == document_id))
    if manifesto is None:
        return
    last = latest(manifesto)
    due = (
        compacting
        or last is None
        or seq - last.seq >= CHECKPOINT_UPDATES
        or utcnow() - last.created_at >= CHECKPOINT_AFTER
    )
    if due and (last is None or last.seq < seq):
        checkpoint(manifesto, RevisionKind.AUTOMATIC)


def restore(user: Any, manifesto: Manifesto, revision: ManifestoRevision) -> ManifestoRevision:
    """Bring an old revision back as a new change, recorded as a revision of its own."""
    services.replace_text(user, manifesto, revision.text)
    return checkpoint(manifesto, RevisionKind.RESTORED, name=str(revision.number), user=user)


hosts.AFTER_STORE.append(after_store)
