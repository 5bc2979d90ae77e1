"""Account pages: thin views that validate, check permission and call the services."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp, throttle
from app.auth.forms import (
    ChangePasswordForm,
    ConfirmAccountForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    RegisterForm,
    ResetRequestForm,
)
from app.auth.passwords import check_password
from app.auth.services import (
    authenticate,
    confirm_account,
    normalise_email,
    register_on_site,
    request_password_reset,
    reset_password,
    set_password,
    update_profile,
    valid_link,
    valid_reset_token,
)
from app.auth.sessions import (
    active_sessions,
    current_session_id,
    end_all_sessions,
    end_session,
    open_session,
)
from app.errors import ServiceError
from app.extensions import limiter
from app.formtools import ConfirmForm
from app.i18n import current_language
from app.security import safe_next


def _sign_in(user, remember: bool = False) -> None:
    """Open a server-side session for this account and put its key in the cookies."""
    open_session(user, remember=remember)
    login_user(user, remember=remember)


AFTER_CONFIRMATION = "after_confirmation"  # where to go once the account is finished
REGISTERED_EMAIL = "registered_email"
CONFIRM_KEY = "confirm"  # an opened confirmation link's token, kept in the session


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def register():
    """Ask for an account; a link mailed to the address finishes it.

    The answer is the same whether or not the address already has an account (its owner
    gets a note instead), so the form cannot be used to learn who is on Caravana.
    """
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if request.method == "GET":
        form.locale.data = current_language()
        form.timezone.data = "UTC"
    if form.validate_on_submit():
        register_on_site(
            form.email.data,
            form.password.data,
            form.display_name.data,
            form.locale.data,
            form.timezone.data,
        )
        session[AFTER_CONFIRMATION] = safe_next(request.args.get("next"), "")
        session[REGISTERED_EMAIL] = normalise_email(form.email.data)
        return redirect(url_for("auth.registration_sent"))
    return render_template("auth/register.html", form=form)


@bp.get("/register/sent")
def registration_sent():
    """Where registering leads: check your e-mail."""
    return render_template("auth/register_sent.html", email=session.get(REGISTERED_EMAIL, ""))


def _confirmation_closed():
    flash(_("This link has expired or has already been used. You can register again."), "error")
    return redirect(url_for("auth.register"))


@bp.get("/confirm/<token>")
def open_confirmation(token: str):
    """The link of a confirmation mail: keep its token in the session, then ask for the password.

    A mail scanner that opens links therefore finishes nothing.
    """
    if valid_link(token, "confirm") is None:
        return _confirmation_closed()
    session[CONFIRM_KEY] = token
    return redirect(url_for("auth.confirm"))


@bp.route("/confirm", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def confirm():
    """Finish creating the account with the password chosen when registering, and sign in."""
    token = session.get(CONFIRM_KEY, "")
    if not token or valid_link(token, "confirm") is None:
        return _confirmation_closed()
    form = ConfirmAccountForm()
    if form.validate_on_submit():
        try:
            user = confirm_account(token, form.password.data)
        except ServiceError as error:
            form.password.errors.append(str(error))
        else:
            session.pop(CONFIRM_KEY, None)
            _sign_in(user)
            flash(_("Welcome to Caravana. Your account is ready."), "success")
            next_page = session.pop(AFTER_CONFIRMATION, "") or url_for("orgs.directory")
            return redirect(safe_next(next_page, url_for("orgs.directory")))
    return render_template("auth/confirm.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_PAIR"],
    methods=["POST"],
    key_func=throttle.pair_key,
    deduct_when=throttle.failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=throttle.account_key,
    deduct_when=throttle.failed,
    exempt_when=throttle.from_known_place,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=throttle.failed,
    exempt_when=throttle.from_known_place,
)
def login():
    """Sign in with e-mail and password; failures slow the guesser down (auth/throttle.py)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None and user.is_active and user.awaiting_confirmation:
            flash(
                _(
                    "Please open the link we sent you by e-mail to finish creating your "
                    "account first."
                ),
                "error",
            )
        elif user is not None and user.is_active:
            _sign_in(user, remember=form.remember.data)
            response = redirect(safe_next(request.args.get("next"), url_for("main.index")))
            throttle.remember_place(user, response)
            return response
        elif user is not None:
            flash(
                _("This account is suspended. Please contact the platform administrators."), "error"
            )
        else:
            flash(_("The e-mail address or the password is not right."), "error")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 401


@bp.post("/logout")
@login_required
def logout():
    """Sign out: this session ends server-side and its live connections close.

    A copy of the cookie no longer works either.
    """
    if (session_id := current_session_id()) is not None:
        end_session(current_user, session_id)
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def reset_request():
    """Ask for a password reset link; the answer never says whether the account exists."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        flash(
            _(
                "If an account uses this address, we have sent it a link to choose a new "
                "password. Please check your e-mail."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


RESET_KEY = "reset"  # where an opened reset link's token waits in the session


@bp.route("/reset/<token>", methods=["GET", "POST"], endpoint="reset_password")
@limiter.limit("20 per hour", methods=["POST"])
def reset_password_view(token: str):
    """The link of a reset mail: keep its token in the session, then show the form.

    The form's address has no token, so it stays out of history, logs and Referer headers.
    """
    if request.method == "POST":
        return _choose_password(token)
    if valid_reset_token(token) is None:
        return _reset_link_closed()
    session[RESET_KEY] = token
    return redirect(url_for("auth.choose_password"))


@bp.route("/reset/new-password", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def choose_password():
    """Choose a new password, while the reset link that opened this page is still valid."""
    return _choose_password(session.get(RESET_KEY, ""))


def _reset_link_closed():
    flash(_("This link has expired or has already been used. You can ask for a new one."), "error")
    return redirect(url_for("auth.reset_request"))


def _choose_password(token: str):
    if not token or valid_reset_token(token) is None:
        return _reset_link_closed()
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(token, form.password.data)
        except ServiceError as error:
            flash(str(error), "error")
            return redirect(url_for("auth.reset_request"))
        session.pop(RESET_KEY, None)
        logout_user()
        flash(_("Your new password is saved. You can sign in with it now."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """The profile page: name, language and time zone, beside the password form."""
    form = ProfileForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        update_profile(
            current_user,
            form.display_name.data,
            form.locale.data,
            form.timezone.data,
            form.other_name.data,
        )
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"))
    return _profile_page(form, password_form)


def _profile_page(form, password_form, status: int = 200):
    return (
        render_template(
            "auth/profile.html",
            form=form,
            password_form=password_form,
            sessions=active_sessions(current_user),
            this_session=current_session_id(),
            confirm=ConfirmForm(),
        ),
        status,
    )


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_one_session(session_id: int):
    """Sign out one of my other devices (a lost phone, a shared computer)."""
    if ConfirmForm().validate_on_submit():
        end_session(current_user, session_id)
        flash(_("That device is signed out."), "info")
    return redirect(url_for("auth.profile") + "#sessions")


@bp.post("/sessions/end-all")
@login_required
def sign_out_everywhere():
    """Sign out on every device, this one included."""
    if ConfirmForm().validate_on_submit():
        end_all_sessions(current_user)
        logout_user()
        flash(_("You are signed out on every device."), "info")
        return redirect(url_for("main.index"))
    return redirect(url_for("auth.profile"))


@bp.post("/password")
@login_required
@limiter.limit("10 per hour")
def change_password():
    """Change one's password after giving the current one; other devices are signed out."""
    form = ProfileForm(obj=current_user, formdata=None)
    password_form = ChangePasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        if not check_password(current_user.password_hash, password_form.current.data):
            password_form.current.errors.append(_("This is not your current password."))
        else:
            user = current_user._get_current_object()
            set_password(user, password_form.password.data, keep_session=current_session_id())
            flash(_("Your new password is saved. Your other devices are signed out."), "success")
            return redirect(url_for("auth.profile"))
    return _profile_page(form, password_form, 400)
