"""A demo manifesto for `flask seed-demo`, from its first draft to its signatures.

Drafted in Spanish by four organisations, with named and automatic versions, comments,
translations into French, Arabic (one paragraph out of date) and English, and signatures,
one of them on an older version of the text. Everything goes through the services a person's actions use. Every name here is invented.
"""

# ruff: noqa: E501 - the texts below are paragraphs, one per line, as people write them

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from app.extensions import db
from app.manifestos import comments, endorsements, revisions, services, translations
from app.models import (
    DraftVisibility,
    ManifestoStatus,
    Membership,
    Organisation,
    RevisionKind,
    Role,
    User,
)

if TYPE_CHECKING:
    from app.demo import DemoWorld

TITLE = "Manifiesto por la verdad y la justicia para las personas migrantes desaparecidas"
COMMITTEE = ["rete-carovane-migranti", "familles-thiaroye", "ummahat-sfax"]

FIRST = """Las madres y familias que buscamos a nuestros hijos e hijas desaparecidos en las rutas migratorias, desde Centroamérica hasta el Mediterráneo, decimos juntas:

Exigimos verdad: que cada Estado por donde pasaron nuestros familiares abra sus registros, sus morgues y sus fosas, y nos diga qué pasó.

Exigimos búsqueda: que se formen equipos de búsqueda con recursos, que trabajen con nosotras y que no cierren un caso sin respuesta.

Exigimos identificación: un banco de datos genéticos compartido entre países, para que ningún cuerpo quede sin nombre.

Exigimos justicia: que los responsables de las desapariciones sean investigados y juzgados.

Exigimos no repetición: vías seguras para migrar, para que ninguna otra familia viva lo que vivimos."""

SECOND_DEMAND = (
    "Exigimos búsqueda: que se formen equipos de búsqueda con recursos, que trabajen con "
    "nosotras y que no cierren un caso sin respuesta."
)
SECOND_DEMAND_NOW = (
    "Exigimos búsqueda en vida y en muerte: que se formen equipos de búsqueda con recursos, "
    "en cada país y entre países, que trabajen con nosotras y que no cierren un caso sin "
    "respuesta."
)
CLOSING = (
    "\n\nFirmamos este manifiesto en la cumbre de madres de Palermo y lo llevaremos a cada "
    "frontera."
)

FRENCH = """Nous, mères et familles qui cherchons nos fils et nos filles disparus sur les routes migratoires, de l'Amérique centrale à la Méditerranée, disons ensemble :

Nous exigeons la vérité : que chaque État par lequel sont passés nos proches ouvre ses registres, ses morgues et ses fosses, et nous dise ce qui s'est passé.

Nous exigeons la recherche, en vie et après la mort : des équipes de recherche dotées de moyens, dans chaque pays et entre les pays, qui travaillent avec nous et ne ferment aucun dossier sans réponse.

Nous exigeons l'identification : une banque de données génétiques partagée entre les pays, pour qu'aucun corps ne reste sans nom.

Nous exigeons la justice : que les responsables des disparitions fassent l'objet d'enquêtes et soient jugés.

Nous exigeons la non-répétition : des voies sûres pour migrer, pour qu'aucune autre famille ne vive ce que nous vivons.

Nous signons ce manifeste au sommet des mères de Palerme et nous le porterons à chaque frontière."""

ARABIC = """نحن الأمهات والعائلات اللواتي نبحث عن أبنائنا وبناتنا المفقودين على طرق الهجرة، من أمريكا الوسطى إلى البحر المتوسط، نقول معًا:

نطالب بالحقيقة: أن تفتح كل دولة مرّ بها أحباؤنا سجلاتها ومشارحها ومقابرها، وأن تخبرنا بما حدث.

نطالب بالبحث: أن تُشكَّل فرق بحث لها موارد، تعمل معنا ولا تغلق ملفًا دون جواب.

نطالب بتحديد الهوية: قاعدة بيانات جينية مشتركة بين الدول، حتى لا يبقى جسد بلا اسم.

نطالب بالعدالة: أن يُحقَّق مع المسؤولين عن حالات الاختفاء وأن يُحاكَموا.

نطالب بعدم التكرار: طرق آمنة للهجرة، حتى لا تعيش عائلة أخرى ما نعيشه."""

ENGLISH = """We, the mothers and families searching for our sons and daughters who disappeared on the migration routes, from Central America to the Mediterranean, say together:

We demand truth: that every State our loved ones passed through open its records, its morgues and its graves, and tell us what happened.

We demand search, for the living and the dead: search teams with resources, in every country and across countries, working with us and closing no case without an answer.

We demand identification: a genetic database shared between countries, so that no body remains without a name.

We demand justice: that those responsible for the disappearances be investigated and tried.

We demand non-repetition: safe routes to migrate, so that no other family lives what we live.

We sign this manifesto at the mothers' summit in Palermo and we will carry it to every border."""


def _people(slug: str) -> tuple[Organisation, User, User]:
    """An organisation, its coordinator and its member."""
    org = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    rows = db.session.execute(
        select(Membership.role, User).join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == org.id)
    ).all()  # fmt: skip
    coordinator = next(user for role, user in rows if role == Role.COORDINATOR)
    member = next((user for role, user in rows if role == Role.MEMBER), coordinator)
    return org, coordinator, member


def seed_manifestos(_world: DemoWorld) -> None:
    """The demo manifesto, from its first draft to its signatures."""
    lead, lucia, tomas = _people("movimiento-mesoamericano")
    details = services.Details(TITLE, "es", DraftVisibility.PUBLIC)
    manifesto = services.start(lucia, lead, details)
    others = [_people(slug) for slug in COMMITTEE]
    for org, _coordinator, _member in others:
        services.add_to_committee(manifesto, org)
    (_rete, giulia, _marco), (thiaroye, aminata, _fatou), (_sfax, samira, _leila) = others

    services.replace_text(lucia, manifesto, FIRST)
    revisions.checkpoint(manifesto, RevisionKind.NAMED, "Borrador de Tapachula", lucia)
    comments.add(giulia, manifesto, "¿Podemos nombrar también a los países de tránsito?",
                 quote="cada Estado por donde pasaron")  # fmt: skip
    question = comments.add(
        samira, manifesto, "Las familias de Túnez piden hablar de la búsqueda en el mar.",
        quote="Exigimos búsqueda",
    )  # fmt: skip
    comments.add(tomas, manifesto, "De acuerdo: lo añadimos en este párrafo.", parent=question)

    # French and Arabic translators finish against this first text.
    french = translations.start(aminata, manifesto, "fr")
    arabic = translations.start(samira, manifesto, "ar")
    translations.save_text(samira, arabic, ARABIC, translations.text(arabic)[1])
    for number in range(len(translations.paragraphs(ARABIC))):
        translations.mark_done(samira, arabic, number)

    # Open for signatures: the first organisation signs this version...
    services.set_status(manifesto, ManifestoStatus.OPEN)
    progreso, juana, _member = _people("comite-progreso")
    endorsements.endorse(juana, manifesto, progreso, endorsements.Signature(
        juana.display_name, "Por nuestros hijos que salieron de El Progreso."))  # fmt: skip

    # ...then the committee reopens the draft, changes the search demand and adds a closing.
    services.set_status(manifesto, ManifestoStatus.DRAFTING)
    text = services.text(manifesto)[0].replace(SECOND_DEMAND, SECOND_DEMAND_NOW) + CLOSING
    services.replace_text(tomas, manifesto, text)
    comments.set_resolved(lucia, question, True)
    revisions.checkpoint(manifesto, RevisionKind.NAMED, "Después de la cumbre de Palermo", giulia)
    translations.save_text(aminata, french, FRENCH, translations.text(french)[1])
    for number in range(len(translations.paragraphs(FRENCH))):
        translations.mark_done(aminata, french, number)
    english = translations.start(giulia, manifesto, "en")
    translations.save_text(giulia, english, ENGLISH, translations.text(english)[1])
    for number in range(len(translations.paragraphs(ENGLISH))):
        translations.mark_done(giulia, english, number)
    # The Arabic translation was done before the change: its search paragraph is out of date.

    services.set_status(manifesto, ManifestoStatus.OPEN)
    for org, coordinator in ((lead, lucia), (thiaroye, aminata)):
        endorsements.endorse(coordinator, manifesto, org,
                             endorsements.Signature(coordinator.display_name, ""))  # fmt: skip
