// Reads {"ics": a calendar with VTIMEZONEs, "walls": ["YYYY-MM-DDTHH:MM:SS", ...]} on stdin
// and prints, as JSON, the UTC instant (seconds since 1970) that ical.js gives each wall time
// in each of the calendar's zones: {tzid: [seconds, ...]}. Reading a feed's DTSTART is this.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const { ics, walls } = JSON.parse(readFileSync(0, "utf8"));
const root = new ICAL.Component(ICAL.parse(ics));
const found = {};
for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
  const zone = new ICAL.Timezone(vtimezone);
  found[zone.tzid] = walls.map((text) => {
    const [year, month, day, hour, minute, second] = text.split(/[-T:]/).map(Number);
    return ICAL.Time.fromData({ year, month, day, hour, minute, second }, zone).toUnixTime();
  });
}
process.stdout.write(JSON.stringify(found));
