/**
 * The lab assignment's check of a typed mail (Option 2): `From:`, `To:` and
 * `Subject:` lines, in that order and well formed, then the body, ended by a
 * line holding only ".". Anything else is "Incorrect format".
 *
 * @module
 */

/** The message the assignment prints for a mail that fails the check. */
export const INCORRECT_FORMAT = "Incorrect format";

/**
 * The longest subject the client accepts, in characters: the assignment's
 * "Subject: <string, 50>" for typed mail (the server stores up to 100).
 */
export const MAX_SUBJECT = 50;

/** A mail that passed the check. */
export interface TypedMail {
  /** The sender, "X@Y". */
  from: string;
  /** The one recipient, "X@Y". */
  to: string;
  /** The subject, possibly empty. */
  subject: string;
  /** The body lines, possibly none. */
  body: string[];
}

/** Why a typed mail is not in the assignment's format. */
export type FormatProblem =
  | "missing-from"
  | "missing-to"
  | "missing-subject"
  | "wrong-order"
  | "bad-from"
  | "bad-to"
  | "several-recipients"
  | "subject-too-long"
  | "unterminated";

/** The outcome of `checkMailFormat`. */
export type FormatResult = { ok: true; mail: TypedMail } | { ok: false; problem: FormatProblem };

const FIELDS = ["from", "to", "subject"] as const;
const FIELD_LINE = /^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$/;
/** atext of RFC 5322 §3.2.3, as a dot-atom. */
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;
/** Host name labels (RFC 1035 §2.3.1, digits first allowed) or an IPv4 address literal. */
const DOMAIN =
  /^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[\d{1,3}(\.\d{1,3}){3}\])$/;

/**
 * Checks a typed mail.
 *
 * @param lines the lines typed before the final "." line (that line not included)
 * @param terminated false when input ended before a line with only "."
 */
export function checkMailFormat(lines: readonly string[], terminated: boolean): FormatResult {
  const fields = lines.slice(0, 3).map((line) => FIELD_LINE.exec(line));
  const names = fields.map((m) => m?.[1].toLowerCase());
  for (let i = 0; i < FIELDS.length; i++) {
    if (names[i] === FIELDS[i]) continue;
    return { ok: false, problem: FIELDS.every((f) => names.includes(f)) ? "wrong-order" : `missing-${FIELDS[i]}` };
  }
  const [from, to, subject] = fields.map((m) => m![2].trim());
  if (!isAddress(from)) return { ok: false, problem: "bad-from" };
  if (to.split(/[\s,;]+/).filter((part) => part !== "").length > 1) return { ok: false, problem: "several-recipients" };
  if (!isAddress(to)) return { ok: false, problem: "bad-to" };
  if ([...subject].length > MAX_SUBJECT) return { ok: false, problem: "subject-too-long" };
  if (!terminated) return { ok: false, problem: "unterminated" };
  const body = lines.slice(3);
  // A blank line right after Subject, as in an RFC 5322 message, separates; it is not body text.
  if (body[0] === "") body.shift();
  return { ok: true, mail: { from, to, subject, body } };
}

/** True for one address of the form X@Y: a dot-atom local part and a host name (RFC 5321 §4.1.2). */
export function isAddress(text: string): boolean {
  const at = text.lastIndexOf("@");
  if (at <= 0) return false;
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  return local.length <= 64 && domain.length <= 255 && LOCAL_PART.test(local) && DOMAIN.test(domain);
}
