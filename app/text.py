"""Small text rules shared by the features: slugs for addresses, web links."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import select

from app.extensions import db


def slugify(name: str, fallback: str = "item") -> str:
    """A readable ASCII slug for URLs (the name itself stays in any script)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60]
    return slug or fallback


def unique_slug(column: Any, name: str, fallback: str = "item") -> str:
    """A slug for name not yet used in column (``name``, ``name-2``, ``name-3``...)."""
    base = slugify(name, fallback)
    escaped = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    taken = set(db.session.scalars(select(column).where(column.like(f"{escaped}%", escape="\\"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def web_url(value: str | None, limit: int = 500) -> str:
    """The address if it is an http(s) link, else "".

    A javascript: or data: link would be a trap for readers.
    """
    value = (value or "").strip()
    return value[:limit] if value.lower().startswith(("https://", "http://")) else ""
