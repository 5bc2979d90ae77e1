"""Forms of the rooms pages (the JavaScript client sends the same fields over sockets)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class MessageForm(FlaskForm):
    """The text of a message, to write one or to change it."""

    body = TextAreaField(
        _l("Your message"),
        validators=[DataRequired(_l("Please write a message first."))],
        render_kw={"dir": "auto"},  # follows the language being typed (Arabic or Spanish)
    )
    # Generated with the page, so a form sent twice (double tap, resend) is stored once.
    client_id = HiddenField()


class RoomForm(FlaskForm):
    """Open a room: its name and what it is for."""

    name = StringField(
        _l("Name of the room"),
        validators=[DataRequired(_l("Please enter a name.")), Length(max=80)],
    )
    description = TextAreaField(_l("What is this room for? (optional)"), [Length(max=500)])


class ReportForm(FlaskForm):
    """Report a message to the room's moderators, with an optional reason."""

    reason = TextAreaField(_l("Why should a moderator look at this? (optional)"), [Length(max=500)])


class RoomSettingsForm(RoomForm):
    """A room's name and description, and whom it is for (the places one may open rooms)."""

    audience = SelectField(
        _l("Who is this room for?"),
        description=_l(
            "Everyone who can read the room in its new place also reads its earlier messages. "
            "People who can no longer read it lose it at once."
        ),
        choices=[],
    )
