/**
 * The shape of the protocol annotation tables (lib/smtp/annotations.ts,
 * lib/pop3/annotations.ts): what a command, reply, state or header field
 * means and the RFC section that defines it, and how one reads in a trace.
 * Pure data, shared by the servers' `--trace`, the client's and the checker.
 *
 * @module
 */

import { decodeBase64 } from "../sasl.ts";

/** What a masked secret (a password, an AUTH payload) shows in a trace. */
export const MASK = "****";

/** What one command, reply code, state or field means, and where an RFC defines it. */
export interface Annotation {
  /** The defining document and section, e.g. "RFC 5321 4.1.1.2" or "RFC 3463" (its codes are its index). */
  ref: string;
  /** A short meaning in plain words, lower case, no final full stop. */
  meaning: string;
}

/** The form every `ref` takes: "RFC", its number, and a section when the code itself does not locate it. */
export const RFC_REF: RegExp = /^RFC \d{3,4}( \d+(\.\d+)*)?$/;

/**
 * An annotation as a trace shows it: `RFC 5321 4.1.1.2 MAIL: starts a mail
 * transaction`.
 *
 * @param key what is annotated, e.g. "MAIL", "550", "5.1.1", "UPDATE state"
 */
export function describe(key: string, annotation: Annotation): string {
  return `${annotation.ref} ${key}: ${annotation.meaning}`;
}

const decoder = new TextDecoder();

/**
 * What a SASL challenge (SMTP 334, POP3 "+") says in plain words, for its
 * note: ` (it reads "Username:")` when it decodes to printable ASCII, else "".
 *
 * @param challenge the challenge's base64 text
 */
export function challengeText(challenge: string): string {
  const bytes = decodeBase64(challenge.trim());
  if (bytes === undefined || bytes.length === 0) return "";
  const text = decoder.decode(bytes);
  return /^[\x20-\x7e]+$/.test(text) ? ` (it reads "${text}")` : "";
}
