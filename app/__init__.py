"""Caravana: the coordination platform of the families searching for missing migrants."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app import gc_tuning, i18n, realtime, security, static_files
from app.auth import sessions
from app.config import Config
from app.extensions import babel, compress, csrf, db, limiter, login_manager, migrate
from app.logredact import RedactingFilter
from app.urls import BoundedIntConverter


def create_app(config: type[Config] | None = None, **overrides: Any) -> Flask:
    """Build a Caravana application from a config class and optional overrides."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.from_object(config or Config)
    app.config.update(overrides)
    # Ids in addresses fit the database's integers: a longer number is a 404, not a crash.
    app.url_map.converters["int"] = BoundedIntConverter

    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_errors(app)
    security.init_app(app)
    static_files.init_app(app)
    app.logger.addFilter(RedactingFilter())
    realtime.init_app(app)
    gc_tuning.init_app(app)
    from app.library import worker

    worker.init_app(app)
    from app import cli

    cli.init_app(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the database, migrations, CSRF, rate limits, compression, Babel and sign-in."""
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(app.root_path + "/../migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    login_manager.init_app(app)
    # Cookies hold a session's key; each request checks the session still stands.
    login_manager.user_loader(sessions.load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.needs_refresh_message = _l("Please sign in again to continue.")


def register_blueprints(app: Flask) -> None:
    """Mount every feature's pages, and register what search can find."""
    from app.admin import bp as admin_bp
    from app.auth import bp as auth_bp
    from app.campaigns import bp as campaigns_bp
    from app.collab import events as collab_events  # noqa: F401 - the socket events
    from app.library import bp as library_bp
    from app.main import bp as main_bp
    from app.manifestos import bp as manifestos_bp
    from app.orgs import bp as orgs_bp
    from app.rooms import bp as rooms_bp
    from app.search import registry
    from app.search.views import bp as search_bp

    registry.load_registrations()
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(orgs_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(rooms_bp)
    app.register_blueprint(campaigns_bp)
    app.register_blueprint(library_bp)
    app.register_blueprint(manifestos_bp)
    app.register_blueprint(search_bp)


def register_template_helpers(app: Flask) -> None:
    """Give the templates the helpers of app.templating."""
    from app import templating

    templating.init_app(app)


def register_errors(app: Flask) -> None:
    """Answer errors with the translated error pages."""
    from app.main.errors import init_app as init_errors

    init_errors(app)
