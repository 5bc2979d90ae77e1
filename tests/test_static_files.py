"""Static files carry a content hash in their address and are cached for a year.

A slow phone asked again for the style sheet and scripts on every page. Now each page links
them at ``?v=<hash of the bytes>`` and that exact address is ``immutable`` for a year; a
changed file gets a new address; an address without the current hash is revalidated.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tests.conftest import sign_in

STATIC = Path(__file__).resolve().parent.parent / "static"


def _linked(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_every_static_address_on_a_page_carries_its_content_hash(client, world):
    sign_in(client, world.member)
    linked = _linked(client.get("/").get_data(as_text=True)) + _linked(
        client.get("/rooms/").get_data(as_text=True)
    )
    assert any("caravana.css" in url for url in linked) and any(".js" in url for url in linked)
    for url in linked:
        path, version = re.fullmatch(r"/static/(.+)\?v=([0-9a-f]{12})", url).groups()
        assert version == hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]


def test_the_hashed_address_is_cached_for_a_year_and_others_are_revalidated(client):
    url = _linked(client.get("/").get_data(as_text=True))[0]
    fresh = client.get(url)
    assert fresh.status_code == 200
    assert fresh.cache_control.max_age == 365 * 24 * 3600
    assert fresh.cache_control.immutable and fresh.cache_control.public
    assert not fresh.cache_control.no_cache
    for other in (url.split("?")[0], url.split("?")[0] + "?v=000000000000"):
        answer = client.get(other)
        assert answer.status_code == 200
        assert not answer.cache_control.immutable
        assert answer.cache_control.max_age != 365 * 24 * 3600


def test_a_missing_file_is_not_hashed_and_answers_404(client):
    assert client.get("/static/no-such-file.css").status_code == 404
    assert client.get("/static/../setup.cfg").status_code == 404
