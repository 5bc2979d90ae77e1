"""Forms for campaigns, events, single occurrences and RSVP."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
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
from app.campaigns.timefmt import weekday_name
from app.formtools import CheckboxList, choices
from app.i18n import all_timezones, is_valid_timezone
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


class EventForm(FlaskForm):
    """Add or edit an event: wall time in its own zone, repetition, place and who sees it."""

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
    timezone = SelectField(
        _l("Time zone of the event"),
        description=_l("The times below are the clock time in this place."),
        choices=[],
        validate_choice=False,
    )
    day = DateField(_l("Date"), validators=[DataRequired(_l("Choose a date."))])
    start_time = TimeField(_l("Start time"), validators=[Optional()])
    end_time = TimeField(_l("End time"), validators=[Optional()])
    all_day = BooleanField(_l("All day"))
    repeat = SelectField(_l("Repeat"), choices=[])
    weekdays = CheckboxList(_l("On these days (for weekly)"), choices=[])
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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = choices((z, z.replace("_", " ")) for z in all_timezones())
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
        self.ends.choices = choices(
            [
                ("never", _l("Never")),
                ("count", _l("After a number of times")),
                ("until", _l("On a date")),
            ]
        )
        self.visibility.choices = visibility_choices()

    def validate_timezone(self, field) -> None:
        """Check that the time zone is one zoneinfo knows."""
        if not is_valid_timezone(field.data):
            raise ValidationError(_l("Choose a time zone from the list."))

    def validate_start_time(self, field) -> None:
        """Check that there is a start time, unless the event lasts all day."""
        if not self.all_day.data and field.data is None:
            raise ValidationError(_l("Enter a start time, or tick All day."))

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

    def rrule(self) -> str:
        """The RFC 5545 rule the answers describe ('' when the event does not repeat)."""
        freq = self.repeat.data
        if freq not in FREQUENCIES:
            return ""
        parts = [f"FREQ={freq}", f"INTERVAL={self.interval.data or 1}"]
        if freq == "WEEKLY":
            days = [d for d in WEEKDAYS if d in (self.weekdays.data or [])]
            parts.append("BYDAY=" + ",".join(days or [WEEKDAYS[self.day.data.weekday()]]))
        if self.ends.data == "count" and self.count.data:
            parts.append(f"COUNT={self.count.data}")
        elif self.ends.data == "until" and self.until.data:
            # The end of that day in the event's zone, written in UTC as RFC 5545 requires.
            last = datetime.combine(self.until.data, time(23, 59, 59))
            last = last.replace(tzinfo=ZoneInfo(self.timezone.data)).astimezone(UTC)
            parts.append("UNTIL=" + last.strftime("%Y%m%dT%H%M%SZ"))
        return ";".join(parts)

    def draft(self, in_campaign: bool) -> EventDraft:
        """The answers as an EventDraft, in the event's wall time; an hour long without an end."""
        starts = datetime.combine(self.day.data, self._start_time())
        if self.all_day.data:
            ends = starts + timedelta(days=1)
        elif self.end_time.data:
            ends = datetime.combine(self.day.data, self.end_time.data)
            if ends <= starts:  # an evening vigil that ends after midnight
                ends += timedelta(days=1)
        else:
            ends = starts + timedelta(hours=1)
        return EventDraft(
            title=self.title.data,
            timezone=self.timezone.data,
            starts_local=starts,
            ends_local=ends,
            all_day=bool(self.all_day.data),
            description=self.description.data or "",
            rrule=self.rrule(),
            exdates_local=self._exdates() if self.repeat.data else [],
            location=self.location.data or "",
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            online_url=self.online_url.data or "",
            capacity=self.capacity.data,
            visibility=Visibility.PUBLIC if in_campaign else Visibility(self.visibility.data),
        )

    def fill_from(self, event) -> None:
        """Pre-fill from an event, in its own wall time."""
        zone = ZoneInfo(event.timezone)
        start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
        for name in ("title", "description", "location", "latitude", "longitude", "capacity"):
            getattr(self, name).data = getattr(event, name)
        self.online_url.data = event.online_url
        self.timezone.data = event.timezone
        self.day.data = start.date()
        self.all_day.data = event.all_day
        self.start_time.data, self.end_time.data = start.time(), end.time()
        self.visibility.data = event.visibility.value
        rule = parse_rule(event.rrule)
        self.repeat.data = rule.get("FREQ", "")
        self.interval.data = int(rule.get("INTERVAL", 1))
        self.weekdays.data = [d for d in rule.get("BYDAY", "").split(",") if d]
        self.ends.data = "never"
        if "COUNT" in rule:
            self.ends.data, self.count.data = "count", int(rule["COUNT"])
        elif "UNTIL" in rule:
            until = datetime.strptime(rule["UNTIL"][:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
            self.ends.data, self.until.data = "until", until.astimezone(zone).date()
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
