/**
 * SMTP AUTH (RFC 4954) for the session: the mechanisms offered, the SASL
 * exchange worded as SMTP replies, and who is authenticated. Pure: the
 * password check itself is an action the driver carries out.
 *
 * @module
 */

import type { LoginOutcome } from "../auth/authenticator.ts";
import { findMechanism, SaslExchange, type SaslMechanism, type SaslStep } from "../sasl.ts";
import { plainReply, type Reply, reply } from "./reply.ts";

/** The mechanisms offered, in the order EHLO lists them. */
export const AUTH_MECHANISMS: readonly SaslMechanism[] = ["PLAIN", "LOGIN"];

/** The next move of an AUTH exchange. */
export type AuthMove =
  /** Send `reply`: a 334 challenge when `pending`, else the error that ended the exchange. */
  | { reply: Reply; pending: boolean }
  /** The client has sent its credentials: check them, then call `finish`. */
  | { credentials: { name: string; password: string } };

/** RFC 4954 §6's reply when authentication needs TLS first. */
export const ENCRYPTION_REQUIRED: Reply = reply(
  538,
  "7.11",
  "Encryption required for requested authentication mechanism",
);

/** One session's authentication: the exchange under way, its failures, and the user once it succeeded. */
export class SmtpAuth {
  /** The canonical user name after a successful AUTH, else undefined. */
  user: string | undefined;
  /** Failed attempts so far in this session (each one checked by the authenticator). */
  failures = 0;
  #exchange: SaslExchange | undefined;

  /** Starts an exchange for `AUTH mechanism [initial]`. */
  start(mechanism: string, initial: string | undefined): AuthMove {
    const chosen = findMechanism(mechanism, AUTH_MECHANISMS);
    if (chosen === undefined) {
      return { reply: reply(504, "5.4", "Unrecognized authentication mechanism"), pending: false };
    }
    this.#exchange = new SaslExchange(chosen);
    return this.#move(this.#exchange.start(initial));
  }

  /**
   * Takes the client's answer to a 334 challenge.
   *
   * @throws {TypeError} when no exchange is under way
   */
  respond(line: string): AuthMove {
    if (this.#exchange === undefined) throw new TypeError("Cannot take an AUTH response: no exchange under way");
    return this.#move(this.#exchange.respond(line));
  }

  /** Ends the exchange after the credentials were checked; returns the reply. */
  finish(outcome: LoginOutcome): Reply {
    this.#exchange = undefined;
    if (outcome.ok) {
      this.user = outcome.user;
      return reply(235, "7.0", "Authentication succeeded");
    }
    this.failures++;
    if (outcome.reason === "locked") return reply(454, "7.0", "Temporary authentication failure, try again later");
    return reply(535, "7.8", "Authentication credentials invalid");
  }

  /**
   * Forgets the exchange and the user (after STARTTLS). `failures` stays, so
   * starting TLS does not reset the throttling of failed logins.
   */
  reset(): void {
    this.#exchange = undefined;
    this.user = undefined;
  }

  #move(step: SaslStep): AuthMove {
    if (step.type === "challenge") return { reply: plainReply(334, step.challenge), pending: true };
    if (step.type === "credentials") return { credentials: { name: step.name, password: step.password } };
    this.#exchange = undefined;
    if (step.type === "cancelled") return { reply: reply(501, "7.0", "Authentication cancelled"), pending: false };
    if (step.type === "bad-base64") {
      return { reply: reply(501, "5.2", "Cannot decode base64 response"), pending: false };
    }
    return { reply: reply(501, "5.2", `Malformed authentication response: ${step.detail}`), pending: false };
  }
}
