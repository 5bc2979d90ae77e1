"""A manifesto as files: Markdown, HTML and Word (DOCX), each naming its revision and signers.

Every file states the revision it holds (number, date and the start of the text's SHA-256)
and the organisations that signed it, saying which signed an earlier revision. The HTML is
the stored, sanitised rendering of the text; the Word file is built paragraph by paragraph
from the Markdown (headings, lists, paragraphs), with no markup taken from the text.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from docx import Document as WordDocument
from flask import render_template
from flask_babel import format_date
from flask_babel import gettext as _

from app.i18n import country_name
from app.manifestos import endorsements, revisions
from app.models import Endorsement, Manifesto, ManifestoRevision

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_INLINE = re.compile(r"(\*\*|__|\*|_|`)")


@dataclass(frozen=True)
class Export:
    """What every format states: the revision, and who signed (which revision)."""

    manifesto: Manifesto
    revision: ManifestoRevision
    signers: list[Endorsement]

    def revision_line(self) -> str:
        """Which revision this is: number, date, start of its fingerprint."""
        return _(
            "Version %(number)d of %(date)s (fingerprint %(hash)s).",
            number=self.revision.number,
            date=format_date(self.revision.created_at, "long"),
            hash=self.revision.content_hash[:16],
        )

    def signer_line(self, endorsement: Endorsement) -> str:
        """One signer: organisation, country, person, and an older revision if so."""
        where = country_name(endorsement.organisation.country)
        line = f"{endorsement.organisation.name} ({where}), {endorsement.signer_name}"
        if not endorsements.signs(endorsement, self.revision.content_hash):
            line += " — " + _("signed version %(number)d", number=endorsement.revision.number)
        return line


def prepare(manifesto: Manifesto) -> Export:
    """The current text as a revision (a checkpoint if it changed), and the signers."""
    return Export(manifesto, revisions.current(manifesto), endorsements.active(manifesto))


def markdown(export: Export) -> str:
    """The Markdown source, under a title and a revision line, signers at the end."""
    lines = [f"# {export.manifesto.title}", "", f"*{export.revision_line()}*", "",
             export.revision.text.strip(), ""]  # fmt: skip
    if export.signers:
        lines += ["---", "", f"## {_('Signed by')}", ""]
        lines += [f"- {export.signer_line(e)}" for e in export.signers]
    return "\n".join(lines) + "\n"


def html(export: Export) -> str:
    """A standalone HTML file (its own light style; the text's stored, sanitised HTML)."""
    return render_template("manifestos/export.html", export=export)


def docx(export: Export) -> bytes:
    """A Word file: title, revision line, the text's headings, lists and paragraphs, signers."""
    document = WordDocument()
    document.core_properties.title = export.manifesto.title
    document.core_properties.language = export.manifesto.language
    document.add_heading(export.manifesto.title, level=0)
    document.add_paragraph().add_run(export.revision_line()).italic = True
    for block in re.split(r"\n[ \t]*\n", export.revision.text.strip()):
        for line in block.splitlines() if _is_list(block) else [" ".join(block.split())]:
            _add_line(document, line)
    if export.signers:
        document.add_heading(_("Signed by"), level=1)
        for endorsement in export.signers:
            document.add_paragraph(export.signer_line(endorsement), style="List Bullet")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _is_list(block: str) -> bool:
    return all(_ITEM.match(line) for line in block.splitlines() if line.strip())


def _plain(text: str) -> str:
    """Markdown emphasis marks taken out (Word gets the words, not the syntax)."""
    return _INLINE.sub("", text).strip()


def _add_line(document, line: str) -> None:
    if not line.strip():
        return
    heading = _HEADING.match(line)
    item = _ITEM.match(line)
    if heading:
        document.add_heading(_plain(heading.group(2)), level=min(len(heading.group(1)), 4))
    elif item:
        document.add_paragraph(_plain(item.group(1)), style="List Bullet")
    else:
        document.add_paragraph(_plain(line))
