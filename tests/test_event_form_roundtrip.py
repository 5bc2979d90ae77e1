"""Saving an event unchanged changes nothing: every rule the app can store goes through the
edit page as it is, posted back with exactly the values the page shows."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from app.campaigns import services
from app.campaigns.forms import POSITIONS, EventForm
from app.campaigns.recurrence import WEEKDAYS, rule_starts
from app.campaigns.services import EventDraft
from app.errors import ServiceError
from app.extensions import db
from tests.conftest import sign_in

ZONES = ["Europe/Rome", "America/Tegucigalpa", "Africa/Dakar", "America/Santiago", "UTC"]


class FormValues(HTMLParser):
    """What a browser sends for the page's event form: (name, value) pairs, as shown."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._in_form = False
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "event-form" in (a.get("class") or ""):
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.pairs.append((a["name"], a.get("value") or "on"))
            else:
                self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = (a["name"], [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value") or "", "selected" in a))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [v for v, selected in options if selected] or [options[0][0]]
            self.pairs.append((name, chosen[0]))  # a browser sends the first when none is
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the newline right after <textarea>.
            text = self._text.removeprefix("\r\n").removeprefix("\n")
            self.pairs.append((self._textarea, text))
            self._textarea = None


def shown_values(html: str) -> list[tuple[str, str]]:
    parser = FormValues()
    parser.feed(html)
    assert parser.pairs, "no event form on the page"
    return parser.pairs


def as_post(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


# --- rules ------------------------------------------------------------------------------------


@st.composite
def rules(draw, start: date):
    """A rule the forms or the importer may store, its parts in any order."""
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 99))}")
    days = draw(st.lists(st.sampled_from(WEEKDAYS), unique=True, max_size=3))
    if days and freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
        positions = draw(st.lists(st.sampled_from(POSITIONS), unique=True, min_size=1, max_size=2))
        parts.append("BYDAY=" + ",".join(f"{p}{d}" for p in positions for d in days))
    elif days:
        parts.append("BYDAY=" + ",".join(days))
    if freq != "WEEKLY" and draw(st.booleans()):
        monthdays = st.integers(-31, 31).filter(bool)
        parts.append(
            "BYMONTHDAY=" + ",".join(map(str, draw(st.lists(monthdays, min_size=1, max_size=3))))
        )
    if freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
        months = draw(st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True))
        parts.append("BYMONTH=" + ",".join(map(str, months)))
    ending = draw(st.sampled_from(["never", "count", "until", "until-date"]))
    if ending == "count":
        parts.append(f"COUNT={draw(st.integers(1, 500))}")
    elif ending.startswith("until"):
        last = start + timedelta(days=draw(st.integers(1, 900)))
        if ending == "until":
            hour = draw(st.integers(0, 23))
            parts.append(f"UNTIL={last:%Y%m%d}T{hour:02d}5959Z")
        else:
            parts.append(f"UNTIL={last:%Y%m%d}")
    return ";".join(draw(st.permutations(parts)))


@st.composite
def imported_rules(draw, start: date):
    """Rules from an imported file the repeat fields cannot show exactly."""
    rule = draw(rules(start))
    extra = draw(
        st.sampled_from(
            ["BYSETPOS=-1", "WKST=SU", "BYDAY=1MO,3WE", "INTERVAL=150", "COUNT=900", "BYHOUR=9"]
        )
    )
    key = extra.split("=")[0]
    kept = [p for p in rule.split(";") if not p.startswith(key + "=")]
    if key == "COUNT":
        kept = [p for p in kept if not p.startswith("UNTIL=")]
    if extra == "BYDAY=1MO,3WE" and not rule.startswith(("FREQ=MONTHLY", "FREQ=YEARLY")):
        kept = [p if not p.startswith("FREQ=") else "FREQ=MONTHLY" for p in kept]
    return ";".join([*kept, extra])


@st.composite
def events(draw, imported: bool = False):
    day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 700)))
    all_day = draw(st.booleans())
    if all_day:
        starts = datetime.combine(day, time(0))
        ends = starts + timedelta(days=draw(st.integers(1, 5)))
    else:
        starts = datetime.combine(
            day, time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))
        )
        ends = starts + timedelta(minutes=15 * draw(st.integers(1, 4 * 24 * 3)))
    rule = draw(imported_rules(day) if imported else st.one_of(st.just(""), rules(day)))
    offsets = draw(st.lists(st.integers(1, 400), max_size=3, unique=True)) if rule else []
    exdates = [starts + timedelta(days=d) for d in offsets]
    return EventDraft(
        title="Vigil",
        timezone=draw(st.sampled_from(ZONES)),
        starts_local=starts,
        ends_local=ends,
        all_day=all_day,
        rrule=rule,
        exdates_local=exdates,
        location="Plaza",
    )


def _dates(rule: str, event) -> list[datetime]:
    first = event.starts_at.astimezone(ZoneInfo(event.timezone))
    found, _complete = rule_starts(rule, first, first, first + timedelta(days=3 * 366), limit=60)
    return found


def _save_unchanged(app, world, draft: EventDraft):
    try:
        event = services.create_event(world.coordinator, world.org, draft)
    except ServiceError:
        reject()  # a start the clocks skip is refused before any form is shown
    before = (event.rrule, event.starts_at, event.ends_at, event.all_day, list(event.exdates))
    http = app.test_client()
    sign_in(http, world.coordinator)
    html = http.get(f"/events/{event.id}/edit").get_data(as_text=True)
    pairs = shown_values(html)
    response = http.post(f"/events/{event.id}/edit", data=as_post(pairs))
    assert response.status_code == 302, (draft, response.get_data(as_text=True)[-3000:])
    db.session.refresh(event)
    after = (event.rrule, event.starts_at, event.ends_at, event.all_day, list(event.exdates))
    assert after == before, draft
    return event, html, pairs


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(draft=events())
def test_every_rule_the_form_can_show_goes_through_the_edit_page_unchanged(app, world, draft):
    """Rule, start, end, all-day flag, span and left-out dates stay identical; and what the
    repeat fields show means the stored rule (the same dates), not something near it."""
    event, html, pairs = _save_unchanged(app, world, draft)
    if not event.rrule:
        return
    assert "A repeat rule from an imported file" not in html, event.rrule
    # The rule the shown answers build, without the stored rule to fall back on.
    with app.test_request_context(method="POST", data=as_post(pairs)):
        rebuilt = EventForm(in_campaign=False).rrule()
    assert _dates(rebuilt, event) == _dates(event.rrule, event), (event.rrule, rebuilt)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(draft=events(imported=True))
def test_a_rule_the_form_cannot_show_is_kept_as_it_is(app, world, draft):
    """An imported rule with BYSETPOS, WKST, a long COUNT... is shown read-only and kept."""
    _event, html, _pairs = _save_unchanged(app, world, draft)
    assert "A repeat rule from an imported file" in html


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=MONTHLY;BYDAY=-1FR", "Last Friday of every month"),
        ("FREQ=MONTHLY;INTERVAL=1;BYDAY=2TU", "Second Tuesday of every month"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "Every 2 weeks on Monday and Thursday"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "On the 15th of every month"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=6", "On the last day of every month ·\u00a06 times"),
        ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=8", "Every year on March 8"),
        ("FREQ=YEARLY", "Every year on March 8"),
        ("FREQ=YEARLY;BYMONTHDAY=15", "Every year ·\u00a0on the 15th"),
        ("FREQ=YEARLY;BYMONTH=3,9;BYDAY=-1SU", "Every year ·\u00a0on last Sunday ·\u00a0in March"),
        ("FREQ=MONTHLY", "On the 8th of every month"),
        ("FREQ=DAILY;INTERVAL=3;UNTIL=20261231", "Every 3 days ·\u00a0until Dec 31, 2026"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1", "Every month ·\u00a0on Monday ·\u00a0with further"),
    ],
)
def test_rules_are_described_in_plain_words(app, rule, words):
    """The event page's words for common rules (English here; every word goes through _())."""
    from app.campaigns.timefmt import describe_rule

    start = datetime(2026, 3, 8, 9, 0, tzinfo=ZoneInfo("UTC"))
    with app.test_request_context():
        assert describe_rule(rule, "Europe/Rome", start).startswith(words)


def test_last_friday_and_a_three_day_event_survive_an_unchanged_save(app, world):
    """The two cases of the issue: BYDAY=-1FR stayed -1FR, three days stayed three days."""
    friday = EventDraft(
        "Vigil", "Europe/Rome", datetime(2026, 1, 30, 18), datetime(2026, 1, 30, 19),
        rrule="FREQ=MONTHLY;BYDAY=-1FR",
    )  # fmt: skip
    event, html, _pairs = _save_unchanged(app, world, friday)
    assert event.rrule == "FREQ=MONTHLY;BYDAY=-1FR"
    assert "Last Friday of every month" in app.test_client().get(f"/events/{event.id}").get_data(
        as_text=True
    )
    caravan = EventDraft(
        "Caravan", "America/Mexico_City", datetime(2026, 11, 2), datetime(2026, 11, 5),
        all_day=True,
    )  # fmt: skip
    event, _html, _pairs = _save_unchanged(app, world, caravan)
    assert event.ends_at - event.starts_at == timedelta(days=3)


def test_an_imported_rule_is_replaced_only_when_asked(app, world):
    """Choosing "replace" and a weekly repeat writes the new rule; the page said what the old
    one was."""
    draft = EventDraft(
        "Vigil", "Europe/Rome", datetime(2026, 1, 5, 18), datetime(2026, 1, 5, 19),
        rrule="FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    )  # fmt: skip
    event, html, pairs = _save_unchanged(app, world, draft)
    assert "A repeat rule from an imported file: Every month ·\u00a0on Monday" in html
    answers = [(k, v) for k, v in pairs if k not in ("keep_rule", "repeat", "weekdays")]
    answers += [("keep_rule", "replace"), ("repeat", "WEEKLY"), ("weekdays", "MO")]
    http = app.test_client()
    sign_in(http, world.coordinator)
    assert http.post(f"/events/{event.id}/edit", data=as_post(answers)).status_code == 302
    db.session.refresh(event)
    assert event.rrule == "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO"


def test_days_of_the_month_typed_on_an_arabic_keyboard_are_read():
    """"١، ١٥، −١" is what an Arabic keyboard gives for "1, 15, -1"."""
    from app.campaigns.forms import parse_monthdays

    assert parse_monthdays("١، ١٥، −١") == (1, 15, -1)
    assert parse_monthdays("1, 15 -1") == (1, 15, -1)
    with pytest.raises(ValueError):
        parse_monthdays("32")


def test_an_until_earlier_in_its_day_than_the_dates_ends_the_day_before():
    """Found by the property test: a daily 02:00 meeting in Rome with UNTIL=…T005959Z (01:59
    in Rome) ends on 1 January; the form and the page must not say 2 January."""
    from datetime import date, time

    from app.campaigns.forms import repeat_choices

    shown = repeat_choices("FREQ=DAILY;UNTIL=20260102T005959Z", "Europe/Rome", time(2))
    assert shown is not None and shown.until == date(2026, 1, 1)
    late = repeat_choices("FREQ=DAILY;UNTIL=20260102T015959Z", "Europe/Rome", time(2))
    assert late is not None and late.until == date(2026, 1, 2)  # 02:59 in Rome: the 2nd counts
