"""Uploaded documents give their text, and hostile ones cost little and say why they failed.

Kinds are decided by content, never by name. Every parse runs in a child process with its
own memory, CPU and output limits; zip bombs are refused from their directory before any
parser sees them, without this process inflating them. Durations are only checked against
generous ceilings (slow CI machines): the limits themselves are what bound the work.
"""

from __future__ import annotations

import resource
import time
import tracemalloc
from pathlib import Path

import pytest

from app.library.extract import REASONS, Limits, Outcome, check_zip, extract
from app.library.extract_child import normalise
from app.library.sniff import EXTENSIONS, MIME_TYPES, sniff
from tests import library_files as files

SMALL = Limits(cpu_seconds=3, wall_seconds=30.0, memory_bytes=256 * 2**20)
CEILING = 60.0  # seconds: a safety net only


def put(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read(tmp_path: Path, name: str, data: bytes, limits: Limits | None = None):
    path = put(tmp_path, name, data)
    kind = sniff(path, name)
    assert kind is not None, f"{name} was not recognised"
    return extract(path, kind, limits or Limits())


class Measured:
    """How long something took, and how much memory this (parent) process used meanwhile."""

    def __enter__(self):
        self.maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        tracemalloc.start()
        self.start = time.monotonic()
        return self

    def __exit__(self, *_):
        self.seconds = time.monotonic() - self.start
        self.python_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        self.maxrss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - self.maxrss

    def assert_cheap(self):
        assert self.seconds < CEILING
        assert self.maxrss_growth < 100 * 2**20
        assert self.python_peak < 16 * 2**20


# Each format gives its text


def test_a_spanish_pdf_gives_the_text_of_every_page_in_order(tmp_path):
    pages = ["Primera página", "Segunda página", "Las campañas de otoño"]
    outcome = read(tmp_path, "folleto.pdf", files.pdf_bytes(pages))
    assert (outcome.status, outcome.pages, outcome.reason) == ("indexed", 3, None)
    assert "campañas" in outcome.text
    assert (
        outcome.text.index("Primera")
        < outcome.text.index("Segunda")
        < outcome.text.index("campañas")
    )


def test_a_docx_gives_its_paragraphs_and_table_cells_in_order(tmp_path):
    data = files.docx_bytes(
        ["Acta de la asamblea", "Se aprobó la campaña."],
        [["Tarea", "Quién"], ["Carteles", "Lucía"]],
    )
    outcome = read(tmp_path, "acta.docx", data)
    assert outcome.status == "indexed"
    assert outcome.text.split("\n") == [
        "Acta de la asamblea",
        "Se aprobó la campaña.",
        "Tarea",
        "Quién",
        "Carteles",
        "Lucía",
    ]


def test_an_odt_gives_its_heading_and_paragraphs(tmp_path):
    outcome = read(
        tmp_path,
        "notas.odt",
        files.odt_bytes(["Reunión el jueves.", "Traed pancartas."], heading="Orden del día"),
    )
    assert outcome.status == "indexed"
    assert outcome.text == "Orden del día\nReunión el jueves.\nTraed pancartas."


def test_markdown_and_plain_text_lose_their_bom_control_characters_and_extra_blank_lines(tmp_path):
    data = "\ufeff# Campaña\r\n\r\n\r\n\r\nTexto con\x07 ruido\x7f\x1b.\t¡Sí!\n\n\n".encode()
    outcome = read(tmp_path, "leeme.md", data)
    assert outcome == Outcome("indexed", text="# Campaña\n\nTexto con ruido.\t¡Sí!")
    assert read(tmp_path, "leeme.txt", "línea\n".encode()).text == "línea"


def test_normalising_is_stable():
    messy = "a\x00b \n\n \n\n\x0cc\u0085\r\nd  "
    assert normalise(messy) == "ab\n\nc\nd"
    assert normalise(normalise(messy)) == normalise(messy)


# The kind is decided by the content


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("informe.txt", files.pdf_bytes(["hola"]), "pdf"),
        ("informe.pdf", b"\r\n\x00junk" + files.pdf_bytes(["hola"]), "pdf"),  # junk first
        ("programa.pdf", files.fake_pdf(), None),
        ("acta.odt", files.docx_bytes(["hola"]), "docx"),
        ("notas.docx", files.odt_bytes(["hola"]), "odt"),
        ("notas.txt", b"hola\x00mundo", None),
        ("latin1.txt", "campaña".encode("latin-1"), None),
        ("foto.pdf", b"\x89PNG\r\n\x1a\n" + bytes(64), None),
        ("viejo.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), None),
        ("fotos.docx", files.photos_zip(), None),
        ("nota.md", b"# hola", "md"),
        ("nota.markdown", b"# hola", "md"),
        ("nota.MD", b"# hola", "md"),
        ("nota", b"hola", "txt"),
        ("prosa.md", b"A PDF starts with %PDF-1.7 and then...", "md"),  # not a PDF
        ("vacio.txt", b"", "txt"),
    ],
)
def test_the_kind_comes_from_the_content_not_the_name(tmp_path, name, data, kind):
    assert sniff(put(tmp_path, name, data), name) == kind


def test_every_kind_has_a_mime_type_and_an_extension():
    assert set(MIME_TYPES) == set(EXTENSIONS) == {"pdf", "docx", "odt", "md", "txt"}
    assert all(extension == f".{kind}" for kind, extension in EXTENSIONS.items())


# Documents without text


def test_a_scanned_pdf_is_told_apart_from_an_empty_one(tmp_path):
    outcome = read(tmp_path, "escaneo.pdf", files.scanned_pdf_bytes())
    assert (outcome.status, outcome.pages, outcome.text, outcome.reason) == ("scanned", 1, "", None)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("vacio.txt", b""),
        ("blancos.md", "\ufeff \n\n\t\n".encode()),
        ("vacio.docx", files.docx_bytes([])),
        ("blancos.docx", files.docx_bytes(["", "   "])),
        ("vacio.odt", files.odt_bytes([])),
    ],
)
def test_a_valid_file_without_text_is_empty(tmp_path, name, data):
    outcome = read(tmp_path, name, data)
    assert (outcome.status, outcome.text, outcome.reason) == ("empty", "", None)


# Broken, protected and unsupported files


def test_a_truncated_pdf_is_damaged(tmp_path):
    # pypdf cannot find the page tree in the first half of a file (the xref table and the
    # catalog come last), so nothing survives: the file is reported damaged, not half read.
    outcome = read(tmp_path, "cortado.pdf", files.truncated_pdf())
    assert (outcome.status, outcome.reason, outcome.text) == ("failed", "damaged", "")


def test_a_pdf_that_needs_a_password_is_encrypted(tmp_path):
    outcome = read(tmp_path, "secreto.pdf", files.encrypted_pdf("secreto"))
    assert (outcome.status, outcome.reason) == ("failed", "encrypted")


def test_a_pdf_only_protected_against_editing_still_gives_its_text(tmp_path):
    outcome = read(tmp_path, "protegido.pdf", files.encrypted_pdf(""))
    assert (outcome.status, outcome.text) == ("indexed", "confidencial")


def test_a_renamed_program_is_refused_and_would_be_damaged_if_parsed_anyway(tmp_path):
    path = put(tmp_path, "programa.pdf", files.fake_pdf())
    assert sniff(path, "programa.pdf") is None
    assert extract(path, "pdf") == Outcome("failed", reason="damaged")


def test_an_unknown_kind_is_not_supported(tmp_path):
    outcome = extract(put(tmp_path, "x.rtf", b"{\\rtf1}"), "rtf")
    assert (outcome.status, outcome.reason) == ("failed", "not_supported")


# Size caps


def test_a_huge_text_is_cut_at_max_chars_not_refused(tmp_path):
    data = ("campaña " * 300_000).encode()  # 2.4 million characters
    outcome = read(tmp_path, "largo.txt", data)
    assert outcome.status == "indexed"
    assert 2_000_000 - len("campaña ") < len(outcome.text) <= 2_000_000
    assert outcome.text.startswith("campaña campaña")
    short = read(tmp_path, "largo.txt", data, Limits(max_chars=1000))
    assert len(short.text) <= 1000 and short.text.endswith("campaña")


def test_a_long_pdf_is_read_up_to_max_pages_and_max_chars(tmp_path):
    data = files.pdf_bytes([f"Página {n} de la campaña" for n in range(1, 6)])
    outcome = read(tmp_path, "largo.pdf", data, Limits(max_pages=2))
    assert (outcome.status, outcome.pages) == ("indexed", 5)
    assert "Página 2" in outcome.text and "Página 3" not in outcome.text
    assert len(read(tmp_path, "largo.pdf", data, Limits(max_chars=30)).text) <= 30


# Zip bombs: refused from the directory, before any parsing, at no cost here


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = put(tmp_path, "bomba.docx", files.zip_bomb_docx())  # 1 GB of zeros in 1 MB
    assert path.stat().st_size < 2 * 2**20
    assert sniff(path, "bomba.docx") == "docx"
    with Measured() as cost:
        outcome = extract(path, "docx")
    assert (outcome.status, outcome.reason) == ("failed", "too_big_unpacked")
    cost.assert_cheap()


def test_a_small_but_tightly_packed_zip_is_refused(tmp_path):
    path = put(tmp_path, "bomba.docx", files.zip_bomb_docx(256 * 2**20))  # under 300 MB
    with Measured() as cost:
        outcome = extract(path, "docx")
    assert (outcome.status, outcome.reason) == ("failed", "packed_too_tightly")
    cost.assert_cheap()


def test_a_zip_with_too_many_entries_is_refused(tmp_path):
    path = put(tmp_path, "muchos.docx", files.many_entries_docx(5_000))
    assert sniff(path, "muchos.docx") == "docx"
    assert extract(path, "docx").reason == "too_many_entries"
    assert extract(path, "docx", Limits(zip_entries=6_000)).status == "indexed"


def test_a_zip_entry_that_lies_about_its_size_is_caught_without_inflating_it(tmp_path):
    path = put(tmp_path, "mentira.docx", files.lying_zip_docx())  # says 1 KB, holds 512 MB
    with Measured() as cost:
        outcome = extract(path, "docx")
    assert (outcome.status, outcome.reason) == ("failed", "damaged")
    cost.assert_cheap()


def test_an_odt_is_checked_like_a_docx(tmp_path):
    path = put(tmp_path, "notas.odt", files.odt_bytes(["hola"]))
    assert check_zip(path, Limits()) is None
    assert check_zip(path, Limits(zip_total_bytes=100)) == "too_big_unpacked"
    assert check_zip(path, Limits(zip_entries=2)) == "too_many_entries"


def test_every_failure_names_one_of_the_known_reasons(tmp_path):
    failures = [
        extract(put(tmp_path, "a.docx", files.zip_bomb_docx()), "docx"),
        extract(put(tmp_path, "b.pdf", files.truncated_pdf()), "pdf"),
        extract(put(tmp_path, "c.pdf", files.encrypted_pdf()), "pdf"),
    ]
    assert all(outcome.reason in REASONS for outcome in failures)


# What the child's limits stop (small limits, so this is quick)


def test_a_pdf_bomb_fails_within_the_limits(tmp_path):
    path = put(tmp_path, "bomba.pdf", files.pdf_bomb())
    with Measured() as cost:
        outcome = extract(path, "pdf", SMALL)
    assert outcome.status == "failed"
    assert outcome.reason in ("memory", "timeout")
    cost.assert_cheap()


def test_a_pdf_whose_stream_inflates_to_gigabytes_is_not_inflated(tmp_path):
    path = put(tmp_path, "bomba.pdf", files.flate_bomb_pdf())  # 4 GB of zeros in 4 MB
    with Measured() as cost:
        outcome = extract(path, "pdf", SMALL)
    # pypdf stops inflating at its own limit (75 MB) and finds no text on the page
    assert outcome.status in ("scanned", "failed")
    assert not outcome.text
    cost.assert_cheap()


def test_the_cpu_limit_stops_a_long_parse(tmp_path):
    path = put(tmp_path, "bomba.pdf", files.pdf_bomb())
    outcome = extract(path, "pdf", Limits(cpu_seconds=1, memory_bytes=2**32))
    assert (outcome.status, outcome.reason) == ("failed", "timeout")


def test_the_wall_clock_limit_stops_a_long_parse(tmp_path):
    path = put(tmp_path, "bomba.pdf", files.pdf_bomb())
    with Measured() as cost:
        outcome = extract(path, "pdf", Limits(cpu_seconds=60, wall_seconds=1.0, memory_bytes=2**32))
    assert (outcome.status, outcome.reason) == ("failed", "timeout")
    assert cost.seconds < 30


def test_the_memory_limit_stops_a_parse_that_would_fit_without_it(tmp_path):
    path = put(tmp_path, "bomba.pdf", files.pdf_bomb())
    outcome = extract(path, "pdf", Limits(cpu_seconds=60, memory_bytes=128 * 2**20))
    assert (outcome.status, outcome.reason) == ("failed", "memory")


def test_an_ordinary_pdf_fails_with_memory_under_a_tiny_limit_and_reads_under_a_small_one(tmp_path):
    path = put(tmp_path, "normal.pdf", files.pdf_bytes(["Las campañas"]))
    assert extract(path, "pdf", Limits(memory_bytes=16 * 2**20)).reason == "memory"
    assert extract(path, "pdf", Limits(memory_bytes=128 * 2**20)).text == "Las campañas"


def test_a_docx_that_passes_the_zip_checks_but_is_too_big_to_parse_fails_with_memory(tmp_path):
    path = put(tmp_path, "larguisimo.docx", files.long_docx(2_000_000))  # 120 MB of XML
    assert check_zip(path, Limits()) is None
    with Measured() as cost:  # the parent inflated all of it to check, in small chunks
        outcome = extract(path, "docx", SMALL)
    assert (outcome.status, outcome.reason) == ("failed", "memory")
    cost.assert_cheap()
