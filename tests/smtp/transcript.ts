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
import { SmtpSession, type SmtpSessionOptions } from "../../lib/smtp/session.ts";

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

/** What a transcript run leaves behind. */
export interface TranscriptResult {
  /** Deliveries the session asked for, in order. */
  deliveries: Delivery[];
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
 * checked first. Deliveries succeed unless `failDelivery` is set.
 */
export function runTranscript(
  turns: Turn[],
  options: SmtpSessionOptions = testOptions(),
  failDelivery = false,
): TranscriptResult {
  const session = new SmtpSession(options);
  const deliveries: Delivery[] = [];
  const outcomes: string[] = [];
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
        deliveries.push(step.action.delivery);
        const result = failDelivery ? { ok: false as const, error: "disk full" } : { ok: true as const };
        step = session.complete(result, step.action.log);
        got.push(...step.replies.map(formatReply));
      }
      if (step.log) outcomes.push(step.log.outcome);
      if (step.close) closed = true;
    }
    const expected = turn.s.map((l) => `${l}\r\n`).join("");
    assert.equal(got.join(""), expected, `turn ${index + 1}: ${JSON.stringify(turn.c ?? turn.raw)}`);
    assert.equal(closed, turn.close ?? false, `turn ${index + 1}: close`);
  }
  return { deliveries, outcomes, session };
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
