"""Search obeys the one policy: in random worlds, for every person, search returns exactly the
entries the per-object checks allow (and the product's rules, tests/test_policy_property.py),
and counts and facets count nothing else. Runs on the Whoosh backend, and on PostgreSQL's
when the suite runs against PostgreSQL (TestConfig picks the backend from the database).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Document, DocumentVisibility, ExtractionStatus, StoredFile, utcnow
from app.permissions import principals
from app.search import outbox, registry, service
from app.search.base import Filters, Request, Word
from tests.test_policy_property import Oracle, Spec, _Anonymous, build, specs

DOC_VISIBILITY = list(DocumentVisibility)


def add_documents(world: dict, docs: list[tuple[int, DocumentVisibility, bool]]) -> list[Document]:
    """Documents owned by the world's organisations, some in the bin, all saying "caravana"."""
    stored = StoredFile(sha256="0" * 64, size=1, kind="txt", storage_name="a" * 40,
                        status=ExtractionStatus.INDEXED, text="caravana de madres")  # fmt: skip
    db.session.add(stored)
    made = []
    for i, (org, visibility, binned) in enumerate(docs):
        document = Document(
            title=f"Documento {i}", language="es", organisation=world["orgs"][org],
            visibility=visibility, file=stored, deleted_at=utcnow() if binned else None,
        )  # fmt: skip
        db.session.add(document)
        made.append(document)
    db.session.commit()
    return made


def document_rule(rule: Oracle, spec_doc: tuple[int, DocumentVisibility, bool]) -> bool:
    """The product's rule for documents, written out plainly."""
    org, visibility, binned = spec_doc
    role = rule.roles.get(org)
    if binned:
        return False  # the bin is not searched, not even by coordinators
    if visibility == DocumentVisibility.PUBLIC:
        return True
    if visibility == DocumentVisibility.MOVEMENT and rule.movement:
        return True
    return role is not None


def everything(tokens: frozenset[str], **kwargs) -> set[str]:
    """Every key search returns for these tokens (pages of 1,000)."""
    results = service.backend().search(Request(query=None, tokens=tokens, per_page=1000, **kwargs))
    assert results.total == len(results.hits)
    return {hit.key for hit in results.hits}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    spec=specs(),
    docs=st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(DOC_VISIBILITY), st.booleans()), max_size=6
    ),
)
def test_search_returns_exactly_what_each_person_may_open(app, spec: Spec, docs):
    """Search results, totals and facets = the per-object checks = the product's rules."""
    service.backend().clear()
    world = build(spec)
    docs = [(org % len(spec.orgs), visibility, binned) for org, visibility, binned in docs]
    world["documents"] = add_documents(world, docs)
    outbox.drain()
    rows = {
        "organisation": world["orgs"], "campaign": world["campaigns"],
        "event": world["events"], "document": world["documents"],
        "message": [m for room in world["rooms"] for m in _messages(room)],
    }  # fmt: skip
    for u in [None, *range(len(spec.users))]:
        user = world["users"][u] if u is not None else _Anonymous()
        tokens = principals(user).tokens
        rule = Oracle(spec, world, u)
        by_check = {
            f"{kind}:{row.id}"
            for kind, found in rows.items()
            for row in found
            if registry.REGISTRY[kind].allows(user, row)
        }
        by_rule = {f"document:{d.id}" for d, s in zip(world["documents"], docs, strict=True)
                   if document_rule(rule, s)}  # fmt: skip
        assert {k for k in by_check if k.startswith("document:")} == by_rule, u
        found = everything(tokens)
        assert found == by_check, (u, found ^ by_check)
        # A word: only the documents this person may open, counted and faceted alike.
        results = service.backend().search(
            Request(query=Word("caravana"), tokens=tokens, per_page=1000,
                    filters=Filters(kinds=frozenset({"document"})))
        )  # fmt: skip
        assert {h.key for h in results.hits} == by_rule, u
        assert results.total == len(by_rule)
        for name, values in results.facets.items():
            if name != "kind":
                assert sum(count for _, count in values) == len(by_rule), (u, name)


def _messages(room):
    from sqlalchemy import select

    from app.models import Message

    return list(db.session.scalars(select(Message).where(Message.room_id == room.id)))
