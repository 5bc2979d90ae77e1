"""What a shared document belongs to: each owner kind registers how to find and check it.

The collaborative layer knows nothing of manifestos or translations: an owner (a manifesto,
a translation) registers a Host saying how to load it by id, which audience may read it (the
policy's own Audience, app/permissions/) and who may write. Socket events name a document
as ``"<kind>:<id>"`` of its owner, never by the collab document's own id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.permissions.audience import Audience


@dataclass(frozen=True)
class Host:
    """One kind of owner of shared documents."""

    kind: str
    find: Callable[[int], Any | None]  # the owner by id (None: no such owner)
    audience: Audience  # who may read (and follow live): the policy's statement
    can_write: Callable[[Any, Any], bool]  # (user, owner) -> may change the text
    document_id: Callable[[Any], int]  # the owner's CollabDocument id


HOSTS: dict[str, Host] = {}
# Called after each stored change: (document id, its sequence number, whether the log is
# about to be compacted). An owner keeps what it needs from the log here (e.g. revisions).
AFTER_STORE: list[Callable[[int, int, bool], None]] = []


def register(host: Host) -> Host:
    """Make a kind of owner known (at import of the owner's package)."""
    HOSTS[host.kind] = host
    return host


def parse(name: Any) -> tuple[Host, int] | None:
    """The host and owner id of ``"<kind>:<id>"`` (None if malformed or unknown)."""
    if not isinstance(name, str) or len(name) > 40:
        return None
    kind, _, ident = name.partition(":")
    host = HOSTS.get(kind)
    if host is None or not ident.isdigit() or len(ident) > 12:
        return None
    return host, int(ident)


def channel(document_id: int) -> str:
    """The Socket.IO channel of a document's live updates and awareness."""
    return f"live:collab:{document_id}"
