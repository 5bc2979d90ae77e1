"""Report problems in one catalogue: untranslated, fuzzy, or placeholders that differ.

Usage: python scripts/check_catalogue.py app/translations/es/LC_MESSAGES/messages.po
"""

from __future__ import annotations

import re
import sys

from babel.messages.pofile import read_po

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def problems(path: str) -> list[str]:
    with open(path, "rb") as handle:
        catalog = read_po(handle)
    found = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        label = ids[0][:60]
        if message.fuzzy:
            found.append(f"fuzzy: {label}")
        if not all(strings):
            found.append(f"untranslated: {label}")
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for text in strings:
            if set(PLACEHOLDER.findall(text)) - wanted or (
                not isinstance(message.id, tuple) and set(PLACEHOLDER.findall(text)) != wanted
            ):
                found.append(f"placeholders differ: {label}")
    return found


if __name__ == "__main__":
    issues = problems(sys.argv[1])
    print("\n".join(issues) or "ok")
    sys.exit(1 if issues else 0)
