"""Locale and time-zone selection, and the names of languages, countries and zones."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.core import get_global
from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale as babel_locale
from flask_login import current_user

from app.config import LANGUAGES, RTL_LANGUAGES
from app.models.orgs import fold

LANGUAGE_COOKIE = "lang"
# An anonymous reader's zone: chosen on /time-zone (session) or sent by static/js/timezone.js.
TIMEZONE_COOKIE = "tz"

# Working languages an organisation can declare, beyond the five of the interface.
ORG_LANGUAGES = ("es", "fr", "ar", "it", "en", "pt", "wo", "ff", "ber", "qu", "nah", "mam", "kek")
# The countries of the movement come first in pickers; every other country follows.
MOVEMENT_COUNTRIES = ("HN", "SV", "GT", "NI", "MX", "SN", "MR", "TN", "DZ", "IT")
# The zones the movement lives in come first in zone pickers, in this order, then UTC.
MOVEMENT_ZONES = (
    "America/Tegucigalpa",
    "America/El_Salvador",
    "America/Guatemala",
    "America/Managua",
    "America/Mexico_City",
    "America/Tijuana",
    "Africa/Dakar",
    "Africa/Nouakchott",
    "Africa/Bamako",
    "Africa/Niamey",
    "Africa/Tunis",
    "Africa/Algiers",
    "Africa/Casablanca",
    "Europe/Rome",
    "Europe/Madrid",
    "Europe/Paris",
    "UTC",
)


def select_locale() -> str:
    """The language of this request.

    In order: the one picked in this browser now, the account's own setting, the
    switcher's cookie from an earlier visit, the browser's.
    """
    chosen = session.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    user = current_user
    if user and user.is_authenticated and user.locale in LANGUAGES:
        return user.locale
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return (
        request.accept_languages.best_match(LANGUAGES) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def select_timezone() -> str:
    """The reader's zone: the account's; for a visitor the one chosen here or the browser's.

    Else the default (UTC). A visitor's cookie is anything a browser sends: only a zone
    tzdata knows by that exact name is taken.
    """
    default = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    if not has_request_context():
        return default
    user = current_user
    if user and user.is_authenticated:
        return user.timezone if is_valid_timezone(user.timezone) else default
    for chosen in (session.get(TIMEZONE_COOKIE), request.cookies.get(TIMEZONE_COOKIE)):
        if is_known_timezone(chosen):
            return chosen
    return default


def current_language() -> str:
    """The code of the language this request is served in ('en' when none is chosen)."""
    return str(babel_locale() or "en")


def text_direction() -> str:
    """'rtl' for a right-to-left language such as Arabic, else 'ltr'."""
    return "rtl" if current_language() in RTL_LANGUAGES else "ltr"


@lru_cache(maxsize=1)
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known_timezone(name: object) -> bool:
    """True when the name is exactly one of tzdata's zones (safe for a value from a cookie)."""
    return isinstance(name, str) and name in _known_timezones()


@lru_cache(maxsize=1)
def all_timezones() -> tuple[str, ...]:
    """IANA zone names people can choose: one per place, no alias, legacy or Etc/ names.

    tzdata keeps old spellings beside the current ones (Asia/Calcutta and Asia/Kolkata,
    America/Buenos_Aires and America/Argentina/Buenos_Aires, US/Pacific); CLDR's alias table,
    as babel ships it, maps each to its canonical zone, so a name it maps is left out. Zones
    CLDR keeps for a country of their own (Europe/Vatican) stay. UTC is kept under that name,
    the one accounts store.
    """
    aliases = get_global("zone_aliases")
    return tuple(
        sorted(
            z
            for z in available_timezones()
            if "/" in z and z not in aliases and not z.startswith(("Etc/", "SystemV/"))
        )
        + ["UTC"]
    )


def is_valid_timezone(name: str | None) -> bool:
    """True when the name is a time zone zoneinfo knows."""
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):
        return False
    return True


def _locale() -> Locale:
    if "babel_locale_obj" not in g:
        g.babel_locale_obj = Locale.parse(current_language())
    return g.babel_locale_obj


def language_name(code: str) -> str:
    """A language's name in the reader's language (e.g. 'wolof' -> 'wolof', 'Wolof')."""
    return _locale().languages.get(code, code)


def native_language_name(code: str) -> str:
    """A language's name in that language itself, for the language switcher."""
    return Locale.parse(code).get_display_name(code) or code


def country_name(code: str) -> str:
    """A country's name in the reader's language (the code itself when unknown)."""
    return _locale().territories.get(code, code)


def country_choices() -> list[tuple[str, str]]:
    """(code, name) pairs: the movement's countries first, then all others by name."""
    names = {
        code: name
        for code, name in _locale().territories.items()
        if len(code) == 2 and code.isalpha() and code not in {"ZZ", "EU", "EZ", "UN", "QO"}
    }
    first = [(c, names[c]) for c in MOVEMENT_COUNTRIES if c in names]
    # By name as a reader looks it up: "Égypte" with the E's, "Åland" with the A's (code point
    # order puts accented capitals after Z).
    rest = sorted(
        ((c, n) for c, n in names.items() if c not in MOVEMENT_COUNTRIES),
        key=lambda pair: (fold(pair[1]), pair[1]),
    )
    return first + rest


def org_language_choices() -> list[tuple[str, str]]:
    """(code, name) pairs of an organisation's possible working languages, for the reader."""
    return [(code, language_name(code)) for code in ORG_LANGUAGES]


def interface_language_choices() -> list[tuple[str, str]]:
    """(code, name) pairs of the interface languages, each named in its own language."""
    return [(code, native_language_name(code)) for code in LANGUAGES]
