"""The index's own segment writer (app/search/whoosh_writer.py) writes what Whoosh's writer
writes, but for posting lists too short to be worth compressing and the pickle protocol of
the blocks (with Whoosh's settings, byte for byte the same layout): same terms, same postings and
positions, same lengths and block statistics (term info includes each term's offset and extent
in the postings file, so the blocks have the same layout) — through adds, replacements,
deletions and merges of segments with deleted entries."""

from __future__ import annotations

import random
import zlib

import pytest
from whoosh import index

from app.search import whoosh_backend, whoosh_query, whoosh_writer
from app.search.whoosh_backend import WhooshBackend
from tests.test_search_backends import entry

WORDS = [f"palabra{n}" for n in range(300)] + ["campaña", "campañas", "madres", "caravana"]


def batches(seed: int = 7):
    """Batches of (entries, deleted keys): new entries, some replaced, some removed."""
    rng = random.Random(seed)
    written: list[int] = []
    for number in range(14):
        entries = []
        for _ in range(60):
            if written and rng.random() < 0.2:
                key = rng.choice(written)  # replaced: its old version is deleted in its segment
            else:
                key = len(written)
                written.append(key)
            words = rng.choices(
                WORDS, weights=[1 / (rank + 1) for rank in range(len(WORDS))], k=rng.randint(3, 400)
            )
            entries.append(
                entry(
                    key,
                    title=" ".join(words[:5]),
                    body=" ".join(words),
                    year=2020 + number % 5,
                )
            )
        deleted = [f"document:{key}" for key in rng.sample(written, 3)] if number % 3 == 2 else []
        yield entries, deleted


def contents(path: str) -> dict:
    """Everything the readers see: segments, term infos, postings and field lengths."""
    ix = index.open_dir(path)
    with ix.reader() as reader:
        leaves = [leaf for leaf, _base in reader.leaf_readers()]
        found = {"segments": [leaf.doc_count_all() for leaf in leaves], "terms": [], "lengths": []}
        for leaf in leaves:
            for fieldname, text in leaf.all_terms():
                info = vars(leaf.term_info(fieldname, text))  # statistics, offset, extent
                found["terms"].append(
                    (fieldname, text, info, listed(leaf.postings(fieldname, text)))
                )
            for docnum in range(leaf.doc_count_all()):
                found["lengths"].append(
                    [
                        leaf.doc_field_length(docnum, name)
                        for name in ("title_text", "body_text", "tagtext")
                    ]
                )
    return found


def listed(matcher) -> list[tuple]:
    """A term's postings: (docnum, weight, encoded positions) each."""
    items = []
    while matcher.is_active():
        items.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return items


def build(path: str) -> None:
    backend = WhooshBackend(path)
    for entries, deleted in batches():
        backend.write(entries, deleted)


def stock_writer(ix, **options):
    return ix.writer(**options)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The same writes through our writer, with Whoosh's block settings, and Whoosh's."""
    paths = {name: str(tmp_path_factory.mktemp(name)) for name in ("ours", "every", "whoosh")}
    with pytest.MonkeyPatch.context() as patch:
        build(paths["ours"])
        patch.setattr(whoosh_writer, "SMALL", 0)  # as Whoosh: every block compressed
        patch.setattr(whoosh_writer, "BLOCK_PROTOCOL", 2)  # ... and pickled with protocol 2
        build(paths["every"])
        patch.setattr(whoosh_backend, "TermWriter", stock_writer)
        build(paths["whoosh"])
    return {name: contents(path) for name, path in paths.items()}


def test_segments_were_merged_with_deletions(built):
    assert len(built["ours"]["segments"]) < 14  # merges happened (14 writes)
    assert max(built["ours"]["segments"]) > 60


def test_same_terms_postings_and_block_layout_as_whooshs_writer(built):
    every, whooshs = built["every"], built["whoosh"]
    assert every["segments"] == whooshs["segments"]
    assert len(every["terms"]) == len(whooshs["terms"])
    for mine, theirs in zip(every["terms"], whooshs["terms"], strict=True):
        assert mine == theirs


def test_our_blocks_read_back_the_same(built):
    ours, whooshs = built["ours"], built["whoosh"]
    assert ours["segments"] == whooshs["segments"]
    moved = 0
    for mine, theirs in zip(ours["terms"], whooshs["terms"], strict=True):
        mine_info, their_info = mine[2], theirs[2]
        moved += mine_info["_offset"] != their_info["_offset"]
        for place in ("_offset", "_length"):  # blocks shorter or longer: elsewhere in the file
            mine_info.pop(place), their_info.pop(place)
        assert mine == theirs
    assert moved > 0  # the blocks really were written differently


def test_same_field_lengths(built):
    assert built["ours"]["lengths"] == built["whoosh"]["lengths"] == built["every"]["lengths"]


def test_positions_encode_as_whooshs_format():
    fmt = whoosh_query.Forms().format
    rng = random.Random(3)
    for _ in range(500):
        found = sorted(rng.sample(range(5000), rng.randint(1, 30)))
        assert whoosh_query._positions(found) == fmt.encode(found)


def test_blocks_are_pickled_with_the_newer_protocol(tmp_path):
    backend = WhooshBackend(str(tmp_path))
    backend.write(next(batches())[0])
    ix = index.open_dir(str(tmp_path))
    with ix.reader() as reader:
        matcher = reader.postings("body_text", b"palabra0")
        data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
        if matcher._compression:
            data = zlib.decompress(data)
        assert data[:2] == bytes([0x80, whoosh_writer.BLOCK_PROTOCOL]) == b"\x80\x05"
        assert len(list(matcher.all_ids())) > 30  # a frequent word: a block, not inlined
