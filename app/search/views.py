"""The search page (one search for everything the reader may see) and opening a hit."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.config import LANGUAGES
from app.extensions import db, limiter
from app.search import registry
from app.search.base import FACETS, KINDS, Filters
from app.search.service import MAX_PAGE, search

bp = Blueprint("search", __name__, url_prefix="/search")

# What each filter is called in the address, and which facet it narrows.
PARAMS = {
    "kind": "kind",
    "org": "organisation",
    "lang": "language",
    "format": "format",
    "year": "year",
}
FORMATS = ("pdf", "docx", "odt", "md", "txt")


def query_errors() -> dict[str, str]:
    """Why a query was refused, in words, with what to do instead."""
    return {
        "wildcard": _("A * can only end a word (for example desapareci*)."),
        "short_prefix": _("Write at least 3 letters before a *."),
        "too_long": _("The search is too long. Use fewer words."),
        "only_excluded": _("Add at least one word to look for, not only words to leave out."),
    }


def _filters(args) -> tuple[Filters, dict[str, str]]:
    """The filters in the address, each checked; unknown values are dropped, never an error."""
    chosen: dict[str, str] = {}
    kind = args.get("kind", "")
    if kind in registry.REGISTRY:
        chosen["kind"] = kind
    org = args.get("org", "")
    if org.isdigit() and len(org) < 10:
        chosen["org"] = org
    lang = args.get("lang", "")
    if lang in LANGUAGES:
        chosen["lang"] = lang
    fmt = args.get("format", "")
    if fmt in FORMATS:
        chosen["format"] = fmt
    year = args.get("year", "")
    if year.isdigit() and len(year) == 4:
        chosen["year"] = year
    filters = Filters(
        kinds=frozenset({chosen["kind"]}) if "kind" in chosen else frozenset(),
        organisation_ids=frozenset({int(chosen["org"])}) if "org" in chosen else frozenset(),
        languages=frozenset({chosen["lang"]}) if "lang" in chosen else frozenset(),
        formats=frozenset({chosen["format"]}) if "format" in chosen else frozenset(),
        years=frozenset({int(chosen["year"])}) if "year" in chosen else frozenset(),
    )
    return filters, chosen


@bp.get("")
@limiter.limit("60 per minute")
def results():
    """Results for the words typed, among everything this person may open."""
    text = (request.args.get("q") or "")[:2_000]
    filters, chosen = _filters(request.args)
    sort = request.args.get("sort") if request.args.get("sort") in ("relevance", "date") else ""
    page = request.args.get("page", "1")
    page_number = int(page) if page.isdigit() and len(page) < 4 else 1
    found = None
    if text.strip() or chosen:
        found = search(current_user, text, filters, sort or "relevance", page_number)
    kinds = [(kind, registry.REGISTRY[kind].label()) for kind in KINDS if kind in registry.REGISTRY]
    return render_template(
        "search/results.html",
        q=text,
        found=found,
        chosen=chosen,
        sort=sort,
        kinds=kinds,
        kind_labels=dict(kinds),
        facet_names=FACETS,
        params={facet: param for param, facet in PARAMS.items()},
        facet_of=PARAMS,
        errors=query_errors(),
        max_page=MAX_PAGE,
    )


@bp.get("/open/<kind>/<int:obj_id>")
def open_hit(kind: str, obj_id: int):
    """Go to a hit's page, asking the resource's own check again (else 404)."""
    searchable = registry.REGISTRY.get(kind)
    if searchable is None:
        abort(404)
    obj = db.session.get(searchable.model, obj_id)
    if obj is None or not searchable.allows(current_user, obj):
        abort(404)
    return redirect(searchable.url(obj))


@bp.app_context_processor
def _search_box() -> dict:
    return {"search_url": url_for("search.results")}
