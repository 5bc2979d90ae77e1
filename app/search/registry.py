"""What can be searched: each kind registers how a row becomes an Entry, in a few lines.

A feature registers its model once (``register(Searchable(...))``, like microblog's
SearchableMixin) and says which changes of other models move its entries (a room's scope
changes who may read its messages). From then on every insert, change or delete of those
rows queues the right keys in the search outbox, in the same transaction (outbox.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select

from app.search.base import Entry


@dataclass(frozen=True)
class Follow:
    """When these attributes of another model change, re-index the rows ``ids(obj)`` selects."""

    model: type
    attributes: tuple[str, ...]
    ids: Callable[[Any], Select]  # a select of this kind's ids for the changed row


@dataclass(frozen=True)
class Searchable:
    """One kind of searchable thing: its model, its entry, its link, what else moves it."""

    kind: str
    model: type
    entry: Callable[[Any], Entry | None]  # None: not in the index (deleted, hidden)
    url: Callable[[Any], str]  # the page of a row (search hits open through it)
    label: Callable[[], str]  # the kind's name for the type filter, translated when called
    options: tuple[Any, ...] = ()  # loader options for building entries in bulk
    # Attributes whose change does not touch the entry (counters bumped on every message).
    ignore: tuple[str, ...] = ()
    # The per-object check of the resource's policy (the index filters with the same tokens).
    allows: Callable[[Any, Any], bool] = lambda _user, _obj: False
    follows: tuple[Follow, ...] = field(default_factory=tuple)

    def load(self, ids: Iterable[int]) -> Select:
        """A select of these rows, with what building their entries needs."""
        return select(self.model).where(self.model.id.in_(list(ids))).options(*self.options)


REGISTRY: dict[str, Searchable] = {}


def first_language(codes: Iterable[str], text: str = "") -> str:
    """The language to analyse a text in, among an organisation's working languages.

    Text in Arabic script is Arabic; other text takes the first working language written in
    Latin script (a committee working in Arabic and French writes its French in French).
    "" when none is analysed (the text is then folded, not stemmed).
    """
    from app.search.base import LANGUAGES

    known = [code for code in codes if code in LANGUAGES]
    letters = [c for c in text[:2000] if c.isalpha()]
    if not letters:
        return known[0] if known else ""
    if sum(1 for c in letters if "\u0600" <= c <= "\u06ff") * 2 > len(letters):
        return "ar"
    return next((code for code in known if code != "ar"), "")


def register(searchable: Searchable) -> Searchable:
    """Make a kind searchable (called once, at import of the feature's search module)."""
    REGISTRY[searchable.kind] = searchable
    return searchable


def by_model(model: type) -> Searchable | None:
    """The searchable kind of a model, if it is one."""
    for searchable in REGISTRY.values():
        if searchable.model is model:
            return searchable
    return None


def followers(model: type) -> list[tuple[Searchable, Follow]]:
    """The kinds whose entries move when rows of this model change."""
    return [(s, f) for s in REGISTRY.values() for f in s.follows if f.model is model]


def load_registrations() -> None:
    """Import every feature's search module, so that each kind is registered."""
    from app.campaigns import search as _campaigns  # noqa: F401
    from app.library import search as _library  # noqa: F401
    from app.manifestos import search as _manifestos  # noqa: F401
    from app.orgs import search as _orgs  # noqa: F401
    from app.rooms import search as _rooms  # noqa: F401
