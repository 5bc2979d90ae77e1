"""Demo campaigns for `flask seed-demo`, placed around the day the demo is loaded.

A caravan across Central America and Mexico going on now (with a weekly online meeting that
runs into the coming weeks), a day of action on both shores of the Mediterranean coming soon,
and a campaign only its participants see, already over. Everything is relative to `today`, so
a newcomer finds a living calendar whatever the date, and no finished campaign reads as active.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from app.campaigns import services
from app.campaigns.recurrence import weekly_rule
from app.campaigns.services import EventDraft
from app.models import CampaignStatus, RsvpResponse, Visibility

if TYPE_CHECKING:
    from app.demo import DemoWorld

ONLINE_MEETING = "https://meet.jit.si/caravana-giornata-dispersi-in-mare"
TUESDAY = 1


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """Wall time on a day (naive: the event's own zone says where)."""
    return datetime.combine(day, time(hour, minute))


def _weekday_on_or_after(day: date, weekday: int) -> date:
    """The first day with this weekday (0 is Monday) on or after `day`."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


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


def _caravan(world: DemoWorld, today: date) -> None:
    """Going on now: it left twelve days ago and arrives in Mexico City in two weeks."""
    left, arrives = today - timedelta(days=12), today + timedelta(days=15)
    campaign = _campaign(
        world,
        "lucia",
        "movimiento-mesoamericano",
        [("comite-progreso", "rosa"), ("madres-el-salvador", "marta")],
        title=f"Caravana de Madres Centroamericanas {left.year}",
        starts_on=left,
        ends_on=arrives + timedelta(days=3),
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
    # Ten Tuesdays from three to four weeks ago: some dates past, the next ones coming.
    first_meeting = _weekday_on_or_after(today - timedelta(days=27), TUESDAY)
    events = [
        services.create_event(
            world.users["rosa"],
            progreso,
            _draft(
                "Salida de la caravana desde Tegucigalpa",
                "America/Tegucigalpa",
                _at(left, 5, 30),
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
                _at(left + timedelta(days=1), 7),
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
                _at(arrives, 11),
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
                "Reunión semanal de la caravana (en línea)",
                "America/Mexico_City",
                _at(first_meeting, 18),
                hours=1.5,
                rrule=weekly_rule(["TU"], count=10),
                online_url="https://meet.jit.si/caravana-madres",
            ),
            campaign=campaign,
        ),
    ]
    for key in ("rosa", "ana", "marta", "carmen"):
        services.rsvp(world.users[key], events[0], RsvpResponse.GOING)
    services.rsvp(world.users["tomas"], events[2], RsvpResponse.GOING)
    services.rsvp(world.users["outsider"], events[2], RsvpResponse.MAYBE)
    services.rsvp(world.users["rosa"], events[3], RsvpResponse.GOING)


def _day_of_action(world: DemoWorld, today: date) -> None:
    """Coming: weekly online meetings from next week, then vigils on one day in four ports."""
    first_meeting = _weekday_on_or_after(today + timedelta(days=3), TUESDAY)
    vigil_day = _weekday_on_or_after(first_meeting + timedelta(days=38), 5)  # a Saturday
    last_meeting = vigil_day - timedelta(days=4)
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
        starts_on=first_meeting,
        ends_on=vigil_day,
        description=(
            "Lo stesso giorno, veglie a Palermo, Thiaroye-sur-Mer, Sfax e Orano per chi è "
            "scomparso in mare.\n\nLe même jour, des veillées à Palerme, Thiaroye-sur-Mer, "
            "Sfax et Oran pour nos disparus en mer."
        ),
        goal="Verità, giustizia e il ritorno dei corpi · Vérité, justice et retour des corps.",
        visibility=Visibility.PUBLIC,
        status=CampaignStatus.PLANNED,
    )
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
                    _at(vigil_day, hour),
                    location=place,
                    latitude=lat,
                    longitude=lon,
                ),
                campaign=campaign,
            )
        )
    # Tuesdays 17:00 in Rome up to the week of the vigils (Europe's clock changes, when one
    # falls in between, move the UTC time and not the Roman one).
    meeting = services.create_event(
        world.users["giulia"],
        world.orgs["rete-carovane-migranti"],
        _draft(
            "Riunione online di preparazione · Réunion en ligne de préparation",
            "Europe/Rome",
            _at(first_meeting, 17),
            hours=1.5,
            description=(
                "Interpreti per italiano, francese, arabo e spagnolo.\n\n"
                "Interprètes pour l'italien, le français, l'arabe et l'espagnol."
            ),
            rrule=weekly_rule(
                ["TU"], until=_at(last_meeting, 17).replace(tzinfo=ZoneInfo("Europe/Rome"))
            ),
            online_url=ONLINE_MEETING,
        ),
        campaign=campaign,
    )
    # The third Tuesday is off; the second starts an hour later.
    services.update_event(
        world.users["giulia"],
        meeting,
        _draft(
            meeting.title,
            "Europe/Rome",
            _at(first_meeting, 17),
            hours=1.5,
            description=meeting.description,
            rrule=meeting.rrule,
            online_url=ONLINE_MEETING,
            exdates_local=[_at(first_meeting + timedelta(weeks=2), 17)],
        ),
    )
    second = first_meeting + timedelta(weeks=1)
    services.change_occurrence(
        world.users["giulia"],
        meeting,
        _at(second, 17).replace(tzinfo=ZoneInfo("Europe/Rome")).astimezone(UTC),
        starts_local=_at(second, 18),
        title="Riunione online (ore 18) · Réunion en ligne (18 h, heure de Rome)",
    )
    for key in ("giulia", "marco", "aminata", "fatou", "samira", "nadia"):
        services.rsvp(world.users[key], meeting, RsvpResponse.GOING)
    services.rsvp(world.users["leila"], meeting, RsvpResponse.MAYBE)
    services.rsvp(world.users["aminata"], events[1], RsvpResponse.GOING)
    services.rsvp(world.users["samira"], events[2], RsvpResponse.GOING)
    services.rsvp(world.users["yasmina"], events[3], RsvpResponse.NOT_GOING)


def _private(world: DemoWorld, today: date) -> None:
    """Over: a meeting with the consulates prepared two months ago, now closed."""
    began = today - timedelta(days=75)
    campaign = _campaign(
        world,
        "aminata",
        "familles-thiaroye",
        [("meres-nouadhibou", "mariem")],
        title="Préparation de la rencontre avec les consulats",
        starts_on=began,
        ends_on=began + timedelta(days=25),
        description="Réservé aux familles des deux associations : dossiers, photos, "
        "échantillons ADN.",
        visibility=Visibility.PARTICIPANTS,
        status=CampaignStatus.CLOSED,
    )
    services.create_event(
        world.users["aminata"],
        world.orgs["familles-thiaroye"],
        _draft(
            "Réunion des familles : dossiers à présenter",
            "Africa/Dakar",
            _at(began + timedelta(days=5), 10),
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
            _at(began + timedelta(days=12), 16),
            location="Siège de l'association, Nouadhibou",
        ),
        campaign=campaign,
    )


def seed_campaigns(world: DemoWorld, today: date | None = None) -> None:
    """Three campaigns (over, going on, coming) around `today`, in seven zones, with RSVPs."""
    today = today or date.today()
    _caravan(world, today)
    _day_of_action(world, today)
    _private(world, today)
