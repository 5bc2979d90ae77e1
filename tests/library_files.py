"""Documents for the library's tests: ordinary ones, and hostile ones that must stay cheap.

The hostile files are made without ever holding what they unpack to: a deflate stream of one
repeated block ends each block with a full flush (which forgets the history), so the
compressed block can simply be repeated; a gigabyte of zeros costs a megabyte and a moment.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

from docx import Document
from fpdf import FPDF
from odf import text as odf_text
from odf.opendocument import OpenDocumentText
from pypdf import PdfReader, PdfWriter

GIB = 2**30


def pdf_bytes(pages: list[str]) -> bytes:
    """A PDF with one page per string, in Helvetica (latin-1 text such as "campañas")."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for page in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, page)
    return bytes(pdf.output())


def scanned_pdf_bytes() -> bytes:
    """A PDF whose one page holds only a drawing, as a scan holds only an image."""
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    pdf.line(20, 100, 180, 250)
    return bytes(pdf.output())


def docx_bytes(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    """A DOCX with these paragraphs, then a table with these rows if given."""
    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def odt_bytes(paragraphs: list[str], heading: str | None = None) -> bytes:
    """An ODT with a heading if given, then these paragraphs."""
    document = OpenDocumentText()
    if heading:
        document.text.addElement(odf_text.H(outlinelevel=1, text=heading))
    for paragraph in paragraphs:
        document.text.addElement(odf_text.P(text=paragraph))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def _repeated_deflate(block: bytes, times: int) -> bytes:
    """A raw deflate stream of `block` repeated `times` times, built without inflating it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    return segment * times + compressor.flush(zlib.Z_FINISH)


def _repeated_crc(block: bytes, times: int) -> int:
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    return crc


def _zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip of (name, raw deflate data, crc, size, declared size) entries, written by hand."""
    body, directory = io.BytesIO(), io.BytesIO()
    for name, data, crc, _size, declared in entries:
        encoded = name.encode()
        offset = body.tell()
        fields = (8, 0, 0x21, crc, len(data), declared, len(encoded))
        body.write(struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, *fields, 0))
        body.write(encoded + data)
        central = (b"PK\x01\x02", 20, 0, 20, 0, 0, *fields, 0, 0, 0, 0, 0, offset)
        directory.write(struct.pack("<4s4B4HL2L5H2L", *central) + encoded)
    count, start = len(entries), body.tell()
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, directory.tell(), start, 0)
    return body.getvalue() + directory.getvalue() + end


def _docx_with(document_xml: tuple[bytes, int, int, int]) -> bytes:
    """A real DOCX whose word/document.xml is replaced by (data, crc, size, declared size)."""
    entries = []
    with zipfile.ZipFile(io.BytesIO(docx_bytes(["x"]))) as original:
        for info in original.infolist():
            if info.filename == "word/document.xml":
                entries.append((info.filename, *document_xml))
                continue
            content = original.read(info)
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            data = packer.compress(content) + packer.flush()
            entries.append((info.filename, data, zlib.crc32(content), len(content), len(content)))
    return _zip(entries)


def zip_bomb_docx(unpacked: int = GIB) -> bytes:
    """A DOCX whose word/document.xml inflates to `unpacked` bytes of zeros (1 GB: ~1 MB)."""
    block = bytes(2**20)
    times = unpacked // len(block)
    data = _repeated_deflate(block, times)
    return _docx_with((data, _repeated_crc(block, times), unpacked, unpacked))


def lying_zip_docx(unpacked: int = 512 * 2**20) -> bytes:
    """A DOCX whose document.xml declares 1,000 bytes but inflates to `unpacked` (512 MB)."""
    block = b" " * 2**20
    times = unpacked // len(block)
    data = _repeated_deflate(block, times)
    return _docx_with((data, _repeated_crc(block, times), unpacked, 1000))


def photos_zip() -> bytes:
    """A zip archive that is no document: a folder of photos."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("fotos/asamblea.jpg", b"\xff\xd8\xff\xe0" + bytes(64))
    return out.getvalue()


def many_entries_docx(extra: int) -> bytes:
    """A real DOCX with `extra` more (tiny) entries in its archive."""
    out = io.BytesIO(docx_bytes(["x"]))
    with zipfile.ZipFile(out, "a") as archive:
        for number in range(extra):
            archive.writestr(f"extra/item{number}.xml", b"<a/>")
    return out.getvalue()


def long_docx(paragraphs: int) -> bytes:
    """A DOCX of `paragraphs` numbered paragraphs: packed like a real one, only very long."""
    start, end = b'<w:document xmlns:w="%s"><w:body>' % _W, b"</w:body></w:document>"
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    data, crc, size = [packer.compress(start)], zlib.crc32(start), len(start)
    for first in range(0, paragraphs, 10_000):
        chunk = b"".join(
            b"<w:p><w:r><w:t>p\xc3\xa1rrafo %d de la campa\xc3\xb1a</w:t></w:r></w:p>" % n
            for n in range(first, min(paragraphs, first + 10_000))
        )
        data.append(packer.compress(chunk))
        crc, size = zlib.crc32(chunk, crc), size + len(chunk)
    data.append(packer.compress(end) + packer.flush())
    crc, size = zlib.crc32(end, crc), size + len(end)
    return _docx_with((b"".join(data), crc, size, size))


_W = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (numbered from 1, the first the catalog), with its xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
    out.write(trailer % (len(objects) + 1, xref))
    return out.getvalue()


def pdf_bomb(pages: int = 500, operations: int = 200_000) -> bytes:
    """A PDF of `pages` pages sharing one packed content stream of `operations` text operators.

    Each operator becomes several Python objects when pypdf reads a page, and every page is
    read anew: minutes of CPU and a few hundred MB at a time from a 40 KB file. Each stream
    stays under pypdf's own limits (tokens per stream, inflated size), so the child's limits
    are what stop it.
    """
    block = b"BT /F1 12 Tf 72 720 Td (campa\xf1as) Tj ET\n" * 1000
    times = operations // 1000
    adler = 1
    for _ in range(times):
        adler = zlib.adler32(block, adler)
    stream = b"\x78\xda" + _repeated_deflate(block, times) + struct.pack(">L", adler)
    kids = b" ".join(b"%d 0 R" % (5 + number) for number in range(pages))
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R"
        b" /Resources << /Font << /F1 4 0 R >> >> >>"
    )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        + [page] * pages
    )


def flate_bomb_pdf(unpacked: int = 4 * GIB) -> bytes:
    """A one-page PDF whose content stream inflates to `unpacked` bytes of zeros (4 GB: 4 MB)."""
    block = bytes(2**20)
    # The checksum is never reached: anything reading this stops long before its end.
    stream = b"\x78\xda" + _repeated_deflate(block, unpacked // len(block)) + b"\0\0\0\0"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream),
        ]
    )


def truncated_pdf() -> bytes:
    """A real three page PDF cut in half."""
    whole = pdf_bytes(["primera página", "segunda página", "tercera página"])
    return whole[: len(whole) // 2]


def encrypted_pdf(user_password: str = "secreto") -> bytes:  # noqa: S107 (a test file)
    """A PDF that needs `user_password` to open ("" gives one that opens without any)."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf_bytes(["confidencial"]))))
    # RC4 needs no cryptography package, which pypdf wants for AES.
    writer.encrypt(user_password, owner_password="propietario", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fake_pdf() -> bytes:
    """An executable's bytes, as one renamed to .pdf would have."""
    noise = random.Random(7).randbytes(4096)
    return b"\x7fELF\x02\x01\x01\x00" + bytes(8) + noise
