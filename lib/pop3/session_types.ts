/**
 * The POP3 session's interface with its driver and its login part: the
 * states, the steps and actions it hands back, and what it is told of a
 * login.
 *
 * @module
 */

import type { Maildrop } from "../mailbox/store.ts";

/** The session's protocol state (RFC 1939 §3). */
export type Pop3State = "authorization" | "transaction" | "update";

/** Something the driver must carry out. */
export type Pop3Action =
  /** Check the password, lock and list the maildrop; report through `loggedIn`. */
  | { type: "login"; user: string; password: string }
  /** Check that TLS can start; report through `tlsReady`, send its reply, then run the handshake (RFC 2595 §4). */
  | { type: "starttls" }
  /** Send record `index`'s stored bytes, or with `bodyLines` only the header and that many body lines. */
  | { type: "retrieve"; index: number; bodyLines?: number }
  /** Remove the records with these ids, release the maildrop; report through `committed`. */
  | { type: "commit"; remove: ReadonlySet<string> };

/** What the driver does after one input line. */
export interface Pop3Step {
  /** Reply lines to send, each without CRLF; a long listing is produced as it is sent. */
  replies: Iterable<string>;
  /** An action to carry out before the next line. */
  action?: Pop3Action;
  /** True when the connection must be closed after the replies. */
  close?: boolean;
}

/** What the session needs to know of a maildrop: its listing, not its bytes. */
export type MaildropListing = Pick<Maildrop, "count" | "totalSize" | "size" | "id">;

/** How a login attempt ended. */
export type LoginResult =
  | { ok: true; user: string; maildrop: MaildropListing }
  | { ok: false; reason: "auth" | "locked" | "in-use" | "temporary" };
