"""Security headers, CSRF, redirects, page weight and the closed-network rule."""

from __future__ import annotations

import gzip
import re
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.extensions import db
from app.security import safe_next
from tests.conftest import csrf_token_from, running_app, sign_in
from tests.factories import PASSWORD, make_user

STATIC = Path(__file__).resolve().parent.parent / "static"
PAGE_BUDGET = 60 * 1024  # bytes of HTML + CSS + JS for one page


def test_pages_carry_security_headers(client):
    """Every page forbids inline scripts, framing and content sniffing."""
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "style-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_no_inline_script_or_style_in_pages(client, world):
    """Pages contain no inline script, style element or style attribute (CSP would block them)."""
    sign_in(client, world.coordinator)
    for url in [
        "/",
        "/organisations/",
        f"/organisations/{world.org.slug}",
        f"/organisations/{world.org.slug}/members",
        "/account/profile",
        f"/organisations/{world.org.slug}/invitations",
    ]:
        html = client.get(url).get_data(as_text=True)
        assert "<style" not in html, url
        assert " style=" not in html, url
        for match in re.finditer(r"<script([^>]*)>(.*?)</script>", html, re.S):
            assert 'src="/static/' in match.group(1) and not match.group(2).strip(), url


@pytest.fixture
def csrf_app(tmp_path):
    """An application with CSRF protection on, as in production."""
    with running_app(tmp_path, WTF_CSRF_ENABLED=True) as app:
        yield app


def test_form_without_csrf_token_is_refused(csrf_app):
    """A form posted without its hidden token (e.g. from another site) is refused."""
    user = make_user(email="rosa@example.org")
    client = csrf_app.test_client()
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert client.get("/account/profile").status_code == 302  # still signed out


def test_form_with_csrf_token_is_accepted(csrf_app):
    """The same form with the token from the page signs the person in."""
    user = make_user(email="rosa@example.org")
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/account/login").get_data(as_text=True))
    response = client.post(
        "/account/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert client.get("/account/profile").status_code == 200


def test_sign_out_needs_csrf_token(csrf_app):
    """Another site cannot sign a person out by posting to the sign-out address."""
    user = make_user()
    client = csrf_app.test_client()
    sign_in(client, user)
    assert client.post("/account/logout").status_code == 400
    assert client.get("/account/profile").status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_next_never_leaves_the_site(target):
    """After sign-in, a 'next' address outside the site sends the person home instead."""
    assert safe_next(target) == "/"


def test_next_keeps_local_paths():
    """A 'next' address on the site is followed."""
    assert safe_next("/organisations/x?page=2") == "/organisations/x?page=2"


def test_language_switch_ignores_external_next(client):
    """The language links cannot be used to bounce people to another site."""
    response = client.get("/language/fr?next=https://evil.example/")
    assert response.headers["Location"] == "/"


class _Resources(HTMLParser):
    """Collects every address a page would make the browser load by itself."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in {"script", "img", "iframe", "audio", "video", "source", "embed"}:
            self.loads.append(values.get("src") or "")
        if tag == "link":
            self.loads.append(values.get("href") or "")
        if tag == "object":
            self.loads.append(values.get("data") or "")


def _page_urls(world) -> list[str]:
    slug = world.org.slug
    return [
        "/",
        "/organisations/",
        f"/organisations/{slug}",
        f"/organisations/{slug}/members",
        f"/organisations/{slug}/invitations",
        f"/organisations/{slug}/requests",
        f"/organisations/{slug}/edit",
        "/organisations/new",
        "/account/profile",
        "/account/login",
        "/account/register",
        "/account/reset",
        "/admin/",
        "/admin/users",
        "/admin/audit",
        "/admin/outbox",
        "/no-such-page",
    ]


def _client_for(app, world, url):
    client = app.test_client()
    if url.startswith("/admin"):
        sign_in(client, world.admin)
    elif not url.startswith(("/account/login", "/account/register", "/account/reset")):
        sign_in(client, world.coordinator)
    return client


def test_pages_load_nothing_from_outside(app, world):
    """No page asks the browser for anything from another host (closed networks work)."""
    for url in _page_urls(world):
        html = _client_for(app, world, url).get(url).get_data(as_text=True)
        parser = _Resources()
        parser.feed(html)
        for address in parser.loads:
            assert address.startswith("/static/"), (url, address)
    css = (STATIC / "css" / "caravana.css").read_text()
    assert not re.search(r"url\((?!['\"]?data:)", css), "the stylesheet loads a file"
    assert "@import" not in css


BROWSER_ENCODINGS = {"Accept-Encoding": "gzip, deflate"}  # what a phone offers over plain HTTP


def _decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    data = response.get_data()
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "deflate":
        return zlib.decompress(data)
    return data


def page_weight(client, url: str) -> int:
    """Bytes a phone downloads for a page and the CSS and scripts it loads (compressed)."""
    page = client.get(url, headers=BROWSER_ENCODINGS)
    parser = _Resources()
    parser.feed(_decoded(page).decode())
    return len(page.get_data()) + sum(
        len(client.get(address, headers=BROWSER_ENCODINGS).get_data()) for address in parser.loads
    )


def test_every_page_is_within_the_weight_budget(app, world):
    """Each page, with the CSS and scripts it loads, stays under 60 KB for slow phones."""
    for url in _page_urls(world):
        total = page_weight(_client_for(app, world, url), url)
        assert total <= PAGE_BUDGET, f"{url} weighs {total} bytes"


def test_pages_travel_compressed(client):
    """Pages and the stylesheet are sent compressed to phones that accept it."""
    for url in ["/organisations/", "/static/css/caravana.css"]:
        response = client.get(url, headers=BROWSER_ENCODINGS)
        assert response.headers["Content-Encoding"] in {"gzip", "deflate"}
        assert len(_decoded(response)) > 2 * len(response.get_data())


def test_guessing_a_membership_id_of_another_organisation_is_404(client, world):
    """A coordinator cannot reach another organisation's members by changing an id."""
    from app.models import Membership, Role
    from tests.factories import add_member, make_org

    other = make_org("Other committee")
    stranger = add_member(other, make_user("Stranger"), Role.MEMBER)
    sign_in(client, world.coordinator)
    response = client.post(f"/organisations/{world.org.slug}/members/{stranger.id}/remove")
    assert response.status_code == 404
    assert db.session.get(Membership, stranger.id) is not None


def test_requests_for_new_organisations_are_rate_limited(client, world):
    """One account cannot flood the approval queue with requests."""
    sign_in(client, world.outsider)
    form = {"name": "Flood", "country": "HN", "languages": ["es"]}
    statuses = [client.post("/organisations/new", data=form).status_code for _ in range(11)]
    assert statuses[:10] == [302] * 10
    assert statuses[10] == 429


def test_room_page_is_within_the_weight_budget(app, world):
    """A room showing a full page of messages, with the live client, stays under 60 KB."""
    from app.models import RoomScope
    from app.rooms import services

    room = services.create_room(world.coordinator, RoomScope.ORGANISATION, "Café", "", world.org)
    for number in range(60):
        author = world.member if number % 2 else world.coordinator
        body = f"Mensaje número {number}: nos vemos el martes en la **plaza** central."
        services.post_message(author, room, body, f"weight-{number:04d}")
    client = app.test_client()
    sign_in(client, world.member)
    for url in ["/rooms/", f"/rooms/{room.id}"]:
        total = page_weight(client, url)
        assert total <= PAGE_BUDGET, f"{url} weighs {total} bytes"
    assert "socket.io.min.js" in client.get(f"/rooms/{room.id}").get_data(as_text=True)
