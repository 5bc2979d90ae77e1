"""Demo campaigns for `flask seed-demo`.

A caravan across Central America and Mexico, a day of action on both shores of the
Mediterranean with a weekly online meeting that crosses Europe's 29 March 2026 clock change,
and a campaign only its participants see.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from app.campaigns import services
from app.campaigns.recurrence import weekly_rule
from app.campaigns.services import EventDraft
from app.models import CampaignStatus, RsvpResponse, Visibility

if TYPE_CHECKING:
    from app.demo import DemoWorld

ONLINE_MEETING = "https://meet.jit.si/caravana-giornata-dispersi-in-mare"


def _draft(
    title: str,
    zone: str,
    start: datetime,
    hours: float = 2,
    description: str = "",
    **extra,
) -> EventDraft:
    return EventDraft(
        title=title,
        timezone=zone,
        starts_local=start,
        ends_local=start + timedelta(hours=hours),
        description=description,
        **extra,
    )


def _campaign(world: DemoWorld, coordinator: str, lead: str, participants, **fields):
    campaign = services.create_campaign(world.users[coordinator], world.orgs[lead], **fields)
    for slug, answering in participants:
        invited = services.invite_organisation(world.users[coordinator], campaign, world.orgs[slug])
        services.answer_participation(world.users[answering], invited, accept=True)
    return campaign


def _caravan(world: DemoWorld) -> None:
    campaign = _campaign(
        world,
        "lucia",
        "movimiento-mesoamericano",
        [("comite-progreso", "rosa"), ("madres-el-salvador", "marta")],
        title="Caravana de Madres Centroamericanas 2026",
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 12, 2),
        description=(
            "Madres de Honduras, El Salvador y Guatemala recorren México de albergue en "
            "albergue buscando a sus hijos e hijas desaparecidos en la ruta migratoria.\n\n"
            "- Salida desde Tegucigalpa y San Salvador\n- Llegada a la Ciudad de México"
        ),
        goal="Encontrar con vida a nuestros hijos e hijas; que ningún gobierno nos olvide.",
        visibility=Visibility.PUBLIC,
        status=CampaignStatus.ACTIVE,
    )
    lead, progreso, salvador = (
        world.orgs["movimiento-mesoamericano"],
        world.orgs["comite-progreso"],
        world.orgs["madres-el-salvador"],
    )
    events = [
        services.create_event(
            world.users["rosa"],
            progreso,
            _draft(
                "Salida de la caravana desde Tegucigalpa",
                "America/Tegucigalpa",
                datetime(2026, 11, 2, 5, 30),
                hours=3,
                description="Nos encontramos en la terminal de buses. Traigan las fotos "
                "de sus familiares y copia de la denuncia.",
                location="Gran Central Metropolitana, Tegucigalpa",
                latitude=14.0723,
                longitude=-87.1921,
            ),
            campaign=campaign,
        ),
        services.create_event(
            world.users["marta"],
            salvador,
            _draft(
                "Misa y despedida de las madres salvadoreñas",
                "America/El_Salvador",
                datetime(2026, 11, 3, 7, 0),
                hours=1.5,
                location="Catedral Metropolitana, San Salvador",
                latitude=13.6986,
                longitude=-89.1914,
            ),
            campaign=campaign,
        ),
        services.create_event(
            world.users["lucia"],
            lead,
            _draft(
                "Llegada a la Ciudad de México y conferencia de prensa",
                "America/Mexico_City",
                datetime(2026, 11, 28, 11, 0),
                description="Conferencia de prensa de las madres frente al Ángel de la "
                "Independencia. Traducción al inglés.",
                location="Ángel de la Independencia, Ciudad de México",
                latitude=19.4270,
                longitude=-99.1677,
                capacity=300,
            ),
            campaign=campaign,
        ),
        services.create_event(
            world.users["lucia"],
            lead,
            _draft(
                "Preparación de la caravana (en línea)",
                "America/Mexico_City",
                datetime(2026, 10, 6, 18, 0),
                hours=1.5,
                rrule=weekly_rule(["TU"], count=4),
                online_url="https://meet.jit.si/caravana-madres-2026",
            ),
            campaign=campaign,
        ),
    ]
    for key in ("rosa", "ana", "marta", "carmen"):
        services.rsvp(world.users[key], events[0], RsvpResponse.GOING)
    services.rsvp(world.users["tomas"], events[2], RsvpResponse.GOING)
    services.rsvp(world.users["outsider"], events[2], RsvpResponse.MAYBE)
    services.rsvp(world.users["rosa"], events[3], RsvpResponse.GOING)


def _day_of_action(world: DemoWorld) -> None:
    campaign = _campaign(
        world,
        "giulia",
        "rete-carovane-migranti",
        [
            ("familles-thiaroye", "aminata"),
            ("ummahat-sfax", "samira"),
            ("harraga-oran", "nadia"),
        ],
        title=(
            "Giornata d'azione per i dispersi in mare · Journée d'action pour les disparus en mer"
        ),
        starts_on=date(2026, 3, 3),
        ends_on=date(2026, 4, 18),
        description=(
            "Lo stesso giorno, veglie a Palermo, Thiaroye-sur-Mer, Sfax e Orano per chi è "
            "scomparso in mare.\n\nLe même jour, des veillées à Palerme, Thiaroye-sur-Mer, "
            "Sfax et Oran pour nos disparus en mer."
        ),
        goal="Verità, giustizia e il ritorno dei corpi · Vérité, justice et retour des corps.",
        visibility=Visibility.PUBLIC,
        status=CampaignStatus.ACTIVE,
    )
    day = (2026, 4, 18)
    vigils = [
        (
            "giulia",
            "rete-carovane-migranti",
            "Veglia al porto di Palermo",
            "Europe/Rome",
            18,
            "Molo Trapezoidale, Palermo",
            38.1223,
            13.3675,
        ),
        (
            "aminata",
            "familles-thiaroye",
            "Veillée sur la plage de Thiaroye-sur-Mer",
            "Africa/Dakar",
            17,
            "Plage de Thiaroye-sur-Mer",
            14.7530,
            -17.3806,
        ),
        (
            "samira",
            "ummahat-sfax",
            "وقفة أمهات المفقودين في ميناء صفاقس",
            "Africa/Tunis",
            18,
            "ميناء صفاقس",
            34.7298,
            10.7660,
        ),
        (
            "nadia",
            "harraga-oran",
            "Veillée des familles de harraga au front de mer d'Oran",
            "Africa/Algiers",
            17,
            "Front de mer, Oran",
            35.7022,
            -0.6460,
        ),
    ]
    events = []
    for coordinator, slug, title, zone, hour, place, lat, lon in vigils:
        events.append(
            services.create_event(
                world.users[coordinator],
                world.orgs[slug],
                _draft(
                    title,
                    zone,
                    datetime(*day, hour, 0),
                    location=place,
                    latitude=lat,
                    longitude=lon,
                ),
                campaign=campaign,
            )
        )
    # Tuesdays 17:00 in Rome, 3 March to 14 April 2026: 16:00 UTC, then 15:00 UTC from 31 March.
    meeting = services.create_event(
        world.users["giulia"],
        world.orgs["rete-carovane-migranti"],
        _draft(
            "Riunione online di preparazione · Réunion en ligne de préparation",
            "Europe/Rome",
            datetime(2026, 3, 3, 17, 0),
            hours=1.5,
            description=(
                "Interpreti per italiano, francese, arabo e spagnolo.\n\n"
                "Interprètes pour l'italien, le français, l'arabe et l'espagnol."
            ),
            rrule=weekly_rule(
                ["TU"], until=datetime(2026, 4, 14, 17, 0, tzinfo=ZoneInfo("Europe/Rome"))
            ),
            online_url=ONLINE_MEETING,
        ),
        campaign=campaign,
    )
    # Easter Tuesday off; the meeting after the clock change starts an hour later.
    services.update_event(
        world.users["giulia"],
        meeting,
        _draft(
            meeting.title,
            "Europe/Rome",
            datetime(2026, 3, 3, 17, 0),
            hours=1.5,
            description=meeting.description,
            rrule=meeting.rrule,
            online_url=ONLINE_MEETING,
            exdates_local=[datetime(2026, 4, 7, 17, 0)],
        ),
    )
    services.change_occurrence(
        world.users["giulia"],
        meeting,
        datetime(2026, 3, 31, 17, 0, tzinfo=ZoneInfo("Europe/Rome")).astimezone(UTC),
        starts_local=datetime(2026, 3, 31, 18, 0),
        title="Riunione online (ore 18) · Réunion en ligne (18 h, heure de Rome)",
    )
    for key in ("giulia", "marco", "aminata", "fatou", "samira", "nadia"):
        services.rsvp(world.users[key], meeting, RsvpResponse.GOING)
    services.rsvp(world.users["leila"], meeting, RsvpResponse.MAYBE)
    services.rsvp(world.users["aminata"], events[1], RsvpResponse.GOING)
    services.rsvp(world.users["samira"], events[2], RsvpResponse.GOING)
    services.rsvp(world.users["yasmina"], events[3], RsvpResponse.NOT_GOING)


def _private(world: DemoWorld) -> None:
    campaign = _campaign(
        world,
        "aminata",
        "familles-thiaroye",
        [("meres-nouadhibou", "mariem")],
        title="Préparation de la rencontre avec les consulats",
        starts_on=date(2026, 5, 4),
        ends_on=date(2026, 5, 29),
        description="Réservé aux familles des deux associations : dossiers, photos, "
        "échantillons ADN.",
        visibility=Visibility.PARTICIPANTS,
    )
    services.create_event(
        world.users["aminata"],
        world.orgs["familles-thiaroye"],
        _draft(
            "Réunion des familles : dossiers à présenter",
            "Africa/Dakar",
            datetime(2026, 5, 9, 10, 0),
            location="Maison des femmes, Thiaroye-sur-Mer",
        ),
        campaign=campaign,
    )
    services.create_event(
        world.users["mariem"],
        world.orgs["meres-nouadhibou"],
        _draft(
            "Réunion des mères de Nouadhibou",
            "Africa/Nouakchott",
            datetime(2026, 5, 16, 16, 0),
            location="Siège de l'association, Nouadhibou",
        ),
        campaign=campaign,
    )


def seed_campaigns(world: DemoWorld) -> None:
    """Three campaigns with events in seven zones, a series across a clock change, RSVPs."""
    _caravan(world)
    _day_of_action(world)
    _private(world)
