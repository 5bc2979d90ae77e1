"""XSS: user text never turns into markup that runs.

``assert_inert`` lists what a browser could run that the app did not put there. Every payload
of the corpus goes through Markdown, the organisation page and the display-name pages (many
per render), and a seeded sample of 500 through every other page that shows user text.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from markupsafe import escape
from sqlalchemy import insert, select, update

from app import models as m
from app.extensions import db
from app.markup import render_markdown
from app.orgs import services
from tests import factories
from tests.conftest import sign_in

SAMPLE_SIZE = 500
SEED = 20240615
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "background",
    "poster",
    "codebase",
    "dynsrc",
    "lowsrc",
}
BAD_SCHEMES = {"javascript", "vbscript", "data"}
FORBIDDEN_TAGS = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "svg",
    "math",
    "style",
}
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):", re.IGNORECASE | re.ASCII)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def url_scheme(value: str) -> str:
    """The scheme a browser sees: control characters and outer spaces dropped, ASCII case."""
    match = _SCHEME.match(_CONTROLS.sub("", value).strip(" "))
    return match.group(1).lower() if match else ""


def _on_site(url: str) -> bool:
    return url.startswith("/") and not url.startswith(("//", "/\\"))


class _InertChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def _bad(self, why: str) -> None:
        line, col = self.getpos()
        self.problems.append(f"{why} at {line}:{col}: {self.get_starttag_text() or ''}"[:300])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in reversed(attrs)}  # first one wins
        self._check_element(tag, values)
        self._check_attributes(attrs)

    def _check_element(self, tag: str, values: dict[str, str]) -> None:
        """Elements the app never emits, and script, meta, link and form pointing elsewhere."""
        if tag in FORBIDDEN_TAGS:
            self._bad(f"<{tag}> element")
        if tag == "script":
            self.in_script = True
            if not values.get("src", "").startswith("/static/"):
                self._bad("script not served from /static/")
        if tag == "meta" and "http-equiv" in values:
            self._bad("meta http-equiv")
        if tag == "link" and not values.get("href", "").startswith("/static/"):
            self._bad("link outside /static/")
        if tag == "form" and values.get("action") and not _on_site(values["action"]):
            self._bad("form posting outside the site")

    def _check_attributes(self, attrs: list[tuple[str, str | None]]) -> None:
        """Event handlers, style and srcdoc, and URLs that leave the site or run code."""
        for name, value in attrs:
            if name.startswith("on"):
                self._bad(f"event handler attribute {name}")
            elif name in ("style", "srcdoc"):
                self._bad(f"{name} attribute")
            elif name == "formaction" and value and not _on_site(value):
                self._bad("formaction outside the site")
            if name in URL_ATTRIBUTES and url_scheme(value or "") in BAD_SCHEMES:
                self._bad(f"{url_scheme(value or '')}: URL in {name}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append(f"inline script body: {data.strip()[:200]!r}")


def inert_problems(html: str) -> list[str]:
    checker = _InertChecker()
    try:
        checker.feed(html), checker.close()
    except AssertionError as error:  # html.parser gives up on some broken markup: fail closed
        checker.problems.append(f"markup the parser cannot read: {error}")
    return checker.problems


def assert_inert(html: str) -> None:
    """Fail if the HTML holds script, handlers, dangerous URLs or elements the app never emits."""
    problems = inert_problems(html)
    assert not problems, "executable markup in the page:\n" + "\n".join(problems[:20])


def _check(failures: list[str], where: str, html: str, shown=()) -> None:
    """Collect what is wrong with a page: executable markup, or user text not shown escaped."""
    problems = inert_problems(html)
    problems += [f"not shown escaped: {text!r}"[:200] for text in shown if escape(text) not in html]
    failures.extend(f"{where}: {problem}" for problem in problems)


def _assert_no_failures(failures: list[str]) -> None:
    assert not failures, f"{len(failures)} problem(s), first ones:\n" + "\n".join(failures[:25])


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _fit(column, value: str) -> str:
    """SQLite keeps the whole payload (longer than the forms allow: stricter); other
    databases get it cut to the column's length."""
    length = getattr(column.type, "length", None)
    return value if db.engine.dialect.name == "sqlite" or not length else value[:length]


def _profile(payload: str, website: str | None = None) -> dict[str, str]:
    """The columns the edit form's service stores for a profile made of the payload (it
    strips text and keeps a website only when it starts with http:// or https://)."""
    c, org = m.Organisation.__table__.c, m.Organisation()
    services._apply_profile(
        org,
        services.OrgProfile(
            name=_fit(c.name, payload),
            country="HN",
            region=_fit(c.region, payload),
            languages=["es"],
            description=payload,
            contact_email=_fit(c.contact_email, payload),
            website=_fit(c.website, payload if website is None else website),
        ),
    )
    return {
        key: getattr(org, key)
        for key in (
            "name", "country", "region", "description", "description_html", "website",
            "contact_email",
        )
    }  # fmt: skip


# Bulk inserts keep the test's own session small: the client expires it after each request.


def _insert_users(names: list[str], prefix: str) -> list[tuple[int, str]]:
    column = m.User.__table__.c.display_name
    db.session.execute(
        insert(m.User),
        [
            {
                "email": f"{prefix}{i}@example.org",
                "display_name": _fit(column, name),
                "password_hash": factories._password_hash(),
                "locale": "en",
                "timezone": "UTC",
            }
            for i, name in enumerate(names)
        ],
    )
    db.session.commit()
    return [
        tuple(row)
        for row in db.session.execute(
            select(m.User.id, m.User.display_name)
            .where(m.User.email.like(f"{prefix}%@example.org"))
            .order_by(m.User.id)
        )
    ]


def _insert_orgs(rows: list[dict], status: m.OrgStatus) -> list[int]:
    """Insert organisations (their slugs share one prefix before a dash); return the ids."""
    db.session.execute(insert(m.Organisation), [{"status": status, **row} for row in rows])
    db.session.commit()
    return list(
        db.session.scalars(
            select(m.Organisation.id)
            .where(m.Organisation.slug.like(rows[0]["slug"].split("-")[0] + "-%"))
            .order_by(m.Organisation.id)
        )
    )


def _add_members(org_id: int, user_ids) -> None:
    db.session.execute(
        insert(m.Membership),
        [{"organisation_id": org_id, "user_id": user_id} for user_id in user_ids],
    )
    db.session.commit()


@pytest.fixture
def sample(xss_payloads) -> list[str]:
    return random.Random(SEED).sample(xss_payloads, SAMPLE_SIZE)


# --- the checker itself -----------------------------------------------------------------------

DANGEROUS = [
    "<img src=x onerror=alert(1)>",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    "<svg/onload=alert(1)>",
    "<script>alert(1)</script>",
    '<a href=" &#14; java&#x09;script:alert(1)">x</a>',
    "<a href='vbscript:msgbox(1)'>x</a>",
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<iframe src="https://evil.example/"></iframe>',
    "<embed src=x.swf>",
    '<base href="https://evil.example/">',
    "<math><mi>x</mi></math>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="https://evil.example/"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    '<p style="color:red">x</p>',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<style>*{}</style>",
    '<script src="https://evil.example/x.js"></script>',
    '<script src="/static/js/timezone.js">alert(1)</script>',
]
HARMLESS = [
    '<script src="/static/js/timezone.js" defer></script>',
    '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">',
    '<form method="post" action="/organisations/x/join"></form><form method="get"></form>',
    '<a href="https://example.org/javascript:alert(1)" rel="nofollow">data: x</a>',
    "<p>&lt;script&gt;alert(1)&lt;/script&gt; onerror=alert(1)</p>",
]


@pytest.mark.parametrize("snippet", DANGEROUS)
def test_checker_fails_on_dangerous_markup(snippet):
    with pytest.raises(AssertionError, match="executable markup"):
        assert_inert(f"<p>before</p>{snippet}<p>after</p>")


def test_checker_passes_harmless_markup_and_the_apps_own_pages(world, client):
    for snippet in HARMLESS:
        assert_inert(snippet)
    for url in ("/account/register", "/organisations/", f"/organisations/{world.org.slug}"):
        assert_inert(_get(client, url))
    sign_in(client, world.admin)
    assert_inert(_get(client, "/admin/"))


def test_payload_text_is_shown_escaped_not_dropped(world, client):
    world.org.name = "<script>alert('name')</script>Comité"
    world.org.description = "Hello `<script>alert(2)</script>` and <img src=x onerror=alert(3)>"
    world.member.display_name = '"><svg/onload=alert(4)>Ana'
    db.session.commit()
    services.request_to_join(world.outsider, world.org, "<iframe src=javascript:alert(5)>")
    html = _get(client, f"/organisations/{world.org.slug}")
    assert_inert(html)
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;Comité" in html
    assert "<code>&lt;script&gt;alert(2)&lt;/script&gt;</code>" in html  # Markdown code span
    assert "onerror" not in html  # raw HTML in Markdown is stripped by nh3
    sign_in(client, world.coordinator)
    html = _get(client, f"/organisations/{world.org.slug}/members")
    assert_inert(html)
    assert "&#34;&gt;&lt;svg/onload=alert(4)&gt;Ana" in html
    html = _get(client, f"/organisations/{world.org.slug}/requests")
    assert_inert(html)
    assert "&lt;iframe src=javascript:alert(5)&gt;" in html


# --- the whole corpus -------------------------------------------------------------------------


@pytest.mark.slow
def test_every_payload_through_render_markdown_is_inert(xss_payloads):
    failures = [
        f"{payload!r}: {problem}"
        for payload in xss_payloads
        for problem in inert_problems(str(render_markdown(payload)))
    ]
    _assert_no_failures(failures)


@pytest.mark.slow
def test_every_payload_on_the_public_org_page_is_inert(db, client, xss_payloads):
    """Two payloads per organisation page: A as name, description and the path of a real
    website; B as region and contact e-mail. Every payload as a bare website must be
    dropped by the service unless it is an http(s) address."""
    rows, failures = [], []
    for j in range(0, len(xss_payloads), 2):
        a, b = xss_payloads[j], xss_payloads[min(j + 1, len(xss_payloads) - 1)]
        row, other = _profile(a, website="https://example.org/" + a), _profile(b)
        rows.append(
            {
                **row,
                "slug": f"pub-{j}",
                "region": other["region"],
                "contact_email": other["contact_email"],
            }
        )
    failures += [
        f"website stored as {site!r}"
        for site in (_profile(payload)["website"] for payload in xss_payloads)
        if site and not site.lower().startswith(("http://", "https://"))
    ]
    _insert_orgs(rows, m.OrgStatus.APPROVED)
    for row in rows:
        _check(
            failures,
            row["slug"],
            _get(client, f"/organisations/{row['slug']}"),
            (row["name"], row["region"], row["contact_email"]),
        )
    _assert_no_failures(failures)


@pytest.mark.slow
def test_every_payload_as_a_display_name_is_inert(world, client, xss_payloads):
    """Members page (200 members per organisation, seen by a member) and admin accounts list."""
    users, failures = _insert_users(xss_payloads, "name"), []
    sign_in(client, world.member)
    for start in range(0, len(users), 200):
        batch = users[start : start + 200]
        org = factories.make_org(f"Batch {start}")
        _add_members(org.id, [world.member.id] + [user_id for user_id, _ in batch])
        html = _get(client, f"/organisations/{org.slug}/members")
        _check(failures, f"members of {org.slug}", html, [name for _, name in batch])
    sign_in(client, world.admin)
    for page in range(1, len(users) // 50 + 2):
        _check(failures, f"admin users page {page}", _get(client, f"/admin/users?page={page}"))
    _assert_no_failures(failures)


# --- a seeded sample through every other page -------------------------------------------------


@pytest.mark.slow
def test_sample_in_directory_admin_queue_audit_and_outbox(world, client, sample):
    askers, failures = _insert_users(sample, "asker"), []
    listed = _insert_orgs(
        [{**_profile(p), "slug": f"dir-{i}"} for i, p in enumerate(sample)], m.OrgStatus.APPROVED
    )
    queued = [
        {**_profile(p), "slug": f"queue-{i}", "requested_by_id": askers[i][0]}
        for i, p in enumerate(sample)
    ]
    queued_ids = _insert_orgs(queued, m.OrgStatus.PENDING)
    for page in range(1, len(sample) // 20 + 2):  # region filter lists all 500 regions too
        _check(failures, f"directory page {page}", _get(client, f"/organisations/?page={page}"))
    sign_in(client, world.admin)
    _check(
        failures,
        "admin queue",
        _get(client, "/admin/"),
        [o["name"] for o in queued] + [name for _, name in askers],
    )
    db.session.execute(
        insert(m.AuditEntry),
        [  # payload people and organisations in the log
            {
                "actor_id": askers[i][0],
                "action": "member.remove",
                "organisation_id": listed[i],
                "target_user_id": askers[-i - 1][0],
                "details": {},
            }
            for i in range(len(sample))
        ],
    )
    for i, org_id in enumerate(queued_ids[:100]):  # the reason goes to the log and the outbox
        org = db.session.get(m.Organisation, org_id)
        services.reject_organisation(world.admin, org, sample[i])
        db.session.expunge(org)
    for page in range(1, len(sample) // 50 + 4):
        _check(failures, f"audit page {page}", _get(client, f"/admin/audit?page={page}"))
    for page in range(1, 100 // 20 + 2):
        _check(failures, f"outbox page {page}", _get(client, f"/admin/outbox?page={page}"))
    _assert_no_failures(failures)


@pytest.mark.slow
def test_sample_in_coordinator_pages(world, client, sample):
    """Join requests (name + message), invitations (note + 'used by' name), members list."""
    org_id, slug, coordinator_id = world.org.id, world.org.slug, world.coordinator.id
    people, failures = _insert_users(sample, "joiner"), []
    message = m.JoinRequest.__table__.c.message
    db.session.execute(
        insert(m.JoinRequest),
        [
            {"organisation_id": org_id, "user_id": people[i][0], "message": _fit(message, text)}
            for i, text in enumerate(sample)
        ],
    )
    db.session.commit()
    sign_in(client, world.coordinator)
    _check(
        failures,
        "join requests",
        _get(client, f"/organisations/{slug}/requests"),
        [name for _, name in people] + list(db.session.scalars(select(message))),
    )
    now, note = m.utcnow(), m.Invitation.__table__.c.note
    for start in range(0, len(sample), 50):  # the page shows the 50 newest invitations
        batch = range(start, min(start + 50, len(sample)))
        db.session.execute(
            insert(m.Invitation),
            [
                {
                    "organisation_id": org_id,
                    "token_hash": f"{i:064d}",
                    "note": _fit(note, sample[i]),
                    "created_by_id": coordinator_id,
                    "created_at": now + timedelta(seconds=i),
                    "expires_at": now + timedelta(days=14),
                    "used_at": now if i % 2 else None,
                    "used_by_id": people[i][0] if i % 2 else None,
                }
                for i in batch
            ],
        )
        db.session.commit()
        html = _get(client, f"/organisations/{slug}/invitations")
        _check(
            failures,
            f"invitations from {start}",
            html,
            [_fit(note, sample[i]) for i in batch] + [people[i][1] for i in batch if i % 2],
        )
    _add_members(org_id, [user_id for user_id, _ in people])  # coordinator view: role forms
    _check(
        failures,
        "members",
        _get(client, f"/organisations/{slug}/members"),
        [name for _, name in people],
    )
    _assert_no_failures(failures)


@pytest.mark.slow
def test_sample_in_form_fields_and_query_strings(world, client, sample):
    """The edit and profile forms put stored text in value= and <textarea>; the directory
    and the account search echo the query string."""
    org_id, slug, coordinator_id = world.org.id, world.org.slug, world.coordinator.id
    failures: list[str] = []
    sign_in(client, world.coordinator)
    for i, payload in enumerate(sample[:100]):
        profile = _profile(payload)
        db.session.execute(
            update(m.Organisation).where(m.Organisation.id == org_id).values(profile)
        )
        db.session.execute(
            update(m.User)
            .where(m.User.id == coordinator_id)
            .values(display_name=_fit(m.User.__table__.c.display_name, payload))
        )
        db.session.commit()
        _check(
            failures,
            f"edit form {i}",
            _get(client, f"/organisations/{slug}/edit"),
            (profile["name"], profile["region"], profile["description"]),
        )
        _check(failures, f"profile form {i}", _get(client, "/account/profile"))
    sign_in(client, world.admin)
    for i, payload in enumerate(sample[100:200]):
        _check(
            failures, f"users search {i}", _get(client, "/admin/users?" + urlencode({"q": payload}))
        )
        _check(
            failures,
            f"directory search {i}",
            _get(client, "/organisations/?" + urlencode({"q": payload[:100]})),
        )
    _assert_no_failures(failures)


@pytest.mark.slow
def test_sample_in_the_library_and_search_results(world, client, sample):
    """Titles, tags, file names and extracted text of documents, and search snippets of them."""
    import io

    from app.library import services as library
    from app.library import worker

    failures: list[str] = []
    documents = []
    for i, payload in enumerate(sample[:50]):  # searches are limited to 60 a minute
        details = library.Details(
            title=f"xsstitle {payload}"[:200], description=payload, language="es",
            tags=[payload[:40]], visibility=m.DocumentVisibility.PUBLIC,
        )  # fmt: skip
        text = f"huella{i} desaparecidos {payload} fin".encode()
        document, _ = library.add_document(
            world.member, world.org, io.BytesIO(text), f"{payload[:150]}.txt", details
        )
        documents.append((document.id, document.title, i))
    worker.run_pending()
    newest = [title for _, title, _ in documents[-20:]]  # the first page: newest first
    _check(failures, "library", _get(client, "/library/"), newest)
    for document_id, title, i in documents:
        html = _get(client, f"/library/{document_id}")
        _check(failures, f"document {document_id}", html, [title])
        found = _get(client, "/search?" + urlencode({"q": f"huella{i} desaparecidos"}))
        _check(failures, f"search {document_id}", found)
        assert "<mark>" in found, found[:500]
    _check(failures, "search all", _get(client, "/search?" + urlencode({"q": "desaparecidos"})))
    _assert_no_failures(failures)
