"""Manifestos: starting one, the committee, reading and writing the text with and without a
script, a stale save shown as a conflict (never an overwrite), stages, user text inert.

Who gets which page is in the role x route table (test_permissions_matrix.py); the live
protocol itself in test_collab.py. Here: what people do with a manifesto.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.manifestos import services
from app.models import DraftVisibility, Manifesto, ManifestoStatus, Membership, Role
from tests import factories
from tests.conftest import sign_in
from tests.test_collab import Editor
from tests.test_xss import inert_problems


def start(world, visibility=DraftVisibility.COMMITTEE) -> Manifesto:
    details = services.Details(title="Verdad y justicia", language="es", visibility=visibility)
    return services.start(world.coordinator, world.org, details)


def version_of(page: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)


def test_a_coordinator_starts_a_manifesto_and_the_committee_writes_it(client, world):
    sign_in(client, world.coordinator)
    response = client.post(
        "/manifestos/new",
        data={"title": "Por nuestros desaparecidos", "organisation": str(world.org.id),
              "language": "es", "visibility": "committee"},
    )  # fmt: skip
    assert response.status_code == 302
    manifesto = db.session.scalar(select(Manifesto))
    assert response.headers["Location"].endswith(f"/manifestos/{manifesto.id}/edit")
    assert [org.id for org in manifesto.committee_orgs] == [world.org.id]
    edit = client.get(f"/manifestos/{manifesto.id}/edit").get_data(as_text=True)
    assert 'id="plain-text"' in edit or 'name="text"' in edit
    saved = client.post(
        f"/manifestos/{manifesto.id}/text",
        data={"text": "# Exigencias\n\n- Verdad\n- Justicia", "version": version_of(edit)},
    )
    assert saved.status_code == 302
    page = client.get(f"/manifestos/{manifesto.id}").get_data(as_text=True)
    assert "<h3>Exigencias</h3>" in page and "<li>Justicia</li>" in page


def test_a_stale_save_shows_both_texts_and_overwrites_nothing(app, client, world):
    manifesto = start(world)
    sign_in(client, world.member)
    opened = client.get(f"/manifestos/{manifesto.id}/edit").get_data(as_text=True)
    # Meanwhile someone types in the live editor.
    rosa = Editor(app, world.coordinator, f"manifesto:{manifesto.id}")
    assert rosa.type(0, "Texto de Rosa.")["ok"]
    response = client.post(
        f"/manifestos/{manifesto.id}/text",
        data={"text": "Texto de Ana.", "version": version_of(opened)},
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Texto de Ana." in page and "Texto de Rosa." in page
    assert services.text(manifesto)[0] == "Texto de Rosa."
    # Saving again from the conflict page (the current version) works.
    again = client.post(
        f"/manifestos/{manifesto.id}/text",
        data={"text": "Texto de Rosa. Texto de Ana.", "version": version_of(page)},
    )
    assert again.status_code == 302
    assert services.text(manifesto)[0] == "Texto de Rosa. Texto de Ana."


def test_a_plain_save_reaches_live_editors_as_a_small_change(app, client, world):
    manifesto = start(world)
    rosa = Editor(app, world.coordinator, f"manifesto:{manifesto.id}")
    rosa.type(0, "Primera línea.\nÚltima línea 😀.")
    sign_in(client, world.member)
    opened = client.get(f"/manifestos/{manifesto.id}/edit").get_data(as_text=True)
    client.post(
        f"/manifestos/{manifesto.id}/text",
        data={"text": "Primera línea.\nSegunda línea.\nÚltima línea 😀.",
              "version": version_of(opened)},
    )  # fmt: skip
    rosa.listen()
    assert rosa.text == "Primera línea.\nSegunda línea.\nÚltima línea 😀."


def test_once_open_for_signatures_nobody_edits_live_or_by_form(app, client, world):
    manifesto = start(world)
    rosa = Editor(app, world.coordinator, f"manifesto:{manifesto.id}")
    assert rosa.type(0, "Versión final.")["ok"]
    services.set_status(manifesto, ManifestoStatus.OPEN)
    assert rosa.type(0, "Cambio tardío. ")["error"] == "forbidden"
    sign_in(client, world.coordinator)
    assert client.get(f"/manifestos/{manifesto.id}/edit").status_code == 403
    assert services.text(manifesto)[0] == "Versión final."


def test_another_organisation_joins_the_committee_and_may_write(app, client, world):
    manifesto = start(world)
    other = factories.make_org("Red de Madres")
    writer = factories.make_user("Lucia Othermember")
    factories.add_member(other, writer, Role.MEMBER)
    outside = Editor(app, writer, f"manifesto:{manifesto.id}")
    assert outside.join_ack["error"] == "not_found"
    sign_in(client, world.coordinator)
    assert (
        client.post(
            f"/manifestos/{manifesto.id}/committee", data={"organisation": str(other.id)}
        ).status_code
        == 302
    )
    inside = Editor(app, writer, f"manifesto:{manifesto.id}")
    assert inside.join_ack["can_write"] is True
    assert inside.type(0, "Desde la Red.")["ok"]
    # Removed again: her open editor is closed at once.
    response = client.post(f"/manifestos/{manifesto.id}/committee/{other.id}/remove")
    assert response.status_code == 302
    assert any(p["name"] == "collab_closed" for p in inside.sock.get_received())
    assert inside.type(0, "Otra vez.")["error"] == "not_found"


def test_the_last_organisation_cannot_leave_the_committee(client, world):
    manifesto = start(world)
    sign_in(client, world.coordinator)
    client.post(f"/manifestos/{manifesto.id}/committee/{world.org.id}/remove")
    db.session.refresh(manifesto)
    assert [org.id for org in manifesto.committee_orgs] == [world.org.id]


def test_a_member_leaving_the_organisation_loses_the_draft(app, client, world):
    manifesto = start(world)
    ana = Editor(app, world.member, f"manifesto:{manifesto.id}")
    assert ana.join_ack["ok"]
    membership = db.session.scalar(select(Membership.id).filter_by(user_id=world.member.id))
    sign_in(client, world.coordinator)
    client.post(f"/organisations/{world.org.slug}/members/{membership}/remove")
    assert any(p["name"] == "collab_closed" for p in ana.sock.get_received())
    sign_in(client, world.member)
    assert client.get(f"/manifestos/{manifesto.id}").status_code == 404


@pytest.mark.parametrize("visibility", list(DraftVisibility))
def test_the_list_shows_exactly_the_manifestos_one_may_read(client, world, visibility):
    manifesto = start(world, visibility)
    expected = {
        DraftVisibility.COMMITTEE: {"anonymous": False, "outsider": False, "member": True},
        DraftVisibility.MOVEMENT: {"anonymous": False, "outsider": False, "member": True},
        DraftVisibility.PUBLIC: {"anonymous": True, "outsider": True, "member": True},
    }[visibility]
    for role, sees in expected.items():
        client.post("/account/logout")
        user = world.user(role)
        if user is not None:
            sign_in(client, user)
        listed = client.get("/manifestos/").get_data(as_text=True)
        assert (f'/manifestos/{manifesto.id}"' in listed) is sees, role


def test_user_text_is_inert_on_every_page(client, world, xss_payloads):
    """Corpus payloads as the text, title, comments, a translation, a signer's name and
    statement, a version's name: inert on every page of the manifesto and in every file."""
    from app.manifestos import endorsements, revisions, translations
    from app.models import RevisionKind

    manifesto = start(world, DraftVisibility.PUBLIC)
    translation = translations.start(world.coordinator, manifesto, "fr")
    sign_in(client, world.coordinator)
    failures = []
    for start_at in range(0, len(xss_payloads), 600):
        chunk = xss_payloads[start_at : start_at + 600]
        text = "\n\n".join(chunk)[:90_000]
        services.set_status(manifesto, ManifestoStatus.DRAFTING)
        services.replace_text(world.coordinator, manifesto, text)
        services.replace_in_document(
            world.coordinator, translation.document_id, f"translation:{translation.id}",
            text[:40_000], None,
        )  # fmt: skip
        client.post(
            f"/manifestos/{manifesto.id}/settings",
            data={"title": chunk[0][:200] or "x", "language": "es", "visibility": "public"},
        )
        client.post(f"/manifestos/{manifesto.id}/comments",
                    data={"quote": chunk[1][:50].strip(), "body": chunk[2][:2000]})  # fmt: skip
        revision = revisions.checkpoint(manifesto, RevisionKind.NAMED, chunk[3][:120])
        services.set_status(manifesto, ManifestoStatus.OPEN)
        endorsements.endorse(
            world.coordinator, manifesto, world.org,
            endorsements.Signature(chunk[4][:120] or "x", chunk[5][:2000]),
        )  # fmt: skip
        base = f"/manifestos/{manifesto.id}"
        pages = [base, f"{base}/history", f"{base}/revisions/{revision.number}",
                 f"{base}/diff?a=1&b={revision.number}", f"{base}/signatories",
                 f"{base}/translations", f"{base}/translations/fr", f"{base}/print",
                 f"{base}/download.html", "/manifestos/", f"/search?q={chunk[6][:30]}"]  # fmt: skip
        for url in pages:
            html = client.get(url).get_data(as_text=True)
            failures += [f"{url}: {p}" for p in inert_problems(html)]
        services.set_status(manifesto, ManifestoStatus.DRAFTING)
        for url in (f"{base}/edit", f"{base}/translations/fr/edit"):
            failures += [
                f"{url}: {p}" for p in inert_problems(client.get(url).get_data(as_text=True))
            ]
    assert not failures, "\n".join(failures[:20])


def test_search_finds_the_text_only_for_those_who_may_read_it(app, world):
    """A word typed live is found by the committee at once; outsiders find it only once the
    draft is opened to everyone; the translation follows the manifesto."""
    from app.manifestos import translations
    from app.search import service as search

    manifesto = start(world)
    rosa = Editor(app, world.coordinator, f"manifesto:{manifesto.id}")
    rosa.type(0, "Exigimos la búsqueda de las personas desaparecidas en Zacatecolandia.")
    translation = translations.start(world.coordinator, manifesto, "fr")
    services.replace_in_document(
        world.coordinator, translation.document_id, f"translation:{translation.id}",
        "Nous exigeons la recherche à Zacatecolandia.", None,
    )  # fmt: skip

    def found(user) -> set[str]:
        result = search.search(user, "zacatecolandia")
        return {hit.key for hit in result.results.hits}

    both = {f"manifesto:{manifesto.id}", f"translation:{translation.id}"}
    assert found(world.member) == both
    assert found(world.outsider) == set() and found(None) == set()
    assert search.search(world.outsider, "zacatecolandia").results.total == 0
    services.change_details(
        manifesto, services.Details(manifesto.title, "es", DraftVisibility.PUBLIC)
    )
    assert found(world.outsider) == both
