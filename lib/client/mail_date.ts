/**
 * Dates in mail headers: reading an RFC 5322 date-time, finding when a
 * message was received, and showing it as the assignment's "date: hour:
 * minute".
 *
 * @module
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Offsets of the obsolete zone names of RFC 5322 §4.3, in hours. */
const ZONES: Record<string, number> = {
  UT: 0,
  GMT: 0,
  Z: 0,
  EST: -5,
  EDT: -4,
  CST: -6,
  CDT: -5,
  MST: -7,
  MDT: -6,
  PST: -8,
  PDT: -7,
};

const DATE_TIME =
  /^\s*(?:[A-Za-z]{3}\s*,\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,5})?/;

/**
 * Reads an RFC 5322 §3.3 date-time, obsolete forms of §4.3 included
 * (two-digit years, zone names, comments after the zone). Other text that
 * JavaScript's `Date.parse` understands is accepted as a last resort.
 *
 * @returns the instant, or undefined when `text` holds no date
 */
export function parseMailDate(text: string): Date | undefined {
  const m = DATE_TIME.exec(text);
  if (m === null) {
    const t = Date.parse(text);
    return Number.isNaN(t) ? undefined : new Date(t);
  }
  const [, day, monthName, yearText, hour, minute, second, zone] = m;
  const month = MONTHS.findIndex((name) => name.toLowerCase() === monthName.toLowerCase());
  if (month < 0) return undefined;
  let year = Number(yearText);
  if (yearText.length === 2) year += year < 50 ? 2000 : 1900;
  else if (yearText.length === 3) year += 1900;
  const utc = Date.UTC(year, month, Number(day), Number(hour), Number(minute), Number(second ?? 0));
  return new Date(utc - zoneOffsetMinutes(zone) * 60_000);
}

function zoneOffsetMinutes(zone: string | undefined): number {
  if (zone === undefined) return 0;
  if (/^[+-]\d{4}$/.test(zone)) {
    const minutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3));
    return zone[0] === "-" ? -minutes : minutes;
  }
  // Unknown names, military zones included, mean -0000: no offset information (RFC 5322 §4.3).
  return (ZONES[zone.toUpperCase()] ?? 0) * 60;
}

/**
 * When a message was received: the date of its first (topmost, newest)
 * `Received:` field, after the field's last ";" (RFC 5321 §4.4), else its
 * `Date:` field.
 *
 * @param headers the message's header fields in order, names lower case, values unfolded
 */
export function receivedDate(headers: readonly { key: string; value: string }[]): Date | undefined {
  const received = headers.find((h) => h.key === "received");
  if (received !== undefined) {
    const semicolon = received.value.lastIndexOf(";");
    const date = semicolon < 0 ? undefined : parseMailDate(received.value.slice(semicolon + 1));
    if (date !== undefined) return date;
  }
  const sent = headers.find((h) => h.key === "date");
  return sent === undefined ? undefined : parseMailDate(sent.value);
}

/**
 * Shows an instant as "27 Nov 2026 09:45" in a time zone.
 *
 * @param timeZone an IANA zone such as "UTC" or "Asia/Kolkata"; the local zone when left out
 */
export function formatReceived(date: Date, timeZone?: string): string {
  const parts = formatter(timeZone).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("day")} ${MONTHS[Number(part("month")) - 1]} ${part("year")} ${part("hour")}:${part("minute")}`;
}

/** One formatter per zone, made once: each costs native memory that the garbage collector does not see. */
const formatters = new Map<string | undefined, Intl.DateTimeFormat>();

function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
  let made = formatters.get(timeZone);
  if (made === undefined) {
    made = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "numeric",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, made);
  }
  return made;
}
