"""Forms for organisations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Email, Length, Optional

from app.formtools import CheckboxList, choices
from app.i18n import country_choices, org_language_choices
from app.models import Role
from app.orgs.services import OrgProfile


class OrganisationForm(FlaskForm):
    """Ask for an organisation to be listed, or change its public profile."""

    name = StringField(
        _l("Name of the organisation"),
        validators=[DataRequired(_l("Please enter a name.")), Length(max=120)],
    )
    country = SelectField(_l("Country"), choices=[])
    region = StringField(_l("Region or city (optional)"), validators=[Length(max=80)])
    languages = CheckboxList(
        _l("Languages you work in"),
        choices=[],
        validators=[DataRequired(_l("Choose at least one language."))],
    )
    description = TextAreaField(
        _l("Who you are and what you do"),
        description=_l("You can use Markdown: **bold**, *italic*, lists and links."),
        validators=[Length(max=10_000)],
        render_kw={"dir": "auto"},
    )
    website = URLField(
        _l("Website (optional)"),
        validators=[
            Optional(),
            URL(message=_l("Enter a full address starting with https://")),
            Length(max=300),
        ],
    )
    contact_email = EmailField(
        _l("Public contact e-mail (optional)"),
        validators=[
            Optional(),
            Email(_l("This does not look like an e-mail address."), check_deliverability=False),
            Length(max=254),
        ],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = choices(country_choices())
        self.languages.choices = choices(org_language_choices())

    def fill_from(self, org) -> None:
        """Pre-fill the form from an organisation on first display."""
        for field in ("name", "country", "region", "description", "website", "contact_email"):
            getattr(self, field).data = getattr(org, field)
        self.languages.data = org.language_codes

    def profile(self) -> OrgProfile:
        """The answers as an OrgProfile, the way the services take them."""
        return OrgProfile(
            name=self.name.data,
            country=self.country.data,
            region=self.region.data or "",
            languages=list(self.languages.data or []),
            description=self.description.data or "",
            website=self.website.data or "",
            contact_email=self.contact_email.data or "",
        )


class JoinRequestForm(FlaskForm):
    """Ask to join an organisation, with an optional note for its coordinators."""

    message = TextAreaField(
        _l("A few words for the coordinators (optional)"), validators=[Length(max=1000)]
    )


class InvitationForm(FlaskForm):
    """Create an invitation link, with a note that only coordinators see."""

    note = StringField(
        _l("Who is this link for? (optional, only coordinators see it)"),
        validators=[Length(max=120)],
    )


class RoleForm(FlaskForm):
    """Make a member a coordinator, or a coordinator a member."""

    role = SelectField(
        _l("Role"),
        choices=choices(
            [(Role.MEMBER.value, _l("Member")), (Role.COORDINATOR.value, _l("Coordinator"))]
        ),
    )


class DirectoryFilterForm(FlaskForm):
    """The directory's filters, read from the query string."""

    class Meta:
        """No CSRF token: the filters come in a link anyone may share."""

        csrf = False

    q = StringField(_l("Name"), validators=[Optional(), Length(max=100)])
    country = SelectField(_l("Country"), choices=[], validators=[Optional()], validate_choice=False)
    region = SelectField(_l("Region"), choices=[], validators=[Optional()], validate_choice=False)
    language = SelectField(
        _l("Language"), choices=[], validators=[Optional()], validate_choice=False
    )
