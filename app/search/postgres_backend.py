"""PostgreSQL full-text search behind the ``Backend`` interface (the scaled mode).

Text is folded in Python (``app.models.orgs.fold`` plus Arabic letter unification) before
PostgreSQL stems it, so no extension (unaccent, pg_trgm) is needed. Every statement carries
the reader's audience tokens (``tokens && :reader``, GIN-indexed): nothing outside them is
counted, faceted, ranked or cut into a snippet.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC
from functools import lru_cache, reduce

from sqlalchemy import (
    Text,
    and_,
    bindparam,
    case,
    cast,
    column,
    delete,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, REGCONFIG
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from app.extensions import db
from app.models.orgs import fold
from app.models.search_entries import SearchEntry
from app.search.base import (
    FACETS,
    AllOf,
    AnyOf,
    Entry,
    Filters,
    Hit,
    Not,
    Phrase,
    Prefix,
    Request,
    Results,
    Snippet,
    Word,
    fingerprint,
)
from app.search.query import WORD_PATTERN

T = SearchEntry.__table__
CONFIGS = {"es": "spanish", "fr": "french", "it": "italian", "en": "english", "ar": "arabic"}
BODY_CAP = 1_000_000  # characters indexed and stored; a tsvector holds at most 1 MB
CHUNK_CHARS = 8_000_000  # text sent per INSERT batch, so a rebuild's memory stays bounded
MAX_PER_PAGE = 100
SEP = "\x1f"
WEIGHTED = {"title": "A", "org": "C"}  # query fields matched inside the document by weight
COLUMN_FIELDS = ("tag", "lang", "format", "kind", "year")
_WORDS = re.compile(WORD_PATTERN)  # a tag's words, cut as Whoosh cuts them
_RUN = re.compile(r"[^\W_]+")  # letters and digits: all of a word that reaches to_tsquery
FACET_COLUMNS = (T.c.kind, T.c.organisation_id, T.c.language, T.c.format, T.c.year)
HEADLINE_CAP, TITLE_CAP = 100_000, 1_000  # characters of body and title cut into snippets
PAGE_COLUMNS = (
    T.c.key,
    T.c.kind,
    T.c.obj_id,
    T.c.language,
    T.c.organisation_id,
    T.c.format,
    T.c.date,
    func.left(T.c.title, TITLE_CAP).label("title"),
    func.left(T.c.body, HEADLINE_CAP).label("body"),
)
START, STOP = "\x02", "\x03"  # ts_headline's marks: control characters taken out of the text
BODY_MARKS = f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=15, MaxFragments=1"
TITLE_MARKS = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
# Alef wasla and alef maqsura unified; "<" and ">" become spaces: PostgreSQL's parser reads
# "<script ... >" as one tag token and drops it, with every word up to its closing ">" (a
# document quoting HTML would lose the words after it).
ARABIC = str.maketrans({"\u0671": "\u0627", "\u0649": "\u064a", "<": " ", ">": " "})


def _const(value: str, sql_type: str = "text") -> object:
    """One of this module's own constants (a configuration, a weight) as SQL, never user text."""
    return literal_column(f"'{value}'::{sql_type}")


def _vector(config: object, value: object, weight: str) -> object:
    """setweight(to_tsvector(config, value), weight)."""
    return func.setweight(func.to_tsvector(config, value), _const(weight, '"char"'))


def _document() -> object:
    """The tsvector written for a row: title A, tags B, organisation C, body D (+ simple)."""
    config = cast(bindparam("cfg", type_=Text), REGCONFIG)
    simple = _const("simple", "regconfig")
    # The words again, unstemmed, so an exact folded word matches across languages; skipped
    # when the entry is already 'simple'. One parameter each: a 1 MB body is sent once.
    again = bindparam("cfg", type_=Text) != _const("simple")
    parts = [
        _vector(config, bindparam("f_title", type_=Text), "A"),
        _vector(simple, case((again, bindparam("f_title", type_=Text)), else_=""), "A"),
        _vector(config, bindparam("f_tags", type_=Text), "B"),
        _vector(config, bindparam("f_org", type_=Text), "C"),
        _vector(config, bindparam("f_body", type_=Text), "D"),
        _vector(simple, case((again, bindparam("f_body", type_=Text)), else_=""), "D"),
    ]
    return reduce(lambda a, b: a.op("||")(b), parts)


def _clean(value: str) -> str:
    """Text PostgreSQL accepts: no NUL, no lone surrogate."""
    return value.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")


def normalise(value: str) -> str:
    """Text as the index compares it: fold(), Arabic letters unified (ٱ -> ا, ى -> ي), no <>."""
    return fold(value).translate(ARABIC)


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """One character folded; '<' and '>' become spaces (ts_headline would drop a tag)."""
    return " " if char in "<>" else normalise(char)


def _split_marks(headline: str) -> tuple[str, list[tuple[int, int]]]:
    """ts_headline's output as its text without marks and the spans that were marked."""
    plain, spans, size = [], [], 0
    for index, part in enumerate(re.split(f"[{START}{STOP}]", headline)):
        if index % 2:
            spans.append((size, size + len(part)))
        plain.append(part)
        size += len(part)
    return "".join(plain), spans


class _Folded:
    """A text, its folded form for ts_headline, and where each folded character came from."""

    def __init__(self, value: str):
        self.text = value.replace(START, " ").replace(STOP, " ")
        self.table = {char: _fold_char(char) for char in set(self.text)}
        if all(len(folded) == 1 for folded in self.table.values()):  # usual: one for one
            self.folded = self.text.translate({ord(c): f for c, f in self.table.items()})
            self.origin: list[int] | None = None
        else:  # ligatures expand, accents typed apart and Arabic vowel marks vanish
            pieces = [self.table[char] for char in self.text]
            self.folded = "".join(pieces)
            self.origin = [index for index, piece in enumerate(pieces) for _ in piece]

    def _start(self, index: int) -> int:
        """The original position of a folded character."""
        return index if self.origin is None else self.origin[index]

    def _end(self, index: int) -> int:
        """The original end of a folded span ending at index, with the marks that follow."""
        end = self._start(index - 1) + 1
        while end < len(self.text) and not self.table[self.text[end]]:
            end += 1
        return end

    def snippet(self, headline: str | None, whole: bool) -> Snippet:
        """The original text of ts_headline's passage, cut where it marked words."""
        plain, spans = _split_marks(headline or "")
        start = self.folded.find(plain) if plain else -1
        if start < 0:  # no query, or a passage not found again: the opening, unmarked
            opening = self.text if whole else _opening(self.text)
            return ((opening, False),) if opening.strip() else ()
        pieces, cursor = [], self._start(start)
        for left, right in spans:
            if right > left:
                low, high = self._start(start + left), self._end(start + right)
                pieces += [(self.text[cursor:low], False), (self.text[low:high], True)]
                cursor = high
        pieces.append((self.text[cursor : self._end(start + len(plain))], False))
        return tuple(piece for piece in pieces if piece[0])


def _opening(value: str, size: int = 240) -> str:
    """The start of a text, cut after a whole word."""
    if len(value) <= size:
        return value.strip()
    return value[:size].rsplit(None, 1)[0].strip()


def _mark(
    rows: Sequence, wanted: object | None, reader: object, languages: dict[str, str]
) -> dict[str, tuple[Snippet, Snippet]]:
    """Title and passage of each row with the wanted words marked, by one ts_headline call.

    PostgreSQL marks words in the folded text (the only text its lexemes match); the marks
    are then carried back to the original text, accents and case kept.
    """
    texts = {row.key: (_Folded(row.title), _Folded(row.body)) for row in rows}
    found: dict[str, tuple[str, str]] = {}
    if wanted is not None:
        arrays = (
            list(texts),
            [languages.get(row.language, "simple") for row in rows],
            [texts[row.key][0].folded for row in rows],
            [texts[row.key][1].folded for row in rows],
        )
        given = func.unnest(*(literal(a, ARRAY(Text)) for a in arrays)).table_valued(
            column("k", Text), column("c", Text), column("t", Text), column("b", Text)
        )
        given = given.render_derived(name="given")
        config = cast(given.c.c, REGCONFIG)
        statement = (
            select(
                given.c.k,
                func.ts_headline(config, given.c.t, wanted, literal(TITLE_MARKS, Text)),
                func.ts_headline(config, given.c.b, wanted, literal(BODY_MARKS, Text)),
            )
            .select_from(given.join(T, T.c.key == given.c.k))
            .where(reader)
        )
        found = {key: (title, body) for key, title, body in db.session.execute(statement)}
    return {
        key: (
            title.snippet(found.get(key, ("", ""))[0], True),
            body.snippet(found.get(key, ("", ""))[1], False),
        )
        for key, (title, body) in texts.items()
    }


def _reader(tokens: Iterable[str]) -> object:
    """The permission test of every statement: the entry's tokens meet the reader's."""
    return T.c.tokens.bool_op("&&")(literal(sorted(tokens), ARRAY(Text)))


class _Translate:
    """The query tree as SQL: text parts become one tsquery, field parts column tests."""

    def __init__(self, configs: tuple[str, ...]):
        self.configs = configs

    def where(self, node: object) -> object:
        """A boolean SQL expression true for the entries matching node."""
        tsquery = self.tsquery(node)
        if tsquery is not None:
            return T.c.document.bool_op("@@")(tsquery)
        if isinstance(node, AllOf):
            return and_(true(), *(self.where(part) for part in node.parts))
        if isinstance(node, AnyOf):
            return or_(false(), *(self.where(part) for part in node.parts))
        if isinstance(node, Not):
            return not_(self.where(node.part))
        return _column_test(node)

    def tsquery(self, node: object) -> object | None:
        """One tsquery for a subtree of text parts only; None if it tests a column."""
        if isinstance(node, Word | Phrase | Prefix):
            return None if node.field in COLUMN_FIELDS else self._leaf(node)
        if isinstance(node, Not):
            inner = self.tsquery(node.part)
            return None if inner is None else func.tsquery_not(inner)
        parts = [self.tsquery(part) for part in node.parts]
        if not parts or any(part is None for part in parts):
            return None
        combine = func.tsquery_and if isinstance(node, AllOf) else func.tsquery_or
        return reduce(combine, parts)

    def positive(self, node: object | None) -> object | None:
        """The text parts that are wanted, not excluded: what ranks and what is marked."""
        if isinstance(node, AllOf | AnyOf):
            found = [q for q in (self.positive(part) for part in node.parts) if q is not None]
            return reduce(func.tsquery_or, found) if found else None
        if isinstance(node, Word | Phrase | Prefix) and node.field not in COLUMN_FIELDS:
            return self._leaf(node)
        return None

    def _leaf(self, node: Word | Phrase | Prefix) -> object:
        """A word matches if it matches under any language's analysis (or none: 'simple')."""
        words = node.words if isinstance(node, Phrase) else (node.text,)
        folded = normalise(" ".join(words))
        weight = WEIGHTED.get(node.field or "")
        if isinstance(node, Word | Phrase) and weight is None:
            maker = func.plainto_tsquery if isinstance(node, Word) else func.phraseto_tsquery
            value = literal(folded, Text)
            queries = [maker(_const(c, "regconfig"), value) for c in self.configs]
            return reduce(func.tsquery_or, queries)
        # Weights and prefixes need to_tsquery's syntax: it only ever gets our own operators
        # around runs of letters and digits, so nothing a person typed is read as syntax.
        runs = _RUN.findall(folded) or [""]
        label = weight or ""
        items = [f"{run}:{label}" if label else run for run in runs]
        if isinstance(node, Prefix):
            items[-1] = f"{runs[-1]}:*{label}"
        value = literal(" <-> ".join(items) if runs != [""] else "", Text)
        queries = [func.to_tsquery(_const(c, "regconfig"), value) for c in self.configs]
        return reduce(func.tsquery_or, queries)


def _column_test(node: Word | Phrase | Prefix) -> object:
    """tag:, lang:, format:, kind:, year: compare stored values, folded, exactly (or a prefix)."""
    value = normalise(" ".join(node.words) if isinstance(node, Phrase) else node.text)
    prefix = isinstance(node, Prefix)
    if node.field == "tag":
        value = _tag(value)
        return T.c.tags.contains(SEP + value + ("" if prefix else SEP), autoescape=True)
    if node.field == "year":
        if not (value.isascii() and value.isdigit() and len(value) <= 4):
            return false()
        if prefix:
            return cast(T.c.year, Text).startswith(value, autoescape=True)
        return T.c.year == int(value)
    target = {"lang": T.c.language, "format": T.c.format, "kind": T.c.kind}[node.field]
    return target.startswith(value, autoescape=True) if prefix else target == value


def _chosen(filters: Filters) -> list[tuple[int, object]]:
    """The facet filters chosen, as (index in FACETS, test): within one filter any value."""
    chosen = []
    values = (
        filters.kinds,
        filters.organisation_ids,
        filters.languages,
        filters.formats,
        filters.years,
    )
    for index, (target, wanted) in enumerate(zip(FACET_COLUMNS, values, strict=True)):
        if wanted:
            chosen.append((index, target.in_(sorted(wanted))))
    return chosen


def _tag_tests(filters: Filters) -> list[object]:
    """The tag filter (any of the chosen tags); it applies to the hits and to every facet."""
    if not filters.tags:
        return []
    needles = sorted(SEP + _tag(tag) + SEP for tag in filters.tags)
    return [or_(*(T.c.tags.contains(n, autoescape=True) for n in needles))]


def _tag(value: str) -> str:
    """A tag as stored and compared: its folded words joined by one space (as Whoosh does)."""
    return " ".join(_WORDS.findall(normalise(value)))


class PostgresBackend:
    """Search served by PostgreSQL full-text search, shared by every process on every host."""

    def __init__(self) -> None:
        self._languages: dict[str, str] | None = None

    def languages(self) -> dict[str, str]:
        """Language code -> text-search configuration this server has ('simple' if none)."""
        if self._languages is None:
            have = set(db.session.scalars(text("SELECT cfgname::text FROM pg_ts_config")))
            self._languages = {k: (v if v in have else "simple") for k, v in CONFIGS.items()}
        return self._languages

    def write(self, entries: Iterable[Entry], deleted: Iterable[str] = ()) -> None:
        """Upsert entries and delete keys in one transaction of its own, committed here."""
        gone = sorted(set(deleted))
        languages = self.languages()
        with db.engine.begin() as connection:
            for start in range(0, len(gone), 1000):
                connection.execute(delete(T).where(T.c.key.in_(gone[start : start + 1000])))
            for chunk in _chunks(_row(entry, languages) for entry in entries):
                _upsert(connection, chunk)

    def search(self, request: Request) -> Results:
        """One page of what the request's tokens may see, with its total and facet counts."""
        page, per_page = max(1, request.page), max(1, min(request.per_page, MAX_PER_PAGE))
        facets = {name: [] for name in FACETS} if request.facets else {}
        if not request.tokens:
            return Results([], 0, page, per_page, facets)
        translate = _Translate((*dict.fromkeys(self.languages().values()), "simple"))
        base = [_reader(request.tokens), *_tag_tests(request.filters)]
        if request.query is not None:
            base.append(translate.where(request.query))
        chosen = _chosen(request.filters)
        where = [*base, *(test for _index, test in chosen)]
        total = _count(base, chosen, facets)
        if total == 0 or (page - 1) * per_page >= total:
            return Results([], total, page, per_page, facets)
        wanted = translate.positive(request.query)
        rank = func.ts_rank_cd(T.c.document, wanted, 1) if wanted is not None else literal(0.0)
        order = [T.c.date.desc(), T.c.key]
        if wanted is not None and request.sort != "date":
            order.insert(0, rank.desc())
        rows = db.session.execute(
            select(*PAGE_COLUMNS, rank.label("score"))
            .where(*where)
            .order_by(*order)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        marked = _mark(rows, wanted, _reader(request.tokens), self.languages())
        hits = [_hit(row, *marked[row.key]) for row in rows]
        # No suggestion: one that is safe must be proven to have hits for this reader, and
        # finding candidates needs pg_trgm or ts_stat (an extension, or a scan of everything).
        return Results(hits, total, page, per_page, facets, None)

    def keys(self) -> dict[str, str]:
        """Every key with the fingerprint it was written with."""
        rows = db.session.execute(select(T.c.key, T.c.fingerprint))
        return {key: stored for key, stored in rows}

    def clear(self) -> None:
        """Remove every entry (DELETE, not TRUNCATE: no table-owner privilege needed)."""
        with db.engine.begin() as connection:
            connection.execute(delete(T))

    def health(self) -> dict[str, object]:
        """{"ok", "entries", "backend"}: whether the index answers, and how many entries."""
        try:
            count = db.session.scalar(select(func.count()).select_from(T))
        except SQLAlchemyError:
            db.session.rollback()
            return {"ok": False, "entries": 0, "backend": "postgres"}
        return {"ok": True, "entries": int(count or 0), "backend": "postgres"}

    def warm(self) -> None:
        """Nothing: the database keeps its own caches."""


def _count(
    base: list[object], chosen: list[tuple[int, object]], facets: dict[str, list[tuple[str, int]]]
) -> int:
    """The total, and (if asked) fill the facets, in one scan: GROUPING SETS.

    Facets are disjunctive, as Whoosh's (app/search/whoosh_facets.py): each facet counts the
    matches passing every chosen filter except its own, so choosing lang=es still shows how
    many entries the other languages have. The words, the reader's tokens and the tag filter
    (base) apply to every count.
    """
    tests = [test for _index, test in chosen]
    if not facets:
        where = [*base, *tests]
        return int(db.session.scalar(select(func.count()).select_from(T).where(*where)) or 0)
    where = list(base)
    if len(tests) > 1:  # a row failing two chosen filters counts nowhere
        where.append(reduce(operator.add, (case((test, 0), else_=1) for test in tests)) <= 1)
    counts = [
        _counted([test for index, test in chosen if index != facet]) for facet in range(len(FACETS))
    ]
    rows = db.session.execute(
        select(func.grouping(*FACET_COLUMNS), *FACET_COLUMNS, *counts, _counted(tests))
        .where(*where)
        .group_by(func.grouping_sets(*FACET_COLUMNS, text("()")))
    ).all()
    total, full = 0, (1 << len(FACETS)) - 1
    for grouping, *rest in rows:
        values, numbers = rest[: len(FACETS)], rest[len(FACETS) :]
        if grouping == full:
            total = numbers[-1]
            continue
        index = next(i for i in range(len(FACETS)) if grouping == full ^ (full + 1) >> (i + 1))
        if values[index] not in (None, "") and numbers[index]:
            facets[FACETS[index]].append((str(values[index]), numbers[index]))
    for counts_of in facets.values():
        counts_of.sort(key=lambda pair: (-pair[1], pair[0]))
    return int(total)


def _counted(tests: list[object]) -> object:
    """count(*) of the rows passing every test (all rows when none)."""
    return func.count().filter(and_(*tests)) if tests else func.count()


def _hit(row: object, title: tuple, snippet: tuple) -> Hit:
    """A page row as a Hit."""
    return Hit(
        kind=row.kind,
        id=row.obj_id,
        score=float(row.score),
        title=title,
        snippet=snippet,
        date=row.date,
        language=row.language,
        organisation_id=row.organisation_id,
        format=row.format,
    )


def _row(entry: Entry, languages: dict[str, str]) -> dict[str, object]:
    """The parameters of one upsert: stored values, and the folded text PostgreSQL analyses."""
    title, body = _clean(entry.title), _clean(entry.body)[:BODY_CAP]
    tags = [tag for tag in (_tag(_clean(value)) for value in entry.tags) if tag]
    organisation = _clean(entry.organisation)
    return {
        "p_key": entry.key,
        "p_kind": entry.kind,
        "p_obj_id": entry.id,
        "p_title": title,
        "p_body": body,
        "p_language": entry.language,
        "p_tags": SEP + SEP.join(tags) + SEP if tags else "",
        "p_organisation_id": entry.organisation_id,
        "p_organisation": organisation,
        "p_format": entry.format,
        "p_date": entry.date,
        "p_year": entry.date.astimezone(UTC).year,
        "p_tokens": sorted(entry.tokens),
        "p_fingerprint": fingerprint(entry),
        "cfg": languages.get(entry.language, "simple"),
        "f_title": normalise(title),
        "f_tags": " ".join(tags),
        "f_org": normalise(organisation),
        "f_body": normalise(body),
    }


def _chunks(rows: Iterator[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    """Rows in batches of at most CHUNK_CHARS characters of text (and 500 rows)."""
    chunk, size = [], 0
    for row in rows:
        chunk.append(row)
        size += len(row["p_body"]) + len(row["f_body"])
        if size >= CHUNK_CHARS or len(chunk) >= 500:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _upsert_statement() -> object:
    """INSERT ... ON CONFLICT (key) DO UPDATE, the document computed by PostgreSQL."""
    names = [c.name for c in T.columns if c.name != "document"]
    values = {name: bindparam(f"p_{name}", type_=T.c[name].type) for name in names}
    statement = pg_insert(T).values({**values, "document": _document()})
    return statement.on_conflict_do_update(
        index_elements=[T.c.key],
        set_={name: statement.excluded[name] for name in [*names, "document"] if name != "key"},
    )


def _too_long(error: DBAPIError) -> bool:
    """PostgreSQL refused a tsvector over 1 MB (many distinct words: tables, encoded data)."""
    return "too long for tsvector" in str(error.orig)


def _upsert(connection: object, rows: list[dict[str, object]]) -> None:
    """Upsert a batch; an entry whose tsvector is too big is indexed with half its body."""
    statement = _upsert_statement()
    try:
        with connection.begin_nested():
            connection.execute(statement, rows)
        return
    except DBAPIError as error:
        if not _too_long(error):
            raise
    for row in rows:
        while True:
            try:
                with connection.begin_nested():
                    connection.execute(statement, [row])
                break
            except DBAPIError as error:
                if not _too_long(error) or not row["f_body"]:
                    raise
                row["f_body"] = row["f_body"][: len(row["f_body"]) // 2]
