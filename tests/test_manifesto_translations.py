"""Translations of a manifesto: their own shared document, paragraphs paired with the
source, marked done, flagged out of date where the source changed, edited live or plainly."""

from __future__ import annotations

import re

from app.manifestos import services, translations
from app.models import DraftVisibility, ManifestoStatus
from tests.conftest import sign_in
from tests.test_collab import Editor
from tests.test_manifestos import start, version_of

SOURCE = "Exigimos verdad.\n\nExigimos justicia.\n\nExigimos reparación."
ARABIC = "نطالب بالحقيقة.\n\nنطالب بالعدالة.\n\nنطالب بجبر الضرر."


def test_the_arabic_translation_is_flagged_out_of_date_where_the_source_changed(client, world):
    manifesto = start(world, DraftVisibility.PUBLIC)
    services.replace_text(world.coordinator, manifesto, SOURCE)
    sign_in(client, world.member)
    response = client.post(f"/manifestos/{manifesto.id}/translations", data={"language": "ar"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manifestos/{manifesto.id}/translations/ar/edit")
    opened = client.get(f"/manifestos/{manifesto.id}/translations/ar/edit").get_data(as_text=True)
    saved = client.post(
        f"/manifestos/{manifesto.id}/translations/ar/text",
        data={"text": ARABIC, "version": version_of(opened)},
    )
    assert saved.status_code == 302
    for number in range(3):
        client.post(f"/manifestos/{manifesto.id}/translations/ar/paragraphs/{number}/done")
    translation = translations.get(manifesto, "ar")
    assert [row.status for row in translations.rows(translation)] == ["done"] * 3
    synced = translation.synced_revision.number
    # The Spanish source changes in its second paragraph only.
    services.replace_text(
        world.coordinator, manifesto, SOURCE.replace("Exigimos justicia.", "Exigimos justicia ya.")
    )
    assert [row.status for row in translations.rows(translation)] == ["done", "outdated", "done"]
    page = client.get(f"/manifestos/{manifesto.id}/translations/ar").get_data(as_text=True)
    pair = re.search(r'<li id="p1" class="pair pair-outdated">.*?</li>', page, re.S).group(0)
    assert "Exigimos justicia ya." in pair and "نطالب بالعدالة." in pair
    assert "Out of date: the source changed" in pair
    assert page.count("pair-done") == 2 and 'dir="rtl"' in pair
    listing = client.get(f"/manifestos/{manifesto.id}/translations").get_data(as_text=True)
    assert "1 paragraph is out of date." in listing
    assert f"Last brought in line with version {synced}." in listing
    # Marked done again: in line with the new source revision.
    client.post(f"/manifestos/{manifesto.id}/translations/ar/paragraphs/1/done")
    translation = translations.get(manifesto, "ar")
    assert translation.synced_revision.number > synced


def test_a_translation_is_co_edited_live_with_the_manifestos_audience(app, world):
    manifesto = start(world)
    translation = translations.start(world.coordinator, manifesto, "fr")
    name = f"translation:{translation.id}"
    rosa = Editor(app, world.coordinator, name)
    ana = Editor(app, world.member, name)
    assert rosa.join_ack["can_write"] and ana.join_ack["can_write"]
    rosa.type(0, "Nous exigeons la vérité.")
    ana.listen()
    assert ana.text == translations.text(translation)[0] == "Nous exigeons la vérité."
    assert Editor(app, world.outsider, name).join_ack["error"] == "not_found"
    services.set_status(manifesto, ManifestoStatus.CLOSED)
    assert rosa.type(0, "x")["error"] in ("forbidden", "not_found")


def test_no_second_translation_into_a_language_and_none_into_the_source_language(client, world):
    manifesto = start(world)
    sign_in(client, world.coordinator)
    client.post(f"/manifestos/{manifesto.id}/translations", data={"language": "en"})
    again = client.post(f"/manifestos/{manifesto.id}/translations", data={"language": "en"})
    source = client.post(f"/manifestos/{manifesto.id}/translations", data={"language": "es"})
    assert again.status_code == 400 and source.status_code == 400
    assert [t.language for t in translations.of(manifesto)] == ["en"]
    client.post("/account/logout")
    sign_in(client, world.outsider)
    assert client.get(f"/manifestos/{manifesto.id}/translations/en").status_code == 404
