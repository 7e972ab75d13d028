/**
 * The SMTP session's interface with its driver: what it is told when it is
 * made, and the steps and actions it hands back.
 *
 * @module
 */

import type { Delivery } from "../mailbox/store.ts";
import type { Reply } from "./reply.ts";
export type { SmtpState } from "./rules.ts";

/** Limits a session enforces. */
export interface SmtpLimits {
  /** Largest message in octets, advertised by SIZE (RFC 1870). */
  maxMessageSize: number;
  /** Most recipients per message (RFC 5321 §4.5.3.1.8 asks for at least 100). */
  maxRecipients: number;
  /** Error replies after which the session is closed. */
  maxErrors: number;
  /** Longest text line in a message, CRLF included (RFC 5321 §4.5.3.1.6: 1000). */
  maxLine: number;
  /** Failed AUTH attempts after which the session is closed; no limit when undefined. */
  maxFailedLogins?: number;
  /** The most octets a mailbox may hold in stored form (--quota); no limit when undefined. */
  quota?: number;
}

/** Everything a session needs to know about its server and client. */
export interface SmtpSessionOptions {
  /** This server's host name, used in the greeting and trace lines. */
  host: string;
  /** The client's IP address. */
  clientAddress: string;
  /** Whether TLS can be started (RFC 3207), is already up (implicit TLS, RFC 8314), or is not configured. */
  tls: "none" | "available" | "active";
  /** True for a client on a loopback address, trusted to log in without TLS. */
  loopback: boolean;
  /** True when clients elsewhere may log in without TLS too (--allow-plaintext-login). */
  allowPlaintextLogin: boolean;
  /** Returns the canonical user name for a local part, if such a user exists. */
  findUser(localPart: string): string | undefined;
  /** True when mail for this domain is ours to deliver. */
  isLocalDomain(domain: string): boolean;
  /** The canonical user who receives mail for "postmaster" (RFC 5321 §4.5.1). */
  postmaster: string;
  /** Limits for this session. */
  limits: SmtpLimits;
  /** Clock, for tests. */
  now?: () => Date;
  /** Message id source, for tests. */
  newId?: () => string;
}

/** One line of the per-message log. */
export interface MessageLog {
  /** The message's id, or "-" when it never got one. */
  id: string;
  /** The client's IP address. */
  client: string;
  /** Envelope sender; "<>" for the null path. */
  sender: string;
  /** Envelope recipients as given. */
  recipients: string[];
  /** Message size in octets. */
  size: number;
  /** What happened, e.g. "stored" or "rejected: too big". */
  outcome: string;
  /** The authenticated user, if the session used AUTH. */
  user?: string;
}

/** Something the driver must carry out and report back. */
export type SmtpAction =
  /** Store the message; report through `complete`. */
  | { type: "deliver"; delivery: Delivery; log: MessageLog }
  /** Check that TLS can start; report through `tlsReady`, then send its reply and run the handshake. */
  | { type: "starttls" }
  /** Check the credentials (the authenticator throttles and logs); report through `authenticated`. */
  | { type: "authenticate"; name: string; password: string; sessionFailures: number };

/** What the driver does after one input line. */
export interface Step {
  /** Replies to send, in order. */
  replies: Reply[];
  /** An action to carry out before the next line. */
  action?: SmtpAction;
  /** A finished message to log. */
  log?: MessageLog;
  /** True when the connection must be closed after the replies. */
  close?: boolean;
}
