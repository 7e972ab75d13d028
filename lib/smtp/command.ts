/**
 * Parsing of SMTP command lines (RFC 5321 §4.1.1) into a discriminated
 * union. No I/O and no replies: the session decides what to answer.
 *
 * @module
 */

import { type Mailbox, parsePath } from "./address.ts";

/** ESMTP parameters of MAIL or RCPT, keyed by upper-case name. */
export type Params = Map<string, string | true>;

/** A successfully parsed command. */
export type Command =
  | { verb: "EHLO" | "HELO"; domain: string }
  | { verb: "MAIL"; from: Mailbox | null; params: Params }
  | { verb: "RCPT"; to: Mailbox; params: Params }
  | { verb: "DATA" | "RSET" | "NOOP" | "QUIT" | "HELP" }
  | { verb: "VRFY"; argument: string }
  /** RFC 3207; any argument is an error the session reports (501 5.5.4). */
  | { verb: "STARTTLS"; argument: string }
  /** RFC 4954 §4: the mechanism, upper case, and the initial response if given. */
  | { verb: "AUTH"; mechanism: string; initial?: string };

/** Why a line is not a command we carry out. */
export type CommandError =
  | { error: "unknown" }
  | { error: "unimplemented"; verb: string }
  | { error: "syntax"; verb: string; detail: string };

/** Verbs that RFC 5321 and its extensions define but this server does not offer. */
const UNIMPLEMENTED = new Set([
  "EXPN",
  "TURN",
  "SEND",
  "SOML",
  "SAML",
  "ETRN",
  "ATRN",
  "BDAT",
]);

const NO_ARGUMENT = new Set(["DATA", "RSET", "QUIT"]);

const PARAM = /^([A-Za-z0-9][A-Za-z0-9-]*)(?:=([\x21-\x3c\x3e-\x7e]+))?$/;

/** Parses one command line (without its line end). Verbs are case-insensitive. */
export function parseCommand(line: string): Command | CommandError {
  const space = line.indexOf(" ");
  const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
  const arg = space < 0 ? "" : line.slice(space + 1);
  switch (verb) {
    case "EHLO":
    case "HELO":
      return parseHello(verb, arg.trim());
    case "MAIL":
      return parseMail(arg);
    case "RCPT":
      return parseRcpt(arg);
    case "NOOP":
    case "HELP":
      return { verb };
    case "VRFY":
      if (arg.trim() === "") return syntax(verb, "VRFY needs an argument");
      return { verb, argument: arg.trim() };
    case "DATA":
    case "RSET":
    case "QUIT":
      if (NO_ARGUMENT.has(verb) && arg.trim() !== "") return syntax(verb, `${verb} takes no argument`);
      return { verb };
    case "STARTTLS":
      return { verb, argument: arg.trim() };
    case "AUTH":
      return parseAuth(arg);
  }
  return UNIMPLEMENTED.has(verb) ? { error: "unimplemented", verb } : { error: "unknown" };
}

function syntax(verb: string, detail: string): CommandError {
  return { error: "syntax", verb, detail };
}

function parseHello(verb: "EHLO" | "HELO", domain: string): Command | CommandError {
  if (domain === "" || /\s/.test(domain)) return syntax(verb, `${verb} needs one domain or address literal`);
  return { verb, domain };
}

/** AUTH mechanism [initial-response] (RFC 4954 §4). */
function parseAuth(arg: string): Command | CommandError {
  const words = arg.split(" ");
  if (words[0] === "" || words.length > 2 || words[1] === "") {
    return syntax("AUTH", "expected AUTH mechanism [initial-response]");
  }
  const mechanism = words[0].toUpperCase();
  return words.length === 2 ? { verb: "AUTH", mechanism, initial: words[1] } : { verb: "AUTH", mechanism };
}

function parseMail(arg: string): Command | CommandError {
  const m = /^FROM:/i.exec(arg);
  if (!m) return syntax("MAIL", "expected MAIL FROM:<address>");
  const path = parsePath(arg.slice(m[0].length));
  if (!path.ok) return syntax("MAIL", path.error);
  const params = parseParams(path.rest);
  if (typeof params === "string") return syntax("MAIL", params);
  return { verb: "MAIL", from: path.mailbox, params };
}

function parseRcpt(arg: string): Command | CommandError {
  const m = /^TO:/i.exec(arg);
  if (!m) return syntax("RCPT", "expected RCPT TO:<address>");
  const path = parsePath(arg.slice(m[0].length));
  if (!path.ok) return syntax("RCPT", path.error);
  if (path.mailbox === null) return syntax("RCPT", "the null path is not a recipient");
  const params = parseParams(path.rest);
  if (typeof params === "string") return syntax("RCPT", params);
  return { verb: "RCPT", to: path.mailbox, params };
}

/** Parses `KEY[=VALUE]` parameters separated by spaces (RFC 5321 §4.1.2). */
function parseParams(text: string): Params | string {
  const params: Params = new Map();
  for (const word of text.split(" ")) {
    if (word === "") continue;
    const m = PARAM.exec(word);
    if (!m) return `malformed parameter "${word}"`;
    params.set(m[1].toUpperCase(), m[2] ?? true);
  }
  return params;
}
