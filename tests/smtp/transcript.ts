/**
 * Runs SMTP conversations written as data against an `SmtpSession`, with no
 * sockets: each client turn goes through the real line splitter.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Delivery } from "../../lib/mailbox/store.ts";
import { LineSplitter } from "../../lib/net/line_splitter.ts";
import { formatReply } from "../../lib/smtp/reply.ts";
import { type SmtpAction, SmtpSession, type SmtpSessionOptions, type Step } from "../../lib/smtp/session.ts";

/** One client turn and the exact reply lines expected for it (without CRLF). */
export interface Turn {
  /** A client line, sent with CRLF appended. */
  c?: string;
  /** Raw client bytes, sent as they are (for bare CR/LF cases). */
  raw?: string;
  /** Expected server lines, in full; [] when the server must stay silent. */
  s: string[];
  /** True when the server must close the connection after this turn. */
  close?: boolean;
}

/** How the pretend world around the session behaves. */
export interface FakeWorld {
  /** Every delivery fails with "disk full". */
  failDelivery?: boolean;
  /** STARTTLS finds the certificate unusable (454). */
  tlsUnavailable?: boolean;
}

/** The pretend authenticator: Stallings/"network$security" logs in, "locked" is locked out, anything else fails. */
export const GOOD_LOGIN = { name: "Stallings", password: "network$security" } as const;

/** What a transcript run leaves behind. */
export interface TranscriptResult {
  /** Deliveries the session asked for, in order. */
  deliveries: Delivery[];
  /** Credentials checks the session asked for, in order. */
  logins: { name: string; password: string; sessionFailures: number }[];
  /** How many turns had been played when TLS started (after the go-ahead), if it did. */
  tlsAfterTurn?: number;
  /** Log lines' outcomes, in order. */
  outcomes: string[];
  /** The session, for state checks. */
  session: SmtpSession;
}

/** Default session options; tests override what they need. */
export function testOptions(overrides: Partial<SmtpSessionOptions> = {}): SmtpSessionOptions {
  const users = new Map(["Stallings", "Fourouzan", "Andrew"].map((u) => [u.toLowerCase(), u]));
  return {
    host: "mx.test",
    clientAddress: "127.0.0.1",
    tls: "none",
    loopback: false,
    allowPlaintextLogin: false,
    findUser: (local) => users.get(local.toLowerCase()),
    isLocalDomain: (d) => ["localhost", "mx.test"].includes(d.toLowerCase()),
    postmaster: "Stallings",
    limits: { maxMessageSize: 1000, maxRecipients: 3, maxErrors: 20, maxLine: 1000 },
    now: () => new Date(Date.UTC(2026, 10, 27, 9, 45, 57)),
    newId: () => "ID1",
    ...overrides,
  };
}

/**
 * Plays the turns in order, checking every reply line. The greeting is
 * checked first. Deliveries succeed and TLS starts unless `world` says
 * otherwise; logins follow `GOOD_LOGIN`. Input still buffered when TLS
 * starts is discarded, as `LineConn.startTls` does.
 */
export function runTranscript(
  turns: Turn[],
  options: SmtpSessionOptions = testOptions(),
  world: FakeWorld = {},
): TranscriptResult {
  const session = new SmtpSession(options);
  const result: TranscriptResult = { deliveries: [], logins: [], outcomes: [], session };
  assert.equal(formatReply(session.greeting()), "220 mx.test ESMTP smtpmail ready\r\n");
  const splitter = new LineSplitter();
  for (const [index, turn] of turns.entries()) {
    splitter.push(new TextEncoder().encode(turn.raw ?? `${turn.c}\r\n`));
    const got: string[] = [];
    let closed = false;
    for (;;) {
      let step;
      if (session.state === "data") {
        const raw = splitter.take();
        if (raw.length === 0) break;
        const taken = session.receiveData(raw);
        splitter.unshift(raw.subarray(taken.used));
        step = taken.step;
      } else {
        const line = splitter.next(512);
        if (line === undefined) break;
        step = session.receive(line);
      }
      got.push(...step.replies.map(formatReply));
      if (step.action) {
        const action = step.action;
        step = carryOut(action, session, result, world);
        got.push(...step.replies.map(formatReply));
        if (action.type === "starttls" && !world.tlsUnavailable) {
          splitter.take(); // as LineConn.startTls drops plaintext pipelined behind STARTTLS
          result.tlsAfterTurn = index + 1;
        }
      }
      if (step.log) result.outcomes.push(step.log.outcome);
      if (step.close) closed = true;
    }
    const expected = turn.s.map((l) => `${l}\r\n`).join("");
    assert.equal(got.join(""), expected, `turn ${index + 1}: ${JSON.stringify(turn.c ?? turn.raw)}`);
    assert.equal(closed, turn.close ?? false, `turn ${index + 1}: close`);
  }
  return result;
}

/** Does what the driver would, in pretend: stores, starts TLS, checks logins. */
function carryOut(action: SmtpAction, session: SmtpSession, result: TranscriptResult, world: FakeWorld): Step {
  switch (action.type) {
    case "deliver": {
      result.deliveries.push(action.delivery);
      return session.complete(world.failDelivery ? { ok: false, error: "disk full" } : { ok: true }, action.log);
    }
    case "starttls":
      return session.tlsReady(!world.tlsUnavailable);
    case "authenticate": {
      const { name, password, sessionFailures } = action;
      result.logins.push({ name, password, sessionFailures });
      if (name === "locked") return session.authenticated({ ok: false, reason: "locked" });
      const ok = name.toLowerCase() === GOOD_LOGIN.name.toLowerCase() && password === GOOD_LOGIN.password;
      return session.authenticated(ok ? { ok: true, user: GOOD_LOGIN.name } : { ok: false, reason: "invalid" });
    }
  }
}

/** Concatenates a delivery's record chunks into text. */
export function recordText(delivery: Delivery): string {
  const total = delivery.record.reduce((n, c) => n + c.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of delivery.record) {
    bytes.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(bytes);
}
