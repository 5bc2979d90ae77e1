"""The child process that reads one uploaded file's text, under limits it sets on itself first.

Run as a script in isolated mode (``python -I -B extract_child.py KIND PATH LIMITS_JSON``) so
neither the Flask app nor anything else of ours is imported: only the standard library and
the one parser the file needs. The limits are set here rather than in a ``preexec_fn``
because the parent is a threaded web process, where running Python code between fork and
exec can deadlock. The result is one JSON object on stdout; if the process dies instead (CPU
limit, out of memory in C code), the parent reads that from its exit status.
"""

from __future__ import annotations

import json
import re
import resource
import sys

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")
# Room above the memory limit that only the error report may use (see _report_memory).
REPORT_HEADROOM = 32 * 2**20


def normalise(text: str) -> str:
    """Text without control characters (but newlines and tabs), blank line runs collapsed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


class _Collector:
    """Pieces of text, kept until there are max_chars of them."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.pieces: list[str] = []
        self.length = 0

    def add(self, piece: str) -> bool:
        """Keep a piece (cleaned as it comes, so dropped characters do not use the budget)."""
        piece = normalise(piece)
        self.pieces.append(piece)
        self.length += len(piece) + 2
        return self.length >= self.max_chars

    def text(self, separator: str) -> str:
        """All kept pieces, joined and cut to max_chars."""
        return normalise(separator.join(self.pieces))[: self.max_chars].rstrip()


def read_pdf(path: str, limits: dict) -> dict:
    """A PDF's text page by page with pypdf; "scanned" when its pages hold no text at all."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    reader = PdfReader(path)
    if reader.is_encrypted:
        try:  # many "protected" PDFs only restrict editing and open with the empty password
            if not reader.decrypt(""):
                return {"status": "failed", "reason": "encrypted"}
        except (DependencyError, FileNotDecryptedError, NotImplementedError):
            return {"status": "failed", "reason": "encrypted"}
    pages = len(reader.pages)
    collector = _Collector(limits["max_chars"])
    for number, page in enumerate(reader.pages):
        if number >= limits["max_pages"] or collector.add(page.extract_text() or ""):
            break
    text = collector.text("\n\n")
    if text:
        return {"status": "indexed", "text": text, "pages": pages}
    return {"status": "scanned" if pages else "empty", "pages": pages}


def read_docx(path: str, limits: dict) -> dict:
    """A DOCX's paragraphs, those in table cells and text boxes included, in document order."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    body = Document(path).element.body
    # A text box comes twice, the second copy (mc:Fallback) for old readers: skip that one.
    fallback = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
    collector = _Collector(limits["max_chars"])
    for element in body.iter(qn("w:p")):
        if any(ancestor.tag == fallback for ancestor in element.iterancestors()):
            continue
        if collector.add(Paragraph(element, None).text):
            break
    return _result(collector.text("\n"))


def read_odt(path: str, limits: dict) -> dict:
    """An ODT's headings and paragraphs in document order, with odfpy."""
    from odf import teletype
    from odf.namespaces import TEXTNS
    from odf.opendocument import load

    wanted = {(TEXTNS, "p"), (TEXTNS, "h")}
    collector = _Collector(limits["max_chars"])
    stack = [load(path).text]
    while stack:  # depth first, by hand: deep nesting must not exhaust Python's stack
        node = stack.pop()
        if getattr(node, "qname", None) in wanted:
            if collector.add(teletype.extractText(node)):
                break
            continue
        stack.extend(reversed(node.childNodes))
    return _result(collector.text("\n"))


def read_text(path: str, limits: dict) -> dict:
    """A UTF-8 text or Markdown file's text (its BOM dropped), at most max_chars of it."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    with open(path, "rb") as f:  # UTF-8 is at most 4 bytes a character
        text = decoder.decode(f.read(limits["max_chars"] * 4 + 4))
    return _result(normalise(text)[: limits["max_chars"]].rstrip())


def _result(text: str) -> dict:
    return {"status": "indexed", "text": text} if text else {"status": "empty"}


READERS = {"pdf": read_pdf, "docx": read_docx, "odt": read_odt, "md": read_text, "txt": read_text}


def limit_self(limits: dict) -> None:
    """Bound this process's memory, CPU time, file writes and processes, for good."""
    memory = limits["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory + REPORT_HEADROOM))
    cpu = limits["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU, then SIGKILL
    # stdout and stderr are files of the parent's: this caps what we can put in them
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["output_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # no helper programs, no threads


def _report_memory() -> dict:
    """The memory failure, with the headroom above the soft limit unlocked to say so."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    return {"status": "failed", "reason": "memory"}


def _failure(exc: Exception) -> dict:
    """The reason a parser gave up: memory as C libraries report it, else damaged."""
    name = type(exc).__name__
    if name in ("FileNotDecryptedError", "WrongPasswordError"):
        return {"status": "failed", "reason": "encrypted"}
    if name == "LimitReachedError":  # pypdf's own guard against streams that inflate too far
        return {"status": "failed", "reason": "too_big_unpacked"}
    # libxml2 (under lxml) turns a failed allocation into a parse error, "Memory allocation
    # failed" or only "unknown error": judge by how close to the limit the process came.
    if "Memory allocation failed" in str(exc)[:200] or _came_near_memory_limit():
        return _report_memory()
    return {"status": "failed", "reason": "damaged"}


def _came_near_memory_limit() -> bool:
    """Whether this process's peak address space came within 64 MB of its limit (Linux)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    try:
        with open("/proc/self/status") as status:
            peak = next(line for line in status if line.startswith("VmPeak:"))
    except (OSError, StopIteration):
        return False
    return soft != resource.RLIM_INFINITY and int(peak.split()[1]) * 1024 > soft - 64 * 2**20


def main(argv: list[str]) -> int:
    """Read the file named on the command line and write the outcome as JSON on stdout."""
    kind, path, limits = argv[1], argv[2], json.loads(argv[3])
    limit_self(limits)
    try:
        import logging

        logging.disable(logging.CRITICAL)  # parsers' warnings about odd files are not news
        result = READERS[kind](path, limits)
    except MemoryError:
        result = _report_memory()
    except RecursionError:
        result = {"status": "failed", "reason": "damaged"}
    except Exception as exc:  # any parser error on a hostile or broken file
        result = _failure(exc)
    sys.stdout.buffer.write(json.dumps(result, ensure_ascii=False).encode())
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
