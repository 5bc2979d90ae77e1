"""Forms for accounts: every label and error in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.auth.passwords import MAX_LENGTH, password_problem
from app.campaigns.timefmt import ZoneField
from app.formtools import choices
from app.i18n import interface_language_choices, is_valid_timezone


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _email_field() -> EmailField:
    """An e-mail field that must hold a well-formed address."""
    return EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Please enter your e-mail address.")),
            Email(_l("This does not look like an e-mail address."), check_deliverability=False),
            Length(max=254),
        ],
    )


class StrongPassword:
    """Validator that applies the password rules of app.auth.passwords."""

    def __init__(self, *personal_fields: str) -> None:
        self.personal_fields = personal_fields

    def __call__(self, form: FlaskForm, field) -> None:
        """Refuse a password the rules find weak; the named fields count as easy to guess."""
        personal = [
            str(getattr(form, name).data or "")
            for name in self.personal_fields
            if hasattr(form, name)
        ]
        if problem := password_problem(field.data or "", *personal):
            raise ValidationError(problem)


class ValidTimezone:
    """Validator that accepts only a time zone zoneinfo knows."""

    def __call__(self, form: FlaskForm, field) -> None:
        """Refuse a value that is not a known time zone."""
        if not is_valid_timezone(field.data):
            raise ValidationError(_l("Choose a time zone from the list."))


class _ProfileFields(FlaskForm):
    display_name = StringField(
        _l("Your name as others will see it"),
        validators=[DataRequired(_l("Please enter a name.")), Length(max=80)],
    )
    locale = SelectField(_l("Language"), choices=[])
    timezone = ZoneField(_l("Time zone"), validators=[ValidTimezone()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = choices(interface_language_choices())


class RegisterForm(_ProfileFields):
    """A new account: e-mail, a strong password typed twice, name, language and time zone."""

    email = _email_field()
    password = PasswordField(
        _l("Password (at least 10 characters)"),
        validators=[
            DataRequired(_l("Please choose a password.")),
            StrongPassword("email", "display_name"),
        ],
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[EqualTo("password", _l("The two passwords are not the same."))],
    )


class LoginForm(FlaskForm):
    """Sign in with e-mail and password, and stay signed in on this device if asked."""

    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[DataRequired(_l("Please enter your e-mail address.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=MAX_LENGTH)],
    )
    remember = BooleanField(_l("Keep me signed in on this device"))


class ResetRequestForm(FlaskForm):
    """Ask for a link to choose a new password, by e-mail address."""

    email = _email_field()


class NewPasswordForm(FlaskForm):
    """A new password, strong enough and typed twice (after a reset link)."""

    password = PasswordField(
        _l("New password (at least 10 characters)"),
        validators=[DataRequired(_l("Please choose a password.")), StrongPassword()],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("password", _l("The two passwords are not the same."))],
    )


class ConfirmAccountForm(FlaskForm):
    """Finish creating an account: the password chosen when registering, once more."""

    password = PasswordField(
        _l("The password you chose"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=MAX_LENGTH)],
    )


class ChangePasswordForm(NewPasswordForm):
    """Change one's password: the current one, then the new one twice."""

    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=MAX_LENGTH)],
    )


class ProfileForm(_ProfileFields):
    """Display name (and the same name in another script), language and time zone."""

    other_name = StringField(
        _l("Your name in another script (optional)"),
        description=_l(
            "For example نورة if your name is Noura, or Noura if it is نورة: people who "
            "write it either way can mention you."
        ),
        validators=[Length(max=80)],
    )


class ReaderZoneForm(FlaskForm):
    """A visitor's choice of the zone times are shown in (kept in this browser's session)."""

    timezone = ZoneField(_l("Your time zone"), validators=[ValidTimezone()])
