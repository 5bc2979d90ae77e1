"""Manifesto revisions and signatures: checkpoints with their authors, named versions, word
differences, restoring as a new change, endorsements bound to a revision and re-confirmed
after the text changes, the public list of signatories by country."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.collab import store
from app.extensions import db
from app.manifestos import endorsements, revisions, services
from app.models import DraftVisibility, ManifestoRevision, ManifestoStatus, RevisionKind, Role
from tests import factories
from tests.conftest import sign_in
from tests.test_collab import Editor
from tests.test_manifestos import start


def numbers(manifesto) -> list[int]:
    return [r.number for r in revisions.all_of(manifesto)]


def test_checkpoints_are_taken_while_people_write_with_their_authors(app, world, monkeypatch):
    monkeypatch.setattr(revisions, "CHECKPOINT_UPDATES", 3)
    monkeypatch.setattr(store, "COMPACT_AFTER", 4)  # the log is folded often: authors stay
    manifesto = start(world)
    rosa = Editor(app, world.coordinator, f"manifesto:{manifesto.id}")
    ana = Editor(app, world.member, f"manifesto:{manifesto.id}")
    rosa.type(0, "Uno. ")
    for n in range(4):
        ana.type(1000, f"Ana {n}. ")
    for n in range(4):
        rosa.type(1000, f"Rosa {n}. ")
    listed = revisions.all_of(manifesto)
    assert len(listed) >= 3 and listed[-1].number == 1
    assert all(r.kind == RevisionKind.AUTOMATIC for r in listed)
    everyone = {i for r in listed for i in r.author_ids}
    assert everyone == {world.coordinator.id, world.member.id}
    assert revisions.current(manifesto).text == services.text(manifesto)[0]


def test_a_named_version_and_the_word_difference(client, world):
    manifesto = start(world)
    services.replace_text(world.coordinator, manifesto, "Exigimos verdad y justicia.")
    sign_in(client, world.member)
    assert (
        client.post(
            f"/manifestos/{manifesto.id}/revisions", data={"name": "Antes de Dakar"}
        ).status_code
        == 302
    )
    services.replace_text(world.member, manifesto, "Exigimos verdad, justicia y <b>reparación</b>.")
    client.post(f"/manifestos/{manifesto.id}/revisions", data={"name": "Después de Dakar"})
    history = client.get(f"/manifestos/{manifesto.id}/history").get_data(as_text=True)
    assert "Antes de Dakar" in history and "Después de Dakar" in history
    a, b = numbers(manifesto)[1], numbers(manifesto)[0]
    page = client.get(f"/manifestos/{manifesto.id}/diff?a={a}&b={b}").get_data(as_text=True)
    diff = re.search(r'<div class="diff".*?</div>', page, re.S).group(0)
    assert "<del>justicia.</del>" in diff or "<del>y justicia.</del>" in diff
    assert "&lt;b&gt;reparación&lt;/b&gt;" in diff and "<b>" not in diff


def test_restoring_an_old_version_is_a_new_change_and_destroys_nothing(client, world):
    manifesto = start(world)
    services.replace_text(world.coordinator, manifesto, "Primera redacción.")
    first = revisions.checkpoint(manifesto, RevisionKind.NAMED, "primera")
    services.replace_text(world.coordinator, manifesto, "Segunda redacción, muy distinta.")
    second = revisions.checkpoint(manifesto, RevisionKind.NAMED, "segunda")
    sign_in(client, world.member)
    response = client.post(f"/manifestos/{manifesto.id}/revisions/{first.number}/restore")
    assert response.status_code == 302
    assert services.text(manifesto)[0] == "Primera redacción."
    newest = revisions.latest(manifesto)
    assert newest.kind == RevisionKind.RESTORED and newest.number > second.number
    assert revisions.get(manifesto, second.number).text == "Segunda redacción, muy distinta."


def test_an_endorsement_is_bound_to_its_revision_until_confirmed_again(client, world):
    """A coordinator endorses revision N; the text changes; the public page shows that the
    endorsement was for revision N until it is confirmed for the new text."""
    manifesto = start(world, DraftVisibility.PUBLIC)
    services.replace_text(world.coordinator, manifesto, "Texto firmado.")
    services.set_status(manifesto, ManifestoStatus.OPEN)
    sign_in(client, world.coordinator)
    response = client.post(
        f"/manifestos/{manifesto.id}/endorse",
        data={"organisation": str(world.org.id), "signer_name": "Rosa C.", "statement": "Sí."},
    )
    assert response.status_code == 302
    signed = endorsements.active(manifesto)[0]
    number = signed.revision.number
    assert signed.revision.text == "Texto firmado."
    # The committee reopens the draft and changes the text, then opens it again.
    services.set_status(manifesto, ManifestoStatus.DRAFTING)
    services.replace_text(world.member, manifesto, "Texto firmado, y cambiado después.")
    services.set_status(manifesto, ManifestoStatus.OPEN)
    client.post("/account/logout")
    public = client.get(f"/manifestos/{manifesto.id}/signatories").get_data(as_text=True)
    assert f"Signed version {number}; the text has changed since" in public
    sign_in(client, world.coordinator)
    page = client.get(f"/manifestos/{manifesto.id}").get_data(as_text=True)
    assert "please read it again and confirm your signature" in page
    client.post(f"/manifestos/{manifesto.id}/endorsements/{world.org.id}/confirm")
    db.session.expire_all()
    confirmed = endorsements.active(manifesto)[0]
    assert confirmed.revision.number > number
    assert confirmed.revision.text == "Texto firmado, y cambiado después."
    assert confirmed.signer_name == "Rosa C." and confirmed.statement == "Sí."
    public = client.get(f"/manifestos/{manifesto.id}/signatories").get_data(as_text=True)
    assert f"Signed this text (version {confirmed.revision.number})" in public
    client.post(f"/manifestos/{manifesto.id}/endorsements/{world.org.id}/withdraw")
    assert endorsements.active(manifesto) == []


def test_only_coordinators_sign_and_only_while_open(client, world):
    manifesto = start(world, DraftVisibility.PUBLIC)
    sign_in(client, world.coordinator)
    assert client.get(f"/manifestos/{manifesto.id}/endorse").status_code == 403  # drafting
    services.set_status(manifesto, ManifestoStatus.OPEN)
    assert client.get(f"/manifestos/{manifesto.id}/endorse").status_code == 200
    client.post("/account/logout")
    sign_in(client, world.member)
    assert client.get(f"/manifestos/{manifesto.id}/endorse").status_code == 403
    response = client.post(
        f"/manifestos/{manifesto.id}/endorse",
        data={"organisation": str(world.org.id), "signer_name": "Ana"},
    )
    assert response.status_code == 403 and endorsements.active(manifesto) == []


def test_signatories_by_country_with_counts(client, world):
    manifesto = start(world, DraftVisibility.PUBLIC)
    services.replace_text(world.coordinator, manifesto, "Texto.")
    services.set_status(manifesto, ManifestoStatus.OPEN)
    signers = []
    for name, country in (("Red Dakar", "SN"), ("Comité Túnez", "TN"), ("Madres Dakar", "SN")):
        org = factories.make_org(name, country=country)
        person = factories.make_user(f"Coord {name}")
        factories.add_member(org, person, Role.COORDINATOR)
        signers.append((org, person))
    for org, person in signers:
        endorsements.endorse(
            person, manifesto, org, endorsements.Signature(person.display_name, "")
        )
    assert endorsements.by_country(manifesto) == [("SN", 2), ("TN", 1)]
    page = client.get(f"/manifestos/{manifesto.id}/signatories?country=SN").get_data(as_text=True)
    assert "Red Dakar" in page and "Madres Dakar" in page and "Comité Túnez" not in page
    everyone = client.get(f"/manifestos/{manifesto.id}/signatories").get_data(as_text=True)
    assert "3 organisations." in everyone


def test_history_pages_follow_the_manifesto_audience(client, world):
    manifesto = start(world)  # committee only
    services.replace_text(world.coordinator, manifesto, "Borrador interno.")
    number = revisions.checkpoint(manifesto, RevisionKind.NAMED, "x").number
    for url in (f"/manifestos/{manifesto.id}/history",
                f"/manifestos/{manifesto.id}/revisions/{number}",
                f"/manifestos/{manifesto.id}/diff?a={number}&b={number}",
                f"/manifestos/{manifesto.id}/signatories"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    sign_in(client, world.outsider)
    assert client.get(f"/manifestos/{manifesto.id}/history").status_code == 404
    assert db.session.scalar(select(ManifestoRevision.text).filter_by(number=number))


def test_every_download_states_its_revision_and_signers(client, world):
    """Markdown, HTML, Word and the print page name the revision and who signed (and which
    revision an earlier signer signed); user text stays text."""
    import io

    from docx import Document as WordDocument

    manifesto = start(world, DraftVisibility.PUBLIC)
    text = "# Exigencias\n\n- Verdad\n- Justicia <script>x</script>\n\nFin del texto."
    services.replace_text(world.coordinator, manifesto, text)
    services.set_status(manifesto, ManifestoStatus.OPEN)
    signature = endorsements.Signature("Rosa C.", "")
    signed = endorsements.endorse(world.coordinator, manifesto, world.org, signature)
    number = signed.revision.number
    for fmt in ("md", "html", "docx"):
        response = client.get(f"/manifestos/{manifesto.id}/download.{fmt}")
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        assert f"-v{number}.{fmt}" in response.headers["Content-Disposition"]
        if fmt == "docx":
            doc = WordDocument(io.BytesIO(response.data))
            body = "\n".join(p.text for p in doc.paragraphs)
        else:
            body = response.get_data(as_text=True)
        assert f"Version {number} of" in body and signed.content_hash[:16] in body
        assert "Comité de Familias" in body and "Rosa C." in body
        assert "Justicia" in body and "Fin del texto." in body
    html = client.get(f"/manifestos/{manifesto.id}/download.html").get_data(as_text=True)
    assert "<script" not in html and "Justicia" in html  # the tag is dropped by the renderer
    printed = client.get(f"/manifestos/{manifesto.id}/print").get_data(as_text=True)
    assert f"Version {number} of" in printed and "Comité de Familias" in printed
    assert client.get(f"/manifestos/{manifesto.id}/download.exe").status_code == 404


def test_a_refused_comment_comes_back_with_what_was_typed_and_why(app, client, world):
    """A passage that is not in the text, or an empty answer: the page again (400) with the
    words kept and the reason beside the field, nothing stored."""
    from app.models import ManifestoComment

    manifesto = start(world)
    services.replace_text(world.coordinator, manifesto, "Exigimos verdad y justicia.")
    sign_in(client, world.member)
    url = f"/manifestos/{manifesto.id}/comments"
    response = client.post(url, data={"quote": "palabras que no están", "body": "Mi comentario"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This passage could not be found." in page and "Mi comentario</textarea>" in page
    assert 'value="palabras que no están"' in page
    client.post(url, data={"quote": "verdad", "body": "Primero"})
    thread = db.session.scalars(select(ManifestoComment)).one()
    response = client.post(url, data={"parent": str(thread.id), "body": "   "})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    answer = page[page.index(f'id="reply-{thread.id}"') :]
    assert "Please write a comment." in answer[: answer.index("</form>")]
    assert db.session.scalar(select(func.count(ManifestoComment.id))) == 1


def test_comments_stop_at_the_most_a_manifesto_holds(app, client, world, monkeypatch):
    """Every page view places every comment: past the limit a new one is refused, said so."""
    from app.manifestos import comments

    monkeypatch.setattr(comments, "MAX_COMMENTS", 3)
    manifesto = start(world)
    services.replace_text(world.coordinator, manifesto, "Exigimos verdad y justicia.")
    sign_in(client, world.member)
    url = f"/manifestos/{manifesto.id}/comments"
    for number in range(3):
        assert client.post(url, data={"quote": "verdad", "body": f"n{number}"}).status_code == 302
    response = client.post(url, data={"quote": "justicia", "body": "Uno más"})
    assert response.status_code == 400
    assert "the most it can hold" in response.get_data(as_text=True)
    assert len(comments.placed(manifesto)) == 3


def test_comments_follow_their_passage_through_edits_are_threaded_and_resolved(app, client, world):
    """A comment anchored on a passage (by its words, or by a Yjs relative position from the
    editor) still points at it after text is added before it."""
    import base64
    import subprocess

    from app.manifestos import comments
    from tests.test_collab import NODE_CLIENT

    manifesto = start(world)
    text = "Primer párrafo.\n\nExigimos verdad y justicia.\n\nTercer párrafo."
    services.replace_text(world.coordinator, manifesto, text)
    sign_in(client, world.member)
    response = client.post(
        f"/manifestos/{manifesto.id}/comments",
        data={"quote": "verdad y justicia", "body": "¿Y la **reparación**?"},
    )
    assert response.status_code == 302
    # The editor's own anchor: a relative position made by yjs itself.
    copy = store.live(manifesto.document_id)
    with copy.lock:
        update = copy.doc.get_update()
    script = (
        "import * as Y from 'yjs';"
        "const d = new Y.Doc(); Y.applyUpdate(d, Buffer.from(process.argv[1], 'base64'));"
        "const t = d.getText('text'); const i = t.toString().indexOf('Tercer');"
        "process.stdout.write(Buffer.from(Y.encodeRelativePosition("
        "Y.createRelativePositionFromTypeIndex(t, i))).toString('base64'));"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, base64.b64encode(update).decode()],
        capture_output=True, check=True, timeout=60, cwd=NODE_CLIENT.parent.parent.parent,
    )  # fmt: skip
    client.post(
        f"/manifestos/{manifesto.id}/comments",
        data={"anchor": done.stdout.decode(), "body": "Falta una fecha."},
    )
    # Someone adds a paragraph at the start: both comments move with their passages.
    services.replace_text(world.coordinator, manifesto, "Nuevo comienzo.\n\n" + text)
    threads = comments.placed(manifesto)
    assert [(t.paragraph, t.context[:17]) for t in threads] == [
        (3, "verdad y justicia"),
        (4, "Tercer párrafo."),
    ]
    first = threads[0].comment
    client.post(f"/manifestos/{manifesto.id}/comments", data={"parent": str(first.id),
                                                               "body": "De acuerdo."})  # fmt: skip
    client.post(f"/manifestos/{manifesto.id}/comments/{first.id}/resolve")
    page = client.get(f"/manifestos/{manifesto.id}").get_data(as_text=True)
    thread = page[page.index(f'id="comment-{first.id}"') :]
    assert "<strong>reparación</strong>" in thread and "De acuerdo." in thread
    assert "Resolved" in thread.split('id="comment-')[1]
    # Outsiders see no comments and cannot add any.
    client.post("/account/logout")
    services.change_details(
        manifesto, services.Details(manifesto.title, "es", DraftVisibility.PUBLIC)
    )
    public = client.get(f"/manifestos/{manifesto.id}").get_data(as_text=True)
    assert "reparación" not in public and 'id="comments"' not in public
    sign_in(client, world.outsider)
    assert (
        client.post(
            f"/manifestos/{manifesto.id}/comments", data={"quote": "Tercer", "body": "x"}
        ).status_code
        == 403
    )


def test_the_word_difference_of_the_longest_texts_is_bounded():
    """difflib is quadratic at worst: two unrelated 14,000-word paragraphs took 37 s. The
    longest texts, unrelated, cost about what comparing two similar ones does."""
    import random
    import time

    from app.manifestos.diff import word_diff

    rng = random.Random(5)
    words = [f"palabra{i}" for i in range(3_000)]
    old = " ".join(rng.choice(words) for _ in range(9_000))
    new = " ".join(rng.choice(words) for _ in range(9_000))
    similar = old.replace("palabra1 ", "palabra2 ")

    def cost(a: str, b: str) -> float:
        began = time.process_time()
        pieces = word_diff(a, b)
        spent = time.process_time() - began
        assert "".join(t for kind, t in pieces if kind != "added") == a
        assert "".join(t for kind, t in pieces if kind != "removed") == b
        return spent

    ordinary = max(cost(old, similar), 0.01)
    for a, b in ((old, new), ("de " * 30_000, "la " * 30_000), (old, old[::-1])):
        assert cost(a, b) <= 25 * ordinary
