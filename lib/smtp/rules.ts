/**
 * The SMTP session's tables: in which states each verb is allowed, the reply
 * to a verb out of sequence, the EHLO keywords and HELP text, and the checks
 * of MAIL parameters. Pure.
 *
 * @module
 */

import { ENCRYPTION_REQUIRED } from "./auth.ts";
import type { Command, Params } from "./command.ts";
import { Replies, type Reply, reply } from "./reply.ts";

/** The session's protocol state (RFC 5321 §4.1.4); "auth" while an AUTH exchange waits for the client (RFC 4954). */
export type SmtpState = "greet" | "ready" | "mail" | "rcpt" | "data" | "auth";

const ANY: readonly SmtpState[] = ["greet", "ready", "mail", "rcpt"];

/** The states in which each verb is allowed; any other state gets 503. */
export const ALLOWED: Record<Command["verb"], readonly SmtpState[]> = {
  EHLO: ANY,
  HELO: ANY,
  MAIL: ["ready"],
  RCPT: ["mail", "rcpt"],
  DATA: ["rcpt"],
  RSET: ANY,
  QUIT: ANY,
  NOOP: ANY,
  HELP: ANY,
  VRFY: ANY,
  // RFC 3207 §4 and RFC 4954 §4: not in the middle of a mail transaction.
  STARTTLS: ["ready"],
  AUTH: ["ready"],
};

/** The 503 reply for a verb that `ALLOWED` refuses in `state`. */
export function outOfSequence(verb: Command["verb"], state: SmtpState): Reply {
  if (state === "greet") return Replies.badSequence("send HELO or EHLO first");
  if (verb === "STARTTLS" || verb === "AUTH") return Replies.badSequence("mail transaction in progress");
  if (verb === "MAIL") return Replies.badSequence("sender already given");
  if (verb === "DATA" && state === "mail") return Replies.badSequence("no valid recipients");
  return Replies.badSequence(verb === "DATA" ? "need MAIL and RCPT before DATA" : "need MAIL before RCPT");
}

/** What the session offers now, for `unavailable`. */
export interface Offers {
  /** TLS not configured, available through STARTTLS, or already active. */
  tls: "none" | "available" | "active";
  /** True when AUTH may be used on this connection now (TLS, or a trusted client). */
  auth: boolean;
  /** True once AUTH has succeeded. */
  authenticated: boolean;
}

/**
 * The refusal of STARTTLS or AUTH where the session does not offer it,
 * whatever its state: 502 without TLS, 503 when TLS is already active,
 * 501 for arguments to STARTTLS (RFC 3207 §4); 538 when AUTH needs TLS
 * first, 503 after a successful AUTH (RFC 4954 §4, §6).
 */
export function unavailable(c: Command, offers: Offers): Reply | undefined {
  if (c.verb === "STARTTLS") {
    if (offers.tls === "none") return Replies.notImplemented();
    if (offers.tls === "active") return Replies.badSequence("TLS already active");
    if (c.argument !== "") return reply(501, "5.4", "STARTTLS takes no parameters");
  }
  if (c.verb === "AUTH") {
    if (!offers.auth) return ENCRYPTION_REQUIRED;
    if (offers.authenticated) return Replies.badSequence("already authenticated");
  }
  return undefined;
}

/** The text of the 214 reply to HELP. */
export const HELP_LINES = [
  "Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA RSET NOOP QUIT VRFY HELP",
  "End of HELP",
];

/** What decides the EHLO keywords beyond the fixed ones. */
export interface EhloFacts {
  /** Largest message, for SIZE (RFC 1870). */
  maxMessageSize: number;
  /** True when STARTTLS can be used now (RFC 3207 §4.2: not once TLS is active). */
  starttls: boolean;
  /** The SASL mechanisms to list after AUTH (RFC 4954 §3), or none to leave AUTH out. */
  auth: readonly string[];
}

/** The keyword lines of the EHLO reply, after its greeting line (RFC 5321 §4.1.1.1). */
export function ehloKeywords(facts: EhloFacts): string[] {
  return [
    "PIPELINING",
    "8BITMIME",
    `SIZE ${facts.maxMessageSize}`,
    "ENHANCEDSTATUSCODES",
    "SMTPUTF8",
    ...(facts.starttls ? ["STARTTLS"] : []),
    ...(facts.auth.length > 0 ? [`AUTH ${facts.auth.join(" ")}`] : []),
    "HELP",
  ];
}

/**
 * Checks MAIL parameters: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC
 * 6531), and AUTH (RFC 4954 §5), which is accepted and ignored: we never
 * relay, so there is no one to pass it on to.
 */
export function checkMailParams(params: Params, maxSize: number): Reply | undefined {
  for (const [key, value] of params) {
    if (key === "SIZE") {
      if (value === true || !/^\d{1,20}$/.test(value)) return reply(501, "5.4", "Bad SIZE value");
      if (Number(value) > maxSize) return reply(552, "3.4", `Message size exceeds the limit of ${maxSize} octets`);
    } else if (key === "BODY") {
      // Keywords and values are case-insensitive (RFC 5321 §2.4).
      const body = value === true ? "" : value.toUpperCase();
      if (body !== "7BIT" && body !== "8BITMIME") return reply(555, "5.4", "BODY must be 7BIT or 8BITMIME");
    } else if (key === "AUTH") {
      if (value === true) return reply(501, "5.4", "AUTH needs a value");
    } else if (key !== "SMTPUTF8" || value !== true) {
      return reply(555, "5.4", `Unsupported MAIL parameter ${key}`);
    }
  }
  return undefined;
}
