"""Comments on passages of a manifesto: anchored, threaded, resolvable, beside the text.

Threads are shown in the order of the passages they point to. An anchor is a Yjs relative
position (v1 encoding, as ``Y.encodeRelativePosition`` makes it): it names the character
the passage starts at, not an offset, so it moves with every edit made before it, on any
client. Without a script, the passage is given as its words and the server anchors the
comment where they are found.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.collab import positions, store
from app.db import atomic
from app.errors import ServiceError
from app.extensions import db
from app.manifestos.translations import paragraphs
from app.markup import render_markdown
from app.models import Manifesto, ManifestoComment, utcnow
from app.permissions import can_comment_manifesto

BODY_CHARS = 2_000
QUOTE_CHARS = 300
MAX_COMMENTS = 500  # per manifesto (answers included): every page view places them all


@dataclass
class Placed:
    """A comment with its replies and where its passage is now (None: the passage is gone)."""

    comment: ManifestoComment
    replies: list[ManifestoComment] = field(default_factory=list)
    paragraph: int | None = None  # 1, 2, 3... in the current text
    context: str = ""  # the words at the anchor now


def _check(user: Any, manifesto: Manifesto) -> None:
    if not can_comment_manifesto(user, manifesto):
        raise ServiceError("forbidden", _("You cannot comment on this manifesto."))


def add(
    user: Any,
    manifesto: Manifesto,
    body: str,
    quote: str = "",
    anchor: bytes | None = None,
    parent: ManifestoComment | None = None,
) -> ManifestoComment:
    """A new comment on a passage (anchored by the editor or by its quote), or a reply."""
    _check(user, manifesto)
    body = body.strip()[:BODY_CHARS]
    if not body:
        raise ServiceError("empty", _("Please write a comment."))
    if parent is not None:
        if parent.manifesto_id != manifesto.id or parent.parent_id is not None:
            raise ServiceError("not_found", _("This comment does not exist any more."))
        anchor, quote = None, ""
    else:
        anchor, quote = _anchor(manifesto, anchor, quote.strip()[:QUOTE_CHARS])
    with atomic():
        if _count(manifesto) >= MAX_COMMENTS:
            raise ServiceError(
                "full",
                _("This manifesto has %(num)d comments, the most it can hold.", num=MAX_COMMENTS),
            )
        comment = ManifestoComment(
            manifesto_id=manifesto.id,
            parent_id=parent.id if parent else None,
            author_id=user.id,
            body=body,
            body_html=str(render_markdown(body)),
            anchor=anchor,
            quote=quote,
        )
        db.session.add(comment)
    return comment


def _count(manifesto: Manifesto) -> int:
    return db.session.scalar(
        select(func.count(ManifestoComment.id)).where(ManifestoComment.manifesto_id == manifesto.id)
    )


def _anchor(manifesto: Manifesto, anchor: bytes | None, quote: str) -> tuple[bytes, str]:
    """A checked anchor and its quote: the editor's relative position, or the quote found."""
    text, state, _version = _current(manifesto)
    if anchor is not None:
        at = positions.indexes(state, text, [anchor])[anchor]
        if at is None or at >= len(text):
            raise ServiceError("bad_anchor", _("This passage could not be found."))
        return anchor, quote or _words_at(text, at)
    if not quote:
        raise ServiceError("no_passage", _("Copy the words of the passage you comment on."))
    found = text.find(quote)
    if found < 0:
        raise ServiceError("bad_anchor", _("This passage could not be found."))
    return positions.encode(state, text, found), quote


def _current(manifesto: Manifesto) -> tuple[str, bytes, int]:
    """The manifesto's text now, its whole document as an update, and its version."""
    copy = store.live(manifesto.document_id)
    with copy.lock:
        store.catch_up(copy)
        return str(copy.text), copy.doc.get_update(), copy.seq


def _places(manifesto: Manifesto, anchors: list[bytes]) -> tuple[str, dict[bytes, int | None]]:
    """The text now and where each anchor is in it (kept until the text changes)."""
    text, state, version = _current(manifesto)
    kept_version, places = _placed.get(manifesto.document_id, (None, {}))
    if kept_version != version:
        places = {}
    missing = [anchor for anchor in anchors if anchor not in places]
    if missing:
        places = {**places, **positions.indexes(state, text, missing)}
        _placed[manifesto.document_id] = (version, places)
    return text, places


# Where anchors are, per document and version: reading one costs a scratch copy of the
# document (positions.indexes), so pages shown between two edits do not pay it again.
_placed: dict[int, tuple[int, dict[bytes, int | None]]] = {}
store.FORGET_HOOKS.append(_placed.clear)


def _words_at(text: str, at: int, width: int = 80) -> str:
    return " ".join(text[at : at + width].split())


def set_resolved(user: Any, comment: ManifestoComment, resolved: bool) -> None:
    """Mark a thread resolved (or open it again)."""
    _check(user, comment.manifesto)
    with atomic():
        comment.resolved_at = utcnow() if resolved else None
        comment.resolved_by_id = user.id if resolved else None


def placed(manifesto: Manifesto) -> list[Placed]:
    """The threads in the order of their passages in the current text, then the unplaced."""
    rows = list(
        db.session.scalars(
            select(ManifestoComment)
            .where(ManifestoComment.manifesto_id == manifesto.id)
            .order_by(ManifestoComment.id)
            .limit(MAX_COMMENTS)
        )
    )
    threads = {c.id: Placed(c) for c in rows if c.parent_id is None}
    for comment in rows:
        if comment.parent_id in threads:
            threads[comment.parent_id].replies.append(comment)
    text, places = _places(
        manifesto, [t.comment.anchor for t in threads.values() if t.comment.anchor]
    )
    starts = _paragraph_starts(text)
    for thread in threads.values():
        at = places.get(thread.comment.anchor) if thread.comment.anchor else None
        if at is not None and at < len(text):
            thread.paragraph = bisect_right(starts, at) or 1
            thread.context = _words_at(text, at)
    return sorted(
        threads.values(),
        key=lambda t: (t.paragraph is None, t.paragraph or 0, t.comment.id),
    )


def _paragraph_starts(text: str) -> list[int]:
    """Where each paragraph begins (the same cutting as translations use)."""
    starts, at = [], 0
    for paragraph in paragraphs(text):
        found = text.find(paragraph, at)
        if found < 0:
            break
        starts.append(found)
        at = found + len(paragraph)
    return starts
