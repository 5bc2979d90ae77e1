"""Forms for the library: add a document, its details, a new version, the list's filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.config import LANGUAGES
from app.formtools import choices
from app.i18n import language_name
from app.models import DocumentVisibility

ACCEPT = ".pdf,.docx,.odt,.md,.markdown,.txt"


def visibility_choices() -> list[tuple[str, object]]:
    """Who may see a document, in words."""
    return [
        (DocumentVisibility.PUBLIC, _l("Everyone, also people without an account")),
        (DocumentVisibility.MOVEMENT, _l("Members of every organisation of the movement")),
        (DocumentVisibility.ORGANISATION, _l("Only the members of our organisation")),
    ]


class DetailsForm(FlaskForm):
    """A document's details: what it is, in which language, for whom."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Please enter a title.")), Length(max=200)],
        render_kw={"dir": "auto"},
    )
    description = TextAreaField(
        _l("What is it about? (optional)"),
        description=_l("You can use Markdown: **bold**, *italic*, lists and links."),
        validators=[Length(max=5_000)],
        render_kw={"dir": "auto", "rows": 4},
    )
    language = SelectField(_l("Language of the document"), choices=[])
    tags = StringField(
        _l("Tags (optional)"),
        description=_l("Words that help find it, separated by commas: legal guide, testimony"),
        validators=[Length(max=500)],
        render_kw={"dir": "auto"},
    )
    campaign = SelectField(_l("Campaign (optional)"), choices=[], validators=[Optional()])
    visibility = RadioField(
        _l("Who may find and read it?"),
        choices=[],
        default=DocumentVisibility.ORGANISATION.value,
    )

    def __init__(self, *args, campaigns: list[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = choices((code, language_name(code)) for code in LANGUAGES)
        self.visibility.choices = choices(visibility_choices())
        self.campaign.choices = choices([("", str(_l("None")))] + list(campaigns))


class UploadForm(DetailsForm):
    """Add a document: the file, then its details and the organisation it belongs to."""

    file = FileField(
        _l("File (PDF, Word, OpenDocument, Markdown or text)"),
        validators=[FileRequired(_l("Please choose a file."))],
        render_kw={"accept": ACCEPT},
    )
    organisation = SelectField(_l("Organisation"), choices=[])

    field_order = ("file", "title", "organisation")

    def __init__(self, *args, organisations: list[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organisation.choices = choices(organisations)


class VersionForm(FlaskForm):
    """Upload a new version of a document's file."""

    file = FileField(
        _l("New file"),
        validators=[FileRequired(_l("Please choose a file."))],
        render_kw={"accept": ACCEPT},
    )
    note = StringField(
        _l("What changed? (optional)"), validators=[Length(max=300)], render_kw={"dir": "auto"}
    )


class FilterForm(FlaskForm):
    """The library list's filters (a GET form: no CSRF, nothing changes)."""

    class Meta:
        """Filters only read."""

        csrf = False

    organisation = SelectField(_l("Organisation"), choices=[], validators=[Optional()])
    language = SelectField(_l("Language"), choices=[], validators=[Optional()])
    format = SelectField(_l("Type of file"), choices=[], validators=[Optional()])
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=40)])

    def __init__(self, *args, organisations: list[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        anything = ("", str(_l("All")))
        self.organisation.choices = choices([anything] + list(organisations))
        self.language.choices = choices(
            [anything] + [(code, language_name(code)) for code in LANGUAGES]
        )
        self.format.choices = choices([anything] + format_choices())


def format_choices() -> list[tuple[str, str]]:
    """File types in words."""
    return [
        ("pdf", "PDF"),
        ("docx", str(_l("Word (DOCX)"))),
        ("odt", str(_l("OpenDocument text (ODT)"))),
        ("md", "Markdown"),
        ("txt", str(_l("Plain text"))),
    ]
