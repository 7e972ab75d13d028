/**
 * Parsing of SMTP paths and mailboxes (RFC 5321 §4.1.2, RFC 6531 §3.3).
 *
 * @module
 */

/** A parsed mailbox `local@domain`. */
export interface Mailbox {
  /** The local part with quoting removed. */
  local: string;
  /** The domain, or an address literal in brackets. */
  domain: string;
  /** True when any character is outside ASCII (needs SMTPUTF8). */
  utf8: boolean;
}

/** The result of parsing a path: a mailbox, the null path `<>`, or an error text. */
export type PathResult =
  | { ok: true; mailbox: Mailbox | null; rest: string }
  | { ok: false; error: string };

// atext of RFC 5322 plus, for SMTPUTF8 (RFC 6531), any non-ASCII character.
const ATOM = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\u0080-\\u{10FFFF}]+";
const DOT_STRING = new RegExp(`^${ATOM}(\\.${ATOM})*$`, "u");
const QUOTED = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\u{10FFFF}]|\\[\x20-\x7e])*)"$/u;
const SUB_DOMAIN =
  "[A-Za-z0-9\\u0080-\\u{10FFFF}](?:[A-Za-z0-9\\-\\u0080-\\u{10FFFF}]*[A-Za-z0-9\\u0080-\\u{10FFFF}])?";
const DOMAIN = new RegExp(`^${SUB_DOMAIN}(\\.${SUB_DOMAIN})*$`, "u");
const ADDRESS_LITERAL = /^\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\]$/;
// A source route "@a,@b:" (RFC 5321 §4.1.2, Appendix C): accepted and ignored.
const SOURCE_ROUTE = /^@[^:,<>]+(?:,@[^:,<>]+)*:/;

const MAX_LOCAL = 64;
const MAX_DOMAIN = 255;

/**
 * Parses the path at the start of `text` (the part after "FROM:" or "TO:").
 * Accepts the common leniencies: a space before the path and a path without
 * angle brackets. `rest` holds what follows (the ESMTP parameters).
 */
export function parsePath(text: string): PathResult {
  const s = text.trimStart();
  let inner: string;
  let rest: string;
  if (s.startsWith("<")) {
    const close = closingBracket(s);
    if (close < 0) return { ok: false, error: "missing '>' after the address" };
    inner = s.slice(1, close);
    rest = s.slice(close + 1);
    if (rest !== "" && !rest.startsWith(" ")) return { ok: false, error: "junk after '>'" };
  } else {
    const space = s.indexOf(" ");
    inner = space < 0 ? s : s.slice(0, space);
    rest = space < 0 ? "" : s.slice(space);
    if (inner === "") return { ok: false, error: "missing address" };
  }
  if (inner === "") return { ok: true, mailbox: null, rest };
  const mailbox = parseMailbox(inner.replace(SOURCE_ROUTE, ""));
  if (typeof mailbox === "string") return { ok: false, error: mailbox };
  return { ok: true, mailbox, rest };
}

/** Finds the ">" that closes the path, skipping any inside a quoted local part. */
function closingBracket(s: string): number {
  let quoted = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ">" && !quoted) return i;
  }
  return -1;
}

/**
 * Parses `local@domain`, returning the mailbox or an error text.
 * The bare local part "postmaster" (RFC 5321 §4.1.1.3) has an empty domain.
 */
export function parseMailbox(text: string): Mailbox | string {
  const at = text.lastIndexOf("@");
  if (at < 0) {
    if (text.toLowerCase() === "postmaster") return { local: text, domain: "", utf8: false };
    return "address must be of the form local@domain";
  }
  const rawLocal = text.slice(0, at);
  const domain = text.slice(at + 1);
  let local: string;
  const quoted = QUOTED.exec(rawLocal);
  if (quoted) local = quoted[1].replace(/\\(.)/g, "$1");
  else if (DOT_STRING.test(rawLocal)) local = rawLocal;
  else return "invalid local part";
  if (new TextEncoder().encode(rawLocal).length > MAX_LOCAL) return "local part too long";
  if (domain.length > MAX_DOMAIN) return "domain too long";
  if (!DOMAIN.test(domain) && !ADDRESS_LITERAL.test(domain)) return "invalid domain";
  return { local, domain, utf8: /[\u0080-\u{10FFFF}]/u.test(text) };
}

/**
 * Formats a mailbox as `local@domain`, or the bare local part when it has
 * no domain. A local part that is not a dot-string is quoted again as it
 * came (RFC 5321 §4.1.2), so that spaces or ">" in it cannot pass for the
 * text around the address, in a log line for instance.
 */
export function formatMailbox(m: Mailbox): string {
  const local = DOT_STRING.test(m.local) ? m.local : `"${m.local.replace(/["\\]/g, "\\$&")}"`;
  return m.domain === "" ? local : `${local}@${m.domain}`;
}
