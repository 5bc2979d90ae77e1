"""What only the PostgreSQL backend does: text a person typed never reaches to_tsquery as
syntax, and a body too big for one tsvector is indexed in part (runs on PostgreSQL only).
The behaviour both backends share is in tests/test_search_backends.py."""

from __future__ import annotations

import os
import random

import pytest

if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
    pytest.skip(
        "PostgreSQL backend: needs TEST_DATABASE_URL=postgresql+psycopg://...",
        allow_module_level=True,
    )

from app.search.base import Prefix, Request, Results, Word  # noqa: E402
from app.search.postgres_backend import PostgresBackend  # noqa: E402
from tests.test_search_backends import PUBLIC, entry  # noqa: E402


@pytest.fixture
def backend(app):
    return PostgresBackend()


def find(backend, query, tokens=PUBLIC, **options) -> Results:
    return backend.search(Request(query=query, tokens=frozenset(tokens), **options))


def keys(results: Results) -> list[str]:
    return [hit.key for hit in results.hits]


def test_query_syntax_typed_by_a_person_is_only_text(backend):
    backend.write([entry(1, "Mar", "mar")])
    for text in ("mar & !x", "mar:*", "'mar' | (x", "!!", "<->", "\\", "mar:A"):
        assert find(backend, Word(text)).total in (0, 1)
        assert find(backend, Prefix(text)).total in (0, 1)
        assert find(backend, Word(text, field="title")).total in (0, 1)
    assert keys(find(backend, Word("mar & !x"))) == []  # "x" is a word to find, not an operator


def test_a_huge_body_is_indexed_in_part(backend):
    rng = random.Random(7)
    words = " ".join("".join(rng.choices("abcdefghij", k=9)) for _ in range(220_000))
    backend.write([entry(1, "Enorme", "principio " + words + "\x00 fin")])
    assert keys(find(backend, Word("principio"))) == ["document:1"]
    assert keys(find(backend, Word("enorme", field="title"))) == ["document:1"]
