"""Forms for manifestos: start one, its details, its text (without JavaScript), its status."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from app.collab.store import MAX_CHARS
from app.config import LANGUAGES
from app.formtools import choices
from app.i18n import language_name
from app.models import DraftVisibility, ManifestoStatus


def visibility_choices() -> list[tuple[str, object]]:
    """Who may read the draft, in words."""
    return [
        (DraftVisibility.COMMITTEE, _l("Only the organisations drafting it")),
        (DraftVisibility.MOVEMENT, _l("Members of every organisation of the movement")),
        (DraftVisibility.PUBLIC, _l("Everyone, also people without an account")),
    ]


def status_choices() -> list[tuple[str, object]]:
    """The stages of a manifesto, in words."""
    return [
        (ManifestoStatus.DRAFTING, _l("Being drafted")),
        (ManifestoStatus.OPEN, _l("Open for organisations to sign")),
        (ManifestoStatus.PUBLISHED, _l("Published")),
        (ManifestoStatus.CLOSED, _l("Closed to signatures")),
    ]


class DetailsForm(FlaskForm):
    """A manifesto's title, language and who reads the draft."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Please enter a title.")), Length(max=200)],
        render_kw={"dir": "auto"},
    )
    language = SelectField(_l("Language of the text"), choices=[])
    visibility = RadioField(
        _l("Who may read it while it is being drafted?"),
        choices=[],
        default=DraftVisibility.COMMITTEE.value,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = choices((code, language_name(code)) for code in LANGUAGES)
        self.visibility.choices = choices(visibility_choices())


class StartForm(DetailsForm):
    """Start a manifesto in the name of one of the organisations one coordinates."""

    organisation = SelectField(_l("Drafted first by"), choices=[])

    def __init__(self, *args, organisations: list[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organisation.choices = choices(organisations)


class TextForm(FlaskForm):
    """The whole text in a plain box, with the version it was read at."""

    text = TextAreaField(
        _l("Text"),
        description=_l("You can use Markdown: # for a heading, **bold**, lists with -."),
        validators=[Length(max=MAX_CHARS)],
        render_kw={"dir": "auto", "rows": 24},
    )
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0)])


class StatusForm(FlaskForm):
    """Move the manifesto to another stage."""

    status = SelectField(_l("Stage"), choices=[])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = choices(status_choices())


class CommitteeForm(FlaskForm):
    """Add an organisation to the drafting committee."""

    organisation = SelectField(_l("Organisation"), choices=[])

    def __init__(self, *args, organisations: list[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organisation.choices = choices(organisations)


class NameForm(FlaskForm):
    """Name the text as it is now ("after the Dakar meeting")."""

    name = StringField(
        _l("Name of this version"),
        validators=[DataRequired(_l("Please enter a name.")), Length(max=120)],
        render_kw={"dir": "auto"},
    )


class CompareForm(FlaskForm):
    """Choose two revisions to compare (a GET form: nothing changes)."""

    class Meta:
        """Comparing only reads."""

        csrf = False

    a = SelectField(_l("From"), choices=[])
    b = SelectField(_l("To"), choices=[])

    def __init__(self, *args, numbers: list[int] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        listed = choices((str(n), str(n)) for n in numbers)
        self.a.choices, self.b.choices = listed, list(listed)


class EndorseForm(FlaskForm):
    """Sign in an organisation's name."""

    organisation = SelectField(_l("Organisation signing"), choices=[])
    signer_name = StringField(
        _l("Name of the person signing"),
        validators=[DataRequired(_l("Please enter a name.")), Length(max=120)],
        render_kw={"dir": "auto", "autocomplete": "name"},
    )
    statement = TextAreaField(
        _l("A few words from your organisation (optional)"),
        validators=[Length(max=2_000)],
        render_kw={"dir": "auto", "rows": 4},
    )

    def __init__(self, *args, organisations: list[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organisation.choices = choices(organisations)


class TranslationForm(FlaskForm):
    """Start a translation into a language."""

    language = SelectField(_l("Language of the translation"), choices=[])

    def __init__(self, *args, languages: list[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = choices((code, language_name(code)) for code in languages)


class CommentForm(FlaskForm):
    """A comment on a passage (its words, or an anchor set by the editor), or a reply."""

    quote = StringField(
        _l("The passage you comment on"),
        description=_l("Copy a few words of it from the text."),
        validators=[Length(max=300)],
        render_kw={"dir": "auto"},
    )
    body = TextAreaField(
        _l("Comment"),
        validators=[DataRequired(_l("Please write a comment.")), Length(max=2_000)],
        render_kw={"dir": "auto", "rows": 3},
    )
    anchor = HiddenField()
    parent = HiddenField()
