// Reads an iCalendar feed on stdin and prints, as JSON, every occurrence that ical.js (the
// parser of Thunderbird) finds overlapping a window, as tests/test_ical_interop.py compares.
//
//   node tests/js/ical_instants.mjs 2026-01-01T00:00:00Z 2028-01-01T00:00:00Z < feed.ics
//
// The answer is {name, summaries, occurrences}: the calendar's X-WR-CALNAME, each VEVENT's
// SUMMARY by UID (series first), and each occurrence as {uid, start, end, status}: start and
// end in UTC ("...Z"), or a date ("YYYY-MM-DD") for all-day events. Series are expanded with ical.js's own iterator, which
// applies EXDATE; changed dates come from their RECURRENCE-ID VEVENTs. Times are read through
// the feed's own VTIMEZONEs (ical.js resolves a TZID in the file before anything else).
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const [windowStart, windowEnd] = process.argv.slice(2).map((s) => Date.parse(s) / 1000);
const MAX_STEPS = 20000; // a series is followed at most this far (a year past the window)

/** A start or end as compared: UTC instant, or the date of an all-day event. */
function stamp(time) {
  if (time.isDate) return time.toString();
  return new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
}

/** Whether [start, end) overlaps the window (an all-day event by its dates, as UTC days). */
function overlaps(start, end) {
  return end.toUnixTime() > windowStart && start.toUnixTime() < windowEnd;
}

// RFC 5545 3.8.8.2: an X- property is TEXT unless it says otherwise (ical.js leaves unknown
// properties raw); the calendar's name and description are read as the text they are.
for (const name of ["x-wr-calname", "x-wr-caldesc"]) {
  ICAL.design.icalendar.property[name] = { defaultType: "text" };
}

const root = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
const found = [];
const summaries = {};
const vevents = root.getAllSubcomponents("vevent");
for (const component of vevents) {
  if (component.hasProperty("recurrence-id")) continue; // read through its series
  const uid = component.getFirstPropertyValue("uid");
  summaries[uid] = component.getFirstPropertyValue("summary");
  // Changed dates of this series only: left to itself, ICAL.Event relates every
  // RECURRENCE-ID VEVENT of the file, whatever its UID (Thunderbird groups them by UID).
  const exceptions = vevents.filter(
    (c) => c.hasProperty("recurrence-id") && c.getFirstPropertyValue("uid") === uid,
  );
  const event = new ICAL.Event(component, { exceptions, strictExceptions: true });
  const add = (details) => {
    if (!overlaps(details.startDate, details.endDate)) return;
    found.push({
      uid: event.uid,
      start: stamp(details.startDate),
      end: stamp(details.endDate),
      status: String(details.item.component.getFirstPropertyValue("status") || ""),
    });
  };
  if (!event.isRecurring()) {
    add({ startDate: event.startDate, endDate: event.endDate, item: event });
    continue;
  }
  const iterator = event.iterator();
  for (let step = 0, next; step < MAX_STEPS && (next = iterator.next()); step++) {
    if (next.toUnixTime() > windowEnd + 366 * 86400) break; // a change may move a date back
    add(event.getOccurrenceDetails(next));
  }
}
found.sort((a, b) => (a.uid + a.start).localeCompare(b.uid + b.start));
const name = root.getFirstPropertyValue("x-wr-calname");
process.stdout.write(JSON.stringify({ name, summaries, occurrences: found }));
