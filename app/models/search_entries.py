"""Search tables: the outbox of changes waiting for the index, and the PostgreSQL index itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

# The audience tokens and the text-search document only mean something on PostgreSQL; on
# SQLite (embedded mode, where Whoosh keeps the index) the table still creates and stays empty.
TOKENS_TYPE = Text().with_variant(ARRAY(Text()), "postgresql")
DOCUMENT_TYPE = Text().with_variant(TSVECTOR(), "postgresql")


class SearchEntry(Base):
    """One entry of the PostgreSQL search index (written by app.search.postgres_backend only)."""

    __tablename__ = "search_entries"
    __table_args__ = (
        # GIN: the permission overlap (tokens && reader) and the text match (document @@ query)
        # are both answered from the index; elsewhere these are plain, unused indexes.
        Index("ix_search_entries_tokens", "tokens", postgresql_using="gin"),
        Index("ix_search_entries_document", "document", postgresql_using="gin"),
    )

    key: Mapped[str] = mapped_column(String(80), primary_key=True)  # "document:12"
    kind: Mapped[str] = mapped_column(String(20))
    obj_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")  # the first BODY_CAP characters
    language: Mapped[str] = mapped_column(String(8), default="")
    # Folded tags, each between "\x1f" separators ("\x1fsalud\x1fmar\x1f"), so that a tag
    # matches by containment of "\x1f" + tag + "\x1f" on any database.
    tags: Mapped[str] = mapped_column(Text, default="")
    # No foreign key: the index follows the organisations, it never holds them back.
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    organisation: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(16), default="")
    date: Mapped[datetime] = mapped_column(index=True)
    year: Mapped[int] = mapped_column(Integer)
    tokens: Mapped[list[str]] = mapped_column(TOKENS_TYPE)
    fingerprint: Mapped[str] = mapped_column(String(16))
    document: Mapped[str] = mapped_column(DOCUMENT_TYPE)


class SearchOutbox(Base):
    """A change waiting to reach the search index, written in the same transaction as the change.

    One writer drains it (search/outbox.py); a crash between commit and indexing loses nothing:
    the row is still here and the next drain, at start or at the next search, picks it up.
    """

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), index=True)  # "document:12"
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
