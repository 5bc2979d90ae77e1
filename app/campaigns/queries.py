"""Read-only queries of the campaign, event, calendar and feed pages.

Every list is filtered in SQL by the policy's audience conditions (``CAMPAIGN.where(user)``,
``EVENT.where(user)``) and loads what its page shows with it, so a page costs the same few
statements however many rows it lists.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, func, or_, select, type_coerce
from sqlalchemy.orm import selectinload

from app.campaigns.recurrence import (
    Allowance,
    Occurrence,
    Occurrences,
    expand,
    occurrences,
    repeats,
)
from app.extensions import db
from app.models import (
    CalendarToken,
    Campaign,
    CampaignParticipant,
    CampaignStatus,
    Event,
    EventOverride,
    Organisation,
    ParticipationStatus,
    Rsvp,
    RsvpResponse,
    User,
)
from app.orgs.queries import coordinated_orgs
from app.permissions import (
    ANONYMOUS,
    CAMPAIGN,
    EVENT,
    ORGANISATION,
    PARTICIPATION_DECIDERS,
    can_create_event,
    can_view_campaign,
    can_view_event,
    found_or_404,
    principals,
)

# --- one thing, or 404 ------------------------------------------------------------------------


def _campaign_page(query: Select) -> Select:
    return query.options(
        selectinload(Campaign.lead_organisation),
        selectinload(Campaign.participants).selectinload(CampaignParticipant.organisation),
    )


def get_campaign_or_404(slug: str, user: Any) -> Campaign:
    """The campaign at this address, if this person may see it; 404 otherwise."""
    campaign = db.session.scalar(_campaign_page(select(Campaign)).where(Campaign.slug == slug))
    return found_or_404(campaign, can_view_campaign, user)


def get_event_or_404(event_id: int, user: Any) -> Event:
    """The event, if this person may see it; 404 otherwise."""
    event = db.session.scalar(_with_event_parents(select(Event)).where(Event.id == event_id))
    return found_or_404(event, can_view_event, user)


def get_event_by_uid_or_404(uid: str, user: Any) -> Event:
    """The event with this iCalendar UID, if this person may see it; 404 otherwise."""
    event = db.session.scalar(_with_event_parents(select(Event)).where(Event.uid == uid))
    return found_or_404(event, can_view_event, user)


def get_participant_or_404(participant_id: int) -> CampaignParticipant:
    """An organisation's place in a campaign (the caller checks who may act on it)."""
    return found_or_404(db.session.get(CampaignParticipant, participant_id))


# --- campaigns --------------------------------------------------------------------------------


def visible_campaigns(user: Any, status: CampaignStatus | None = None) -> list[Campaign]:
    """Campaigns this person may see, newest first, with their lead organisation."""
    query = (
        select(Campaign)
        .options(selectinload(Campaign.lead_organisation))
        .where(CAMPAIGN.where(user))
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    )
    if status is not None:
        query = query.where(Campaign.status == status)
    return list(db.session.scalars(query))


def invitable_orgs(campaign: Campaign) -> list[Organisation]:
    """Approved organisations not yet in the campaign, by name."""
    taken = {p.organisation_id for p in campaign.participants} | {campaign.lead_organisation_id}
    return [
        org
        for org in db.session.scalars(
            select(Organisation)
            .where(ORGANISATION.condition(ANONYMOUS))  # the listed ones
            .order_by(Organisation.name)
        )
        if org.id not in taken
    ]


def pending_invitations(user: Any, org: Organisation) -> list[CampaignParticipant]:
    """Campaign invitations waiting for this organisation, if this person answers them."""
    return list(
        db.session.scalars(
            select(CampaignParticipant)
            .options(
                selectinload(CampaignParticipant.campaign).selectinload(Campaign.lead_organisation)
            )
            .where(
                CampaignParticipant.organisation_id == org.id,
                CampaignParticipant.status == ParticipationStatus.INVITED,
                PARTICIPATION_DECIDERS.where(user),
            )
        )
    )


def campaign_window(campaign: Campaign) -> tuple[datetime, datetime]:
    """The campaign's days, generously (a day either side covers every zone)."""
    start = datetime.combine(campaign.starts_on - timedelta(days=1), datetime.min.time(), UTC)
    end = datetime.combine(campaign.ends_on + timedelta(days=2), datetime.min.time(), UTC)
    return start, end


def new_event_orgs(user: Any, campaign: Campaign) -> list[Organisation]:
    """The organisations this person may add events for in this campaign."""
    return [org for org in coordinated_orgs(user) if can_create_event(user, org, campaign)]


# --- events -----------------------------------------------------------------------------------


def _with_event_parents(query: Select) -> Select:
    """Load what an event's line shows (organisation, campaign) with the events."""
    return query.options(
        selectinload(Event.organisation),
        selectinload(Event.campaign).selectinload(Campaign.lead_organisation),
    )


def personal_condition(user: User):
    """Events of a person's own calendar.

    Their organisations', the campaigns their organisations lead or take part in, and those
    they said they go to (or may).
    """
    who = principals(user)
    answered = select(Rsvp.event_id).where(
        Rsvp.user_id == user.id, Rsvp.response != RsvpResponse.NOT_GOING
    )
    return or_(
        Event.organisation_id.in_(who.keys_of("org:{}")),
        Event.campaign_id.in_(who.keys_of("campaign:{}")),
        Event.id.in_(answered),
    )


def _event_filter(viewer: Any, **scope: Any) -> list[ColumnElement[bool]]:
    """Conditions of the whole events (series) the viewer may see (None: anyone, no cookies).

    For one campaign, one organisation, a person's own calendar (``mine=user``) or the
    movement.
    """
    conditions = [EVENT.condition(ANONYMOUS) if viewer is None else EVENT.where(viewer)]
    if (campaign := scope.get("campaign")) is not None:
        conditions.append(Event.campaign_id == campaign.id)
    if (org := scope.get("org")) is not None:
        conditions.append(Event.organisation_id == org.id)
    if (mine := scope.get("mine")) is not None:
        conditions.append(personal_condition(mine))
    return conditions


def _events(viewer: Any, **scope: Any) -> Select:
    """Whole events (series) the viewer may see, with what their lines show."""
    return _with_event_parents(select(Event)).where(*_event_filter(viewer, **scope))


# A page lists at most this many dates, and expands at most this many repeating events: what
# is stored cannot make a page slow (it says when dates are left out).
PAGE_DATES = 500
PAGE_SERIES = 500


def events_in(
    window_start: datetime,
    window_end: datetime,
    viewer: Any,
    limit: int = PAGE_DATES,
    **scope: Any,
) -> Occurrences:
    """The first `limit` occurrences the viewer may see in a window, by start.

    Scope as for visible_events. ``complete`` is False when more exist (or a bound left some
    out). Only what can fall in the window is loaded: events that do not repeat up to the
    (limit+1)th of them, and the series that start before it and have not ended
    (``last_ends_at``, NULL while a series has no end).
    """
    conditions = _event_filter(viewer, **scope)
    singles = and_(Event.rrule == "", Event.ends_at > window_start, Event.starts_at < window_end)
    # Past the (limit+1)th single event, nothing can be among the first `limit` dates.
    cutoff = db.session.execute(
        select(Event.starts_at, Event.id)
        .where(*conditions, singles)
        .order_by(Event.starts_at, Event.id)
        .offset(limit)
        .limit(1)
    ).first()
    until, series_until = window_end, window_end
    if cutoff is not None:
        until = cutoff.starts_at
        series_until = min(window_end, until + timedelta(seconds=1))
        singles = and_(
            singles,
            or_(Event.starts_at < until, and_(Event.starts_at == until, Event.id <= cutoff.id)),
        )
    series = and_(
        Event.rrule != "",
        Event.starts_at < series_until,
        or_(Event.last_ends_at.is_(None), Event.last_ends_at > window_start),
    )
    rows = limit + 1 + PAGE_SERIES  # the singles come first, then the series by start
    events = list(
        db.session.scalars(
            _with_event_parents(select(Event))
            .where(*conditions, or_(singles, series))
            .order_by(Event.rrule != "", Event.starts_at, Event.id)
            .limit(rows)
        )
    )
    found = Occurrences()
    complete, allowance = len(events) < rows, Allowance()
    for event in events:
        end = series_until if event.rrule else window_end
        dates = expand(event, window_start, end, allowance=allowance)
        complete &= dates.complete
        found.extend(dates)
    found.sort(key=lambda o: o.starts_at)
    if len(found) > limit:
        del found[limit:]
        complete = False
    found.complete = complete
    return found


def campaign_event_count(campaign: Campaign) -> int:
    """How many events (series count once) the campaign holds."""
    return db.session.scalar(
        select(func.count()).select_from(Event).where(Event.campaign_id == campaign.id)
    )


def visible_events(viewer: Any, **scope: Any) -> list[Event]:
    """Whole events (series) the viewer may see, for feeds (scope: campaign, org, mine)."""
    return list(db.session.scalars(_events(viewer, **scope).order_by(Event.starts_at, Event.id)))


def public_events(**scope: Any) -> list[Event]:
    """Whole events anyone may see (feeds read without cookies)."""
    return visible_events(None, **scope)


# Versions of a feed's events: what its bytes depend on, read without building objects.
# Every change of an event raises its sequence (services.update_event, cancel_event) and a
# new row has a new updated_at (ids can be reused after a deletion); a changed date gets a
# new updated_at on its override. Times are read as stored, unparsed: they are only compared
# (SQLite stores them in one fixed-width format, so they also sort as text).
_STAMP = type_coerce(Event.updated_at, String)
_START = type_coerce(Event.starts_at, String)
_OVERRIDE_STAMP = type_coerce(EventOverride.updated_at, String)


def feed_versions(viewer: Any, **scope: Any) -> tuple[tuple[Any, ...], ...]:
    """The version of every event a feed holds, in the feed's order (by start).

    One (id, sequence, updated_at, (changed dates, the latest change of one)) per event;
    ``viewer`` None is anyone (the public and organisation feeds), scope as for
    visible_events. Equal values mean the feed holds the same events in the same versions.
    Two statements, however many events.
    """
    conditions = _event_filter(viewer, **scope)
    rows = db.session.execute(
        select(_START, Event.id, Event.sequence, _STAMP).where(*conditions)
    ).all()
    changed = {
        event_id: (count, stamp)
        for event_id, count, stamp in db.session.execute(
            select(EventOverride.event_id, func.count(EventOverride.id), func.max(_OVERRIDE_STAMP))
            .where(EventOverride.event_id.in_(select(Event.id).where(*conditions)))
            .group_by(EventOverride.event_id)
        )
    }
    no_change = (0, None)
    return tuple(
        (event_id, sequence, stamp, changed.get(event_id, no_change))
        for _start, event_id, sequence, stamp in sorted(map(tuple, rows))  # by start, then id
    )


def events_by_id(ids: list[int]) -> dict[int, Event]:
    """These events with their changed dates, by id (for building their VEVENTs)."""
    found: dict[int, Event] = {}
    for start in range(0, len(ids), 500):  # a bounded number of parameters per statement
        chunk = ids[start : start + 500]
        found.update(
            (e.id, e) for e in db.session.scalars(select(Event).where(Event.id.in_(chunk)))
        )
    return found


def org_listed(org: Organisation) -> bool:
    """Whether anyone may see this organisation (its public feed exists)."""
    return ORGANISATION.open_to(ANONYMOUS, org)


def open_to_everyone(event: Event) -> bool:
    """Whether anyone, signed in or not, may see this event."""
    return EVENT.open_to(ANONYMOUS, event)


def upcoming(event: Event, count: int = 8) -> list[Occurrence]:
    """The next dates of a series, within a year."""
    if not repeats(event):
        return []
    now = datetime.now(UTC)
    # A changed date may move after the next `count`: take as many more as there are changes.
    found = expand(event, now, now + timedelta(days=366), limit=count + len(event.overrides))
    return found[:count]


def first_occurrence(event: Event) -> Occurrence | None:
    """The event's first date (what a page shows when no date was asked for)."""
    found = occurrences(event, event.starts_at, event.ends_at + timedelta(days=1))
    return found[0] if found else None


def requested_occurrence(event: Event, value: str) -> Occurrence | None:
    """The occurrence of a series that started at this ISO instant, or None."""
    try:
        at = datetime.fromisoformat(value.strip().replace(" ", "+"))  # a '+' typed in a URL
    except ValueError:
        return None
    if at.tzinfo is None or not 1900 < at.year < 2200:  # far dates: no such occurrence
        return None
    at = at.astimezone(UTC)
    found = occurrences(event, at - timedelta(days=400), at + timedelta(days=400))
    return next(
        (
            o
            for o in found
            if o.recurrence_id == at or (o.recurrence_id is None and o.starts_at == at)
        ),
        None,
    )


# --- RSVP and feeds ---------------------------------------------------------------------------


def rsvp_counts(event: Event) -> dict[RsvpResponse, int]:
    """How many answered going, maybe, not going (one query)."""
    counts = dict.fromkeys(RsvpResponse, 0)
    rows = db.session.execute(
        select(Rsvp.response, func.count()).where(Rsvp.event_id == event.id).group_by(Rsvp.response)
    )
    for response, n in rows:
        counts[response] = n
    return counts


def rsvp_answers(event: Event) -> list[Rsvp]:
    """Everyone's answer with their name, first answered first."""
    return list(
        db.session.scalars(
            select(Rsvp)
            .options(selectinload(Rsvp.user))
            .where(Rsvp.event_id == event.id)
            .order_by(Rsvp.created_at)
        )
    )


def my_rsvp(user: Any, event: Event) -> RsvpResponse | None:
    """This person's answer to the event, if any."""
    if not user.is_authenticated:
        return None
    answer = db.session.get(Rsvp, (event.id, user.id))
    return answer.response if answer else None


def has_feed_address(user: User) -> bool:
    """Whether this person has a working personal feed address."""
    return (
        db.session.scalar(
            select(CalendarToken.id).where(
                CalendarToken.user_id == user.id, CalendarToken.revoked_at.is_(None)
            )
        )
        is not None
    )
