/**
 * What `check-server` checks and what it finds: a rule (an RFC requirement
 * the checker can test from outside), and a rule's verdict. Pure types and
 * small constructors; the rules themselves are in smtp_*_rules.ts and
 * pop3_*_rules.ts.
 *
 * @module
 */

import type { TraceRecord } from "../trace/record.ts";

/** How a rule came out: it held, it was broken, the server does not offer what it tests, or it could not run. */
export type Status = "pass" | "fail" | "not offered" | "skipped";

/** A rule's outcome and why. */
export interface Verdict {
  /** How it came out. */
  status: Status;
  /** For a failure, what the server did; for "not offered" or "skipped", why. */
  found?: string;
}

/** The verdict of a rule that held. */
export const PASS: Verdict = { status: "pass" };

/** A broken rule: what the server did instead of what the rule expects. */
export function fail(found: string): Verdict {
  return { status: "fail", found };
}

/** The server does not offer the extension or optional command the rule tests, as `found` says. */
export function notOffered(found: string): Verdict {
  return { status: "not offered", found };
}

/** The rule could not run here, for the reason given (e.g. it needs a message of the checker's own). */
export function skipped(found: string): Verdict {
  return { status: "skipped", found };
}

/** One RFC requirement and how to test it, against a context `C` (a connection maker). */
export interface Rule<C> {
  /** A short stable name: "smtp.rcpt-before-mail". */
  id: string;
  /** The RFC section that requires it: "RFC 5321 3.3". */
  ref: string;
  /** What it checks, in a few words. */
  title: string;
  /** What the RFC expects, shown under a failure. */
  expects: string;
  /** False for behaviour the RFCs allow either way (a SHOULD, or a choice): its failure does not fail the run. */
  required: boolean;
  /** Runs the check; a `ProtocolError` or a broken connection counts as a failure. */
  run(context: C): Promise<Verdict>;
}

/** A rule's result: its verdict and the sessions that showed it. */
export interface Result {
  /** The rule. */
  rule: Rule<never>;
  /** Its verdict. */
  verdict: Verdict;
  /** The trace of the sessions the rule ran, in order. */
  exchange: TraceRecord[];
}

/** A server broke the protocol badly enough that the rule cannot go on (a bad reply line, an early close). */
export class ProtocolError extends Error {
  /** @param message what the server did */
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}
