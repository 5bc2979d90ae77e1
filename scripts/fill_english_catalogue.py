"""Fill the English catalogue: the source strings are English, so each msgstr is its msgid.

Run by `make update-catalogues` after extraction, so en is always complete and current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PATH = Path(__file__).resolve().parent.parent / "app/translations/en/LC_MESSAGES/messages.po"


def main() -> int:
    with PATH.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if not message.id:
            continue
        message.string = message.id  # (singular, plural) tuple for plural messages
        message.flags.discard("fuzzy")
    with PATH.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, no_location=True, width=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
