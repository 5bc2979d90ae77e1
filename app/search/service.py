"""Searching as a person: their tokens, the backend of this deployment, hits they may open."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import insert, select

from app.extensions import db
from app.models import Organisation, SearchOutbox
from app.permissions import ORGANISATION, principals
from app.search import outbox, registry
from app.search.base import Backend, Filters, Request, Results, fingerprint
from app.search.query import QueryError, parse

PER_PAGE = 20
MAX_PAGE = 50  # deep pages cost the engine more and no person reads them; filters do better


def backend() -> Backend:
    """This application's search backend (Whoosh embedded, PostgreSQL when scaled)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("search_backend")
    if found is None:
        if app.config.get("SEARCH_BACKEND", "whoosh") == "postgres":
            from app.search.postgres_backend import PostgresBackend

            found = PostgresBackend()
        else:
            from app.search.whoosh_backend import WhooshBackend

            found = WhooshBackend(app.config["SEARCH_INDEX_DIR"])
            if found.take_replaced():
                _queue_everything()
        app.extensions["search_backend"] = found
    return found


def _queue_everything() -> None:
    """Queue every searchable row (an index of an older layout was emptied on opening).

    In a transaction of its own: the caller's session may be half-way through its work.
    """
    with db.engine.begin() as connection:
        for searchable in registry.REGISTRY.values():
            ids = list(connection.scalars(select(searchable.model.id)))
            for start in range(0, len(ids), 1000):
                keys = [f"{searchable.kind}:{i}" for i in ids[start : start + 1000]]
                connection.execute(insert(SearchOutbox), [{"key": key} for key in keys])


@dataclass
class Found:
    """A results page as a template shows it: hits with their links and labels, or why none."""

    query: str
    results: Results | None
    error: str | None = None  # a QueryError code, shown translated
    organisations: dict[str, str] = field(default_factory=dict)  # facet value -> name


def search(
    user: Any,
    text: str,
    filters: Filters | None = None,
    sort: str = "relevance",
    page: int = 1,
) -> Found:
    """Search what this person may see; a changed permission or text counts at once."""
    try:
        query = parse(text)
    except QueryError as error:
        return Found(text, None, error=error.code)
    if outbox.pending():
        # Changes committed a moment ago (a document made private, a message deleted) reach
        # the index before anyone searches it; a search waits 2 s at most for another writer
        # (which is writing those same changes), never behind a long merge.
        outbox.drain(max_batches=10, wait=2.0)
    request = Request(
        query=query,
        tokens=principals(user).tokens,
        filters=filters or Filters(),
        sort=sort if sort in ("relevance", "date") else "relevance",
        page=max(1, min(page, MAX_PAGE)),
        per_page=PER_PAGE,
    )
    results = backend().search(request)
    return Found(
        text,
        results,
        organisations=organisation_names(user, results),
    )


def organisation_names(user: Any, results: Results) -> dict[str, str]:
    """Names for the organisation facet and the hits, of organisations the reader may see."""
    ids = {int(v) for v, _ in results.facets.get("organisation", []) if v.isdigit()}
    ids |= {hit.organisation_id for hit in results.hits if hit.organisation_id}
    if not ids:
        return {}
    rows = db.session.execute(
        select(Organisation.id, Organisation.name).where(
            Organisation.id.in_(ids), ORGANISATION.where(user)
        )
    )
    return {str(org_id): name for org_id, name in rows}


def rebuild(progress: Any = None, started: Any = None) -> int:
    """Empty the index and index every searchable row again; the number of rows queued.

    The rows go through the outbox like any change, so a rebuild cut short resumes on the
    next drain, and changes made meanwhile are not lost.
    """
    backend().clear()
    total = 0
    for searchable in registry.REGISTRY.values():
        ids = list(db.session.scalars(select(searchable.model.id)))
        outbox.queue([f"{searchable.kind}:{i}" for i in ids])
        total += len(ids)
    db.session.commit()
    if started is not None:
        started(outbox.lag()["waiting"])
    outbox.drain(progress=progress)
    return total


def check() -> dict[str, list[str]]:
    """Compare the index with the database: missing, stale and orphaned keys."""
    indexed = backend().keys()
    missing: list[str] = []
    stale: list[str] = []
    expected: set[str] = set()
    for searchable in registry.REGISTRY.values():
        ids = list(db.session.scalars(select(searchable.model.id)))
        for start in range(0, len(ids), 500):
            keys = [f"{searchable.kind}:{i}" for i in ids[start : start + 500]]
            entries, _gone = outbox.build(keys)
            for entry in entries:
                expected.add(entry.key)
                if entry.key not in indexed:
                    missing.append(entry.key)
                elif indexed[entry.key] != fingerprint(entry):
                    stale.append(entry.key)
    orphaned = sorted(set(indexed) - expected)
    return {"missing": sorted(missing), "stale": sorted(stale), "orphaned": orphaned}
