"""Collaborative documents (app/collab/): a Yjs document as an append-only log of updates.

A document knows nothing of what it holds (a manifesto, a translation): its owner points to
it. Every update is stored before it is relayed; the log is folded into a snapshot now and
then (compaction), so loading a document reads one snapshot and a short tail of updates.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class CollabDocument(Base):
    """One shared Yjs document: its newest sequence number and its latest snapshot."""

    __tablename__ = "collab_documents"
    # Never reuse the id of a deleted document: live copies in memory are keyed by it.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The sequence number of the newest stored update: taken by ``last_seq = last_seq + 1``,
    # which holds the row until commit, so numbers have no gaps even across processes.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    # The whole document as one v1 update, covering every update up to snapshot_seq.
    snapshot: Mapped[bytes] = deferred(mapped_column(LargeBinary, default=b"", nullable=False))
    snapshot_seq: Mapped[int] = mapped_column(Integer, default=0)
    # Bytes stored for this document (snapshot and log): bounded (collab/store.py).
    stored_bytes: Mapped[int] = mapped_column(Integer, default=0)


class CollabUpdate(Base):
    """One Yjs v1 update as a client sent it (validated), in the order it was stored."""

    __tablename__ = "collab_updates"
    __table_args__ = (UniqueConstraint("document_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("collab_documents.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CollabPresence(Base):
    """A live connection editing (or reading) a document: so it can be cut off at once."""

    __tablename__ = "collab_presence"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("collab_documents.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # the owner's kind ("manifesto")
    owner_id: Mapped[int] = mapped_column(Integer)  # the owner's id
