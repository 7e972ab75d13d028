/**
 * The POP3 AUTHORIZATION state's ways in: USER/PASS (RFC 1939 §7), AUTH
 * PLAIN (RFC 5034), STLS (RFC 2595 §4), and the rule that passwords travel
 * only through TLS unless the client is trusted. Pure, like the session.
 *
 * @module
 */

import { findMechanism, SaslExchange, type SaslMechanism, type SaslStep } from "../sasl.ts";
import type { Pop3Command } from "./command.ts";
import { err, multiline, ok } from "./reply.ts";
import type { Pop3Step } from "./session_types.ts";

/** Facts about the connection that decide how a client may log in. */
export interface Pop3Security {
  /** Whether STLS can be used, TLS is already up (implicit TLS, RFC 8314), or it is not configured. */
  tls: "none" | "available" | "active";
  /** True for a client on a loopback address, trusted to log in without TLS. */
  loopback: boolean;
  /** True when clients elsewhere may log in without TLS too (--allow-plaintext-login). */
  allowPlaintextLogin: boolean;
}

/** The SASL mechanisms offered (RFC 5034 §3: the SASL capability). */
const MECHANISMS: readonly SaslMechanism[] = ["PLAIN"];

/** One session's AUTHORIZATION-state logic. */
export class Pop3Login {
  #security: Pop3Security;
  #pendingUser: string | undefined;
  #exchange: SaslExchange | undefined;

  /** @param security the connection's facts */
  constructor(security: Pop3Security) {
    this.#security = { ...security };
  }

  /** True while an AUTH exchange waits for the client's response: the next line is that response. */
  get waiting(): boolean {
    return this.#exchange !== undefined;
  }

  /**
   * The capabilities for CAPA (RFC 2449 §6) in this state. USER and SASL are
   * left out where logging in would be refused; STLS appears only before
   * login and before TLS (RFC 2595 §4).
   */
  capabilities(authorization: boolean): string[] {
    const login = this.#plaintextAllowed() ? ["USER", `SASL ${MECHANISMS.join(" ")}`] : [];
    const stls = authorization && this.#security.tls === "available" ? ["STLS"] : [];
    return ["TOP", "UIDL", ...login, "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", ...stls, "IMPLEMENTATION smtpmail"];
  }

  /** Handles a command in the AUTHORIZATION state. */
  command(c: Pop3Command): Pop3Step {
    switch (c.verb) {
      case "USER":
      case "PASS":
      case "AUTH": {
        const refused = this.#plaintextAllowed() ? undefined : this.#refusal();
        if (refused) return { replies: [refused] };
        return c.verb === "USER"
          ? this.#userCommand(c.name)
          : c.verb === "PASS"
          ? this.#pass(c.password)
          : this.#auth(c);
      }
      case "STLS":
        if (this.#security.tls === "none") return { replies: [err("STLS not available: TLS is not configured")] };
        if (this.#security.tls === "active") return { replies: [err("Command not permitted when TLS active")] };
        return { replies: [], action: { type: "starttls" } };
    }
    return { replies: [err(`${c.verb} is not allowed before login`)] };
  }

  /** Takes the client's response to a "+ " continuation (RFC 5034 §4). */
  respond(line: string, tooLong: boolean): Pop3Step {
    if (tooLong || this.#exchange === undefined) {
      this.#exchange = undefined;
      return { replies: [err("Line too long")] };
    }
    return this.#saslStep(this.#exchange.respond(line));
  }

  /**
   * Reports whether TLS can start now: if so "+OK", after which the driver
   * runs the handshake and everything from before is forgotten (RFC 2595 §4);
   * if not, a temporary error.
   */
  tlsReady(ready: boolean): Pop3Step {
    if (!ready) return { replies: [err("[SYS/TEMP] TLS not available now, try again later")] };
    this.#pendingUser = undefined;
    this.#exchange = undefined;
    this.#security.tls = "active";
    return { replies: [ok("Begin TLS negotiation")] };
  }

  /** RFC 8314 §3 and RFC 2595 §2: passwords only through TLS, or from a trusted client. */
  #plaintextAllowed(): boolean {
    const s = this.#security;
    return s.tls === "active" || s.loopback || s.allowPlaintextLogin;
  }

  #refusal(): string {
    const hint = this.#security.tls === "available" ? "use STLS" : "TLS is not configured";
    return err(`[AUTH] Plaintext login refused without TLS (${hint})`);
  }

  #userCommand(name: string): Pop3Step {
    this.#pendingUser = name;
    return { replies: [ok("Send your password")] };
  }

  #pass(password: string): Pop3Step {
    const user = this.#pendingUser;
    this.#pendingUser = undefined;
    if (user === undefined) return { replies: [err("Send USER first")] };
    return { replies: [], action: { type: "login", user, password } };
  }

  #auth(c: Pop3Command & { verb: "AUTH" }): Pop3Step {
    if (c.mechanism === undefined) return { replies: [...multiline(ok("Supported mechanisms follow"), MECHANISMS)] };
    const mechanism = findMechanism(c.mechanism, MECHANISMS);
    if (mechanism === undefined) return { replies: [err("Unsupported authentication mechanism")] };
    this.#exchange = new SaslExchange(mechanism);
    return this.#saslStep(this.#exchange.start(c.initial));
  }

  #saslStep(step: SaslStep): Pop3Step {
    if (step.type === "challenge") return { replies: [`+ ${step.challenge}`] };
    this.#exchange = undefined;
    switch (step.type) {
      case "credentials":
        return { replies: [], action: { type: "login", user: step.name, password: step.password } };
      case "cancelled":
        return { replies: [err("Authentication cancelled")] };
      case "bad-base64":
        return { replies: [err("Cannot decode base64 response")] };
      case "malformed":
        return { replies: [err(`Malformed authentication response: ${step.detail}`)] };
    }
  }
}
