"""Forms for campaigns, events, single occurrences and RSVP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError

from app.campaigns.recurrence import FREQUENCIES, WEEKDAYS, parse_rule
from app.campaigns.services import EventDraft
from app.campaigns.timefmt import ZoneField, month_name, until_date, weekday_name
from app.formtools import CheckboxList, choices
from app.i18n import is_valid_timezone
from app.models import CampaignStatus, Visibility


def visibility_choices():
    """Who can see a campaign or an event: everyone, the movement, or those taking part."""
    return choices(
        [
            (Visibility.PUBLIC.value, _l("Everyone (public)")),
            (Visibility.MOVEMENT.value, _l("Members of the movement")),
            (Visibility.PARTICIPANTS.value, _l("Only the organisations taking part")),
        ]
    )


def weekday_choices():
    """The days of the week in the reader's language, Monday first (RFC 5545 codes)."""
    return choices((code, weekday_name(i)) for i, code in enumerate(WEEKDAYS))


class CampaignForm(FlaskForm):
    """Start or edit a campaign: name, goal, description, dates, status and who sees it."""

    title = StringField(
        _l("Name of the campaign"),
        validators=[DataRequired(_l("Please enter a name.")), Length(max=150)],
        render_kw={"dir": "auto"},
    )
    goal = StringField(_l("Goal, in one sentence"), validators=[Length(max=500)])
    description = TextAreaField(
        _l("Description"),
        description=_l("You can use Markdown: **bold**, *italic*, lists and links."),
        validators=[Length(max=20_000)],
        render_kw={"dir": "auto"},
    )
    starts_on = DateField(_l("First day"), validators=[DataRequired(_l("Choose a date."))])
    ends_on = DateField(_l("Last day"), validators=[DataRequired(_l("Choose a date."))])
    status = SelectField(_l("Status"), choices=[])
    visibility = SelectField(_l("Who can see it"), choices=[])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = choices(
            [
                (CampaignStatus.PLANNED.value, _l("Planned")),
                (CampaignStatus.ACTIVE.value, _l("Active")),
                (CampaignStatus.CLOSED.value, _l("Closed")),
            ]
        )
        self.visibility.choices = visibility_choices()

    def validate_ends_on(self, field) -> None:
        """Check that the last day is not before the first."""
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day must be after the first day."))

    def fill_from(self, campaign) -> None:
        """Pre-fill the form from a campaign."""
        for name in ("title", "goal", "description", "starts_on", "ends_on"):
            getattr(self, name).data = getattr(campaign, name)
        self.status.data = campaign.status.value
        self.visibility.data = campaign.visibility.value

    def values(self) -> dict:
        """The answers, as services.update_campaign takes them."""
        return {
            "title": self.title.data,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "description": self.description.data or "",
            "goal": self.goal.data or "",
            "visibility": Visibility(self.visibility.data),
            "status": CampaignStatus(self.status.data),
        }


class InviteForm(FlaskForm):
    """Choose an organisation to invite to a campaign."""

    organisation = SelectField(_l("Organisation to invite"), choices=[])


class RsvpForm(FlaskForm):
    """One person's answer to an event (going, maybe, not going): one button per answer."""

    response = HiddenField()


class ImportForm(FlaskForm):
    """Upload an .ics file of events exported from another calendar program."""

    file = FileField(
        _l("Calendar file (.ics)"),
        description=_l("Exported from another calendar program, at most 1 MB."),
        validators=[FileRequired(_l("Please choose a file."))],
    )


# How the form shows the days of a month or year a rule picks (BYDAY's ordinals).
POSITIONS = ("1", "2", "3", "4", "5", "-1", "-2")
_RULE_PARTS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL"}
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


def position_choices():
    """Which of a weekday in the month: first to fifth, last, second to last."""
    return choices(
        [
            ("1", _l("first")),
            ("2", _l("second")),
            ("3", _l("third")),
            ("4", _l("fourth")),
            ("5", _l("fifth")),
            ("-1", _l("last")),
            ("-2", _l("second to last")),
        ]
    )


def month_choices():
    """The months in the reader's language, January first."""
    return choices((str(m), month_name(m)) for m in range(1, 13))


def parse_monthdays(text: str) -> tuple[int, ...]:
    """'1, 15, -1' -> (1, 15, -1); ValueError unless each is a day of a month (from the end).

    Also as an Arabic keyboard types it: the comma "،", Arabic-Indic digits (int reads them),
    the minus sign "−".
    """
    text = (text or "").replace("\u2212", "-")
    days = tuple(int(part) for part in re.split(r"[,\u060c\s]+", text) if part)
    if any(not 1 <= abs(day) <= 31 for day in days):
        raise ValueError(text)
    return days


@dataclass(frozen=True)
class RepeatChoices:
    """What the repeat fields of the event form say, as a rule would be built from them."""

    freq: str = ""
    interval: int = 1
    weekdays: tuple[str, ...] = ()
    positions: tuple[str, ...] = ()
    monthdays: tuple[int, ...] = ()
    months: tuple[int, ...] = ()
    ends: str = "never"
    count: int | None = None
    until: date | None = None


def repeat_choices(rrule: str, zone: str, at: time | None = None) -> RepeatChoices | None:
    """The form's answers that give exactly this rule; None when the form cannot show it.

    ``at``: the wall time the event starts at (see timefmt.until_date).
    """
    rule = parse_rule(rrule)
    try:
        freq, interval = rule["FREQ"], int(rule.get("INTERVAL", "1"))
        pairs = set()
        for item in filter(None, rule.get("BYDAY", "").split(",")):
            ordinal, day = _BYDAY.match(item).groups()
            pairs.add((str(int(ordinal)) if ordinal else "", day))
        positions, days = {p for p, _d in pairs}, {d for _p, d in pairs}
        monthdays = parse_monthdays(rule.get("BYMONTHDAY", "").replace(",", " "))
        months = tuple(sorted({int(m) for m in filter(None, rule.get("BYMONTH", "").split(","))}))
        count = int(rule["COUNT"]) if "COUNT" in rule else None
        until = until_date(rule["UNTIL"], zone, at) if "UNTIL" in rule else None
    except (KeyError, ValueError, AttributeError):
        return None
    plain = positions <= {""}
    exact = (
        set(rule) <= _RULE_PARTS
        and freq in FREQUENCIES
        and 1 <= interval <= 99
        and (plain or (positions <= set(POSITIONS) and freq in ("MONTHLY", "YEARLY")))
        # Ordinals are shown as positions × days: every pair must be in the rule.
        and len(pairs) == len(positions) * len(days)
        and not (monthdays and freq == "WEEKLY")
        and all(1 <= m <= 12 for m in months)
        and (count is None or 1 <= count <= 500)
        and not (count and until)
    )
    if not exact:
        return None
    return RepeatChoices(
        freq=freq,
        interval=interval,
        weekdays=tuple(d for d in WEEKDAYS if d in days),
        positions=() if plain else tuple(p for p in POSITIONS if p in positions),
        monthdays=tuple(sorted(set(monthdays))),
        months=months,
        ends="count" if count else "until" if until else "never",
        count=count,
        until=until,
    )


class EventForm(FlaskForm):
    """Add or edit an event: wall time in its own zone, repetition, place and who sees it.

    A campaign event has no visibility field: its audience follows its campaign.
    """

    organisation = SelectField(_l("Organised by"), choices=[])
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Please enter a title.")), Length(max=150)],
        render_kw={"dir": "auto"},
    )
    description = TextAreaField(
        _l("Description"),
        description=_l("You can use Markdown: **bold**, *italic*, lists and links."),
        validators=[Length(max=20_000)],
        render_kw={"dir": "auto"},
    )
    timezone = ZoneField(
        _l("Time zone of the event"),
        description=_l("The times below are the clock time in this place."),
    )
    day = DateField(_l("Date"), validators=[DataRequired(_l("Choose a date."))])
    start_time = TimeField(_l("Start time"), validators=[Optional()])
    end_time = TimeField(_l("End time"), validators=[Optional()])
    # Shown only once an end before the start has been asked about (see validate_end_time).
    ends_next_day = BooleanField(_l("It ends the next day"))
    end_day = DateField(
        _l("Last day (optional)"),
        description=_l("For an event over several days."),
        validators=[Optional()],
    )
    all_day = BooleanField(_l("All day"))
    keep_rule = RadioField(_l("Repeat rule"), choices=[], default="keep", validate_choice=False)
    repeat = SelectField(_l("Repeat"), choices=[])
    weekdays = CheckboxList(_l("On these days of the week"), choices=[])
    positions = CheckboxList(
        _l("Only these of them in the month (for monthly or yearly)"), choices=[]
    )
    monthdays = StringField(
        _l("Days of the month (optional)"),
        description=_l("For example 15, or 1, 15; -1 is the last day of the month."),
        validators=[Length(max=200)],
    )
    months = CheckboxList(_l("In these months (optional)"), choices=[])
    interval = IntegerField(
        _l("Every how many days, weeks, months or years"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=99)],
    )
    ends = RadioField(_l("The series ends"), choices=[], default="never")
    count = IntegerField(
        _l("Number of times"), validators=[Optional(), NumberRange(min=1, max=500)]
    )
    until = DateField(_l("Last date"), validators=[Optional()])
    exdates = TextAreaField(
        _l("Dates left out"),
        description=_l("One date per line, like 2026-04-07."),
        validators=[Length(max=2000)],
    )
    location = StringField(_l("Place (address)"), validators=[Length(max=300)])
    latitude = FloatField(
        _l("Latitude (optional)"), validators=[Optional(), NumberRange(min=-90, max=90)]
    )
    longitude = FloatField(
        _l("Longitude (optional)"), validators=[Optional(), NumberRange(min=-180, max=180)]
    )
    online_url = URLField(
        _l("Online link (optional)"),
        validators=[
            Optional(),
            URL(message=_l("Enter a full address starting with https://")),
            Length(max=500),
        ],
    )
    capacity = IntegerField(
        _l("Places available (optional)"),
        validators=[Optional(), NumberRange(min=1, max=100_000)],
    )
    visibility = SelectField(_l("Who can see it"), choices=[])

    def __init__(self, *args, in_campaign: bool = False, stored_rule: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.in_campaign = in_campaign
        if in_campaign:
            del self.visibility  # neither shown nor sent: the campaign decides who sees it
        # The rule being edited, kept as stored unless the person changes the repeat fields.
        self.stored_rule = stored_rule
        self.repeat.choices = choices(
            [
                ("", _l("Does not repeat")),
                ("DAILY", _l("Every day")),
                ("WEEKLY", _l("Every week")),
                ("MONTHLY", _l("Every month")),
                ("YEARLY", _l("Every year")),
            ]
        )
        self.weekdays.choices = weekday_choices()
        self.positions.choices = position_choices()
        self.months.choices = month_choices()
        self.keep_rule.choices = choices(
            [
                ("keep", _l("Keep it as it is")),
                ("replace", _l("Replace it with the repeat chosen below")),
            ]
        )
        self.ends.choices = choices(
            [
                ("never", _l("Never")),
                ("count", _l("After a number of times")),
                ("until", _l("On a date")),
            ]
        )
        if not in_campaign:
            self.visibility.choices = visibility_choices()

    @property
    def imported_rule(self) -> bool:
        """Whether the stored rule is one the repeat fields cannot show exactly."""
        if not self.stored_rule:
            return False
        return repeat_choices(self.stored_rule, self.zone, self._at) is None

    @property
    def _at(self) -> time | None:
        """The wall time the event starts at, as the form says it (None for all-day events)."""
        return self.start_time.data if not self.all_day.data else None

    @property
    def zone(self) -> str:
        """The event's zone as answered (UTC until a valid one is)."""
        return self.timezone.data if is_valid_timezone(self.timezone.data) else "UTC"

    def validate_timezone(self, field) -> None:
        """Check that the time zone is one zoneinfo knows."""
        if not is_valid_timezone(field.data):
            raise ValidationError(_l("Choose a time zone from the list."))

    def validate_start_time(self, field) -> None:
        """Check that there is a start time, unless the event lasts all day."""
        if not self.all_day.data and field.data is None:
            raise ValidationError(_l("Enter a start time, or tick All day."))

    @property
    def ends_before_start(self) -> bool:
        """Whether a timed event's end time is not after its start on the same date."""
        return bool(
            not self.all_day.data
            and self.start_time.data
            and self.end_time.data
            and self.end_time.data <= self.start_time.data
            and self.end_day.data in (None, self.day.data)
        )

    @property
    def asks_next_day(self) -> bool:
        """Whether the page shows the "It ends the next day" choice."""
        return self.ends_before_start or bool(self.ends_next_day.data)

    def validate_end_time(self, field) -> None:
        """Ask, rather than guess, whether an end before the start is on the next day."""
        if self.ends_before_start and not self.ends_next_day.data:
            raise ValidationError(
                _l("The end is not after the start. Does the event end the next day?")
            )

    def validate_end_day(self, field) -> None:
        """Check that the last day is not before the first."""
        if field.data and self.day.data and field.data < self.day.data:
            raise ValidationError(_l("The last day must not be before the date."))

    def validate_positions(self, field) -> None:
        """Check that 'the last Friday' names a day, in a monthly or yearly series."""
        if not self.repeat.data or not field.data:
            return
        if self.repeat.data not in ("MONTHLY", "YEARLY"):
            raise ValidationError(_l("Choose these only for a monthly or yearly series."))
        if not self.weekdays.data:
            raise ValidationError(_l("Choose the days of the week too."))

    def validate_monthdays(self, field) -> None:
        """Check that the days of the month are numbers from 1 to 31 (or -1 to -31)."""
        try:
            parse_monthdays(field.data)
        except ValueError:
            raise ValidationError(
                _l("Write days of the month as numbers from 1 to 31, or -1 for the last day.")
            ) from None
        if (field.data or "").strip() and self.repeat.data == "WEEKLY":
            raise ValidationError(_l("Days of the month do not go with a weekly series."))

    def validate_count(self, field) -> None:
        """Check that a series that ends after a number of times says how many."""
        if self.repeat.data and self.ends.data == "count" and not field.data:
            raise ValidationError(_l("Enter how many times."))

    def validate_until(self, field) -> None:
        """Check that a series that ends on a date has one, not before the first date."""
        if self.repeat.data and self.ends.data == "until":
            if not field.data:
                raise ValidationError(_l("Choose the last date."))
            if self.day.data and field.data < self.day.data:
                raise ValidationError(_l("The last date must be after the first date."))

    def validate_exdates(self, field) -> None:
        """Check that every date left out is written like 2026-04-07."""
        try:
            self._exdates()
        except ValueError:
            raise ValidationError(_l("Write each date like 2026-04-07.")) from None

    def _exdates(self) -> list[datetime]:
        start = self._start_time()
        return [
            datetime.combine(datetime.strptime(line.strip(), "%Y-%m-%d").date(), start)
            for line in (self.exdates.data or "").splitlines()
            if line.strip()
        ]

    def _start_time(self) -> time:
        return time(0, 0) if self.all_day.data else (self.start_time.data or time(0, 0))

    def answers(self) -> RepeatChoices:
        """The repeat fields as answered."""
        freq = self.repeat.data if self.repeat.data in FREQUENCIES else ""
        ends = self.ends.data if self.ends.data in ("count", "until") else "never"
        return RepeatChoices(
            freq=freq,
            interval=self.interval.data or 1,
            weekdays=tuple(d for d in WEEKDAYS if d in (self.weekdays.data or [])),
            positions=tuple(p for p in POSITIONS if p in (self.positions.data or [])),
            monthdays=tuple(sorted(set(parse_monthdays(self.monthdays.data)))),
            months=tuple(sorted({int(m) for m in self.months.data or [] if m.isdigit()})),
            ends=ends,
            count=self.count.data if ends == "count" else None,
            until=self.until.data if ends == "until" else None,
        )

    def rrule(self) -> str:
        """The RFC 5545 rule the answers describe ('' when the event does not repeat).

        The stored rule stays as it is, written as it was, while the repeat fields still say
        what they showed, or while the person keeps a rule the fields cannot show.
        """
        if self.imported_rule and self.keep_rule.data != "replace":
            return self.stored_rule
        wanted = self.answers()
        if not wanted.freq:
            return ""
        if self.stored_rule and repeat_choices(self.stored_rule, self.zone, self._at) == wanted:
            return self.stored_rule
        parts = [f"FREQ={wanted.freq}", f"INTERVAL={wanted.interval}"]
        if wanted.months:
            parts.append("BYMONTH=" + ",".join(map(str, wanted.months)))
        if wanted.monthdays:
            parts.append("BYMONTHDAY=" + ",".join(map(str, wanted.monthdays)))
        days = list(wanted.weekdays)
        if wanted.freq == "WEEKLY" and not days:
            days = [WEEKDAYS[self.day.data.weekday()]]
        if days:
            ordinals = wanted.positions or ("",)
            parts.append("BYDAY=" + ",".join(f"{p}{d}" for p in ordinals for d in days))
        if wanted.count:
            parts.append(f"COUNT={wanted.count}")
        elif wanted.until:
            # The end of that day in the event's zone, written in UTC as RFC 5545 requires.
            last = datetime.combine(wanted.until, time(23, 59, 59))
            last = last.replace(tzinfo=ZoneInfo(self.zone)).astimezone(UTC)
            parts.append("UNTIL=" + last.strftime("%Y%m%dT%H%M%SZ"))
        return ";".join(parts)

    def _ends(self, starts: datetime) -> datetime:
        """The end in wall time (the day after an all-day event's last day)."""
        last_day = self.end_day.data or self.day.data
        if self.all_day.data:
            return datetime.combine(last_day + timedelta(days=1), time(0, 0))
        if not self.end_time.data:
            return starts + timedelta(hours=1)  # an hour long without an end
        ends = datetime.combine(last_day, self.end_time.data)
        if ends <= starts and self.ends_next_day.data:  # an evening vigil ending after midnight
            ends += timedelta(days=1)
        return ends

    def draft(self) -> EventDraft:
        """The answers as an EventDraft, in the event's wall time."""
        starts = datetime.combine(self.day.data, self._start_time())
        rrule = self.rrule()
        return EventDraft(
            title=self.title.data,
            timezone=self.timezone.data,
            starts_local=starts,
            ends_local=self._ends(starts),
            all_day=bool(self.all_day.data),
            description=self.description.data or "",
            rrule=rrule,
            exdates_local=self._exdates() if rrule else [],
            location=self.location.data or "",
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            online_url=self.online_url.data or "",
            capacity=self.capacity.data,
            visibility=Visibility.PUBLIC if self.in_campaign else Visibility(self.visibility.data),
        )

    def fill_from(self, event) -> None:
        """Pre-fill from an event, in its own wall time, showing exactly what is stored."""
        zone = ZoneInfo(event.timezone)
        start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
        for name in ("title", "description", "location", "latitude", "longitude", "capacity"):
            getattr(self, name).data = getattr(event, name)
        self.online_url.data = event.online_url
        self.timezone.data = event.timezone
        self.day.data = start.date()
        self.all_day.data = event.all_day
        self.start_time.data, self.end_time.data = start.time(), end.time()
        last_day = (end - timedelta(days=1)).date() if event.all_day else end.date()
        self.end_day.data = last_day if last_day > start.date() else None
        if not self.in_campaign:
            self.visibility.data = event.visibility.value
        shown = repeat_choices(event.rrule, event.timezone, start.time()) if event.rrule else None
        shown = shown or RepeatChoices()  # a rule the fields cannot show is kept apart
        self.repeat.data, self.interval.data = shown.freq, shown.interval
        self.weekdays.data, self.positions.data = list(shown.weekdays), list(shown.positions)
        self.monthdays.data = ", ".join(map(str, shown.monthdays))
        self.months.data = [str(m) for m in shown.months]
        self.ends.data, self.count.data, self.until.data = shown.ends, shown.count, shown.until
        self.exdates.data = "\n".join(
            datetime.fromisoformat(value).astimezone(zone).date().isoformat()
            for value in event.exdates or []
        )


class OccurrenceForm(FlaskForm):
    """Change or cancel one date of a series."""

    recurrence_id = HiddenField(validators=[DataRequired()])
    title = StringField(
        _l("Title for this date (optional)"),
        validators=[Length(max=150)],
        render_kw={"dir": "auto"},
    )
    day = DateField(_l("Date"), validators=[DataRequired(_l("Choose a date."))])
    start_time = TimeField(_l("Start time"), validators=[DataRequired(_l("Enter a time."))])
    end_time = TimeField(_l("End time"), validators=[Optional()])
