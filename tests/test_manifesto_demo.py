"""The demo manifesto: a newcomer finds a manifesto drafted by four organisations, its
versions, comments, three translations (the Arabic one out of date where the Spanish source
changed) and signatures, one of them on an older version."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.manifestos import comments, endorsements, revisions, services, translations
from app.models import Manifesto, ManifestoStatus, RevisionKind, User
from tests.conftest import sign_in


def test_the_demo_manifesto_shows_every_part(app, client):
    from app.demo import seed

    seed()
    manifesto = db.session.scalar(select(Manifesto))
    assert manifesto.language == "es" and manifesto.status == ManifestoStatus.OPEN
    assert len(manifesto.committee_orgs) == 4

    names = [r.name for r in revisions.all_of(manifesto) if r.kind == RevisionKind.NAMED]
    assert names == ["Después de la cumbre de Palermo", "Borrador de Tapachula"]
    authors = {i for r in revisions.all_of(manifesto) for i in r.author_ids}
    assert len(authors) >= 2

    by_language = {t.language: t for t in translations.of(manifesto)}
    assert sorted(by_language) == ["ar", "en", "fr"]
    states = {lang: [row.status for row in translations.rows(t)] for lang, t in by_language.items()}
    assert states["fr"] == states["en"] == ["done"] * 7
    assert states["ar"][2] == "outdated" and states["ar"].count("done") == 5
    assert states["ar"][6] == "todo"  # the closing paragraph came after the translation

    signed = endorsements.active(manifesto)
    current = revisions.content_hash(services.text(manifesto)[0])
    assert len(signed) == 3
    assert sum(e.content_hash != current for e in signed) == 1  # one on an older version

    threads = comments.placed(manifesto)
    assert len(threads) == 2 and any(t.comment.resolved_at for t in threads)
    assert any(t.replies for t in threads)

    # The public page and the signatories page, as anyone sees them.
    page = client.get(f"/manifestos/{manifesto.id}").get_data(as_text=True)
    assert "Exigimos verdad" in page and "3 organisations signed" in page
    public = client.get(f"/manifestos/{manifesto.id}/signatories").get_data(as_text=True)
    assert "the text has changed since and this signature is not yet confirmed" in public
    arabic = client.get(f"/manifestos/{manifesto.id}/translations/ar").get_data(as_text=True)
    assert "Out of date: the source changed" in arabic
    # A committee member sees the comments beside the text.
    lucia = db.session.scalar(select(User).where(User.email.like("lucia@%")))
    sign_in(client, lucia)
    page = client.get(f"/manifestos/{manifesto.id}").get_data(as_text=True)
    assert 'id="comments"' in page and "Túnez" in page  # (her pages are in Spanish)
