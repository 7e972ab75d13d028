/**
 * Property-based fuzzing of `SmtpSession` driven the way the driver drives
 * it (LineSplitter for commands, `receiveData` in the "data" state, each
 * action answered), with random, mutated and pipelined command streams and
 * DATA bodies in random chunkings (generators in `smtp_streams.ts`). Seed
 * and replay: see `fuzz.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { LoginOutcome } from "../../lib/auth/authenticator.ts";
import { LineSplitter } from "../../lib/net/line_splitter.ts";
import { formatReply, type Reply } from "../../lib/smtp/reply.ts";
import {
  type SmtpAction,
  SmtpSession,
  type SmtpSessionOptions,
  type SmtpState,
  type Step,
} from "../../lib/smtp/session.ts";
import { bytes, chunk, chunkSizes, concat, fuzzParams, isTextString, latin1 } from "./fuzz.ts";
import { smtpStream } from "./smtp_streams.ts";
import { testOptions } from "../smtp/transcript.ts";

const COMMAND_LINE = 512;
const USERS = new Set(["Stallings", "Fourouzan", "Andrew"]);

/**
 * Checks one reply against RFC 5321 §4.2 and the enhanced-status rule the
 * server follows (RFC 2034 §3): a status on every reply but the greeting,
 * the EHLO/HELO 250, 354 and the 334 AUTH challenges.
 */
function checkReply(r: Reply, verb: string): void {
  const text = formatReply(r);
  assert.ok(text.endsWith("\r\n"), "a reply ends with CRLF");
  const lines = text.slice(0, -2).split("\r\n");
  const plain = verb === "greeting" || r.code === 354 || r.code === 334 ||
    (r.code === 250 && (verb === "EHLO" || verb === "HELO"));
  assert.equal(r.status === undefined, plain, `enhanced status code present unless plain: ${text}`);
  lines.forEach((line, i) => {
    const m = /^([2-5]\d\d)(?:([ -])(.*))?$/s.exec(line);
    assert.ok(m, `reply line ${JSON.stringify(line)}`);
    assert.equal(Number(m[1]), r.code, "same code on every line");
    assert.equal(m[2] ?? " ", i === lines.length - 1 ? " " : "-", `"-" on all lines but the last: ${text}`);
    assert.ok(isTextString(m[3] ?? ""), `reply text is a textstring: ${JSON.stringify(line)}`);
    if (!plain) assert.match(m[3], new RegExp(`^${line[0]}\\.\\d{1,3}\\.\\d{1,3}( |$)`), "class.subject.detail");
  });
}

/**
 * The state a reply implies (RFC 5321 §4.1.4, RFC 3207 §4.2, RFC 4954 §4).
 * A rejected command (≥ 400) changes nothing, except that any reply but 334
 * ends an AUTH exchange, which returns to "ready" where AUTH began.
 */
function expectedState(before: SmtpState, verb: string, code: number): SmtpState {
  if (before === "auth") return code === 334 ? "auth" : "ready";
  if (code >= 400) return before;
  if (code === 250 && (verb === "EHLO" || verb === "HELO")) return "ready";
  if (code === 250 && verb === "MAIL") return "mail";
  if (code === 250 && verb === "RCPT") return "rcpt";
  if (code === 354 && verb === "DATA") return "data";
  if (code === 334 && verb === "AUTH") return "auth";
  if (code === 220 && verb === "STARTTLS") return "greet";
  if (code === 250 && verb === "RSET") return before === "greet" ? "greet" : "ready";
  return before;
}

/** Checks a stored record: CRLF lines only, and the end marker only at its very end. */
function checkRecord(record: Uint8Array[]): void {
  const text = latin1(concat(record));
  assert.ok(text.endsWith("\r\n.\r\n"), "a record ends with CRLF . CRLF");
  assert.equal(text.indexOf("\r\n.\r\n"), text.length - 5, `no end marker inside: ${JSON.stringify(text)}`);
  assert.doesNotMatch(text, /\r(?!\n)|(?<!\r)\n/, "no bare CR or LF in a record");
}

/** The harness's side of the session: input, accepted recipients, and the outcomes actions get. */
interface Harness {
  session: SmtpSession;
  splitter: LineSplitter;
  recipients: number;
  helo: string;
  outcomes: boolean[];
  actions: number;
}

/** Answers an action as a driver would, checking what it carries; returns the session's answer. */
function answer(h: Harness, action: SmtpAction): Step {
  const ok = h.outcomes[h.actions++ % Math.max(1, h.outcomes.length)] ?? true;
  if (action.type === "starttls") {
    const step = h.session.tlsReady(ok);
    if (ok) h.splitter.take(); // RFC 3207 §4.2: input received before the handshake is discarded.
    return step;
  }
  if (action.type === "authenticate") {
    const right = action.name === "andrew" && action.password === "pw";
    const outcome: LoginOutcome = right && ok
      ? { ok: true, user: "Andrew" }
      : { ok: false, reason: action.name === "locked" ? "locked" : "invalid" };
    return h.session.authenticated(outcome);
  }
  const { delivery, log } = action;
  checkRecord(delivery.record);
  const helo = h.helo.replace(/[^\x21-\x7e]|[();]/g, "_").slice(0, 255);
  const trace = `Received: from ${helo} ([127.0.0.1]) by mx.test with `;
  assert.ok(latin1(concat(delivery.record)).includes(trace), `trace names the last accepted EHLO/HELO: ${helo}`);
  assert.equal(log.recipients.length, h.recipients, "delivered to the accepted recipients");
  assert.ok(delivery.users.length > 0 && delivery.users.every((u) => USERS.has(u)), "known users only");
  return h.session.complete(ok ? { ok: true } : { ok: false, error: "disk full" }, log);
}

/** Feeds buffered DATA octets; false when more input is needed. */
function dataTurn(h: Harness): boolean {
  const raw = h.splitter.take();
  if (raw.length === 0) return false;
  const taken = h.session.receiveData(raw);
  assert.ok(taken.used >= 0 && taken.used <= raw.length, "used is within the chunk");
  h.splitter.unshift(raw.subarray(taken.used));
  let step = taken.step;
  if (!step.action && step.replies.length === 0) {
    assert.equal(taken.used, raw.length, "a message still open takes every octet");
    return true;
  }
  if (step.action) {
    assert.equal(step.action.type, "deliver", "the end of DATA delivers");
    assert.equal(step.replies.length, 0, "a deliver action comes alone");
    step = answer(h, step.action);
  }
  assert.equal(step.replies.length, 1, "one reply ends the DATA");
  assert.ok([250, 451, 500, 550, 552].includes(step.replies[0].code), `end of DATA reply ${step.replies[0].code}`);
  checkReply(step.replies[0], "DATA end");
  assert.equal(h.session.state, "ready", "the end of DATA ends the transaction, whatever the outcome");
  assert.equal(step.close ?? false, false);
  h.recipients = 0;
  return true;
}

/** Feeds one command line; "more" when input is needed, "closed" when the session ended. */
function commandTurn(h: Harness): "go" | "more" | "closed" {
  const line = h.splitter.next(COMMAND_LINE);
  if (line === undefined) return "more";
  const before = h.session.state;
  const text = new TextDecoder().decode(line.bytes);
  const word = text.split(" ")[0].toUpperCase();
  const verb = line.tooLong || before === "auth" ? "" : word;
  let step = h.session.receive(line);
  if (step.action) {
    assert.equal(step.replies.length, 0, "an action comes alone");
    assert.notEqual(step.action.type, "deliver", "only the end of DATA delivers");
    step = answer(h, step.action);
  }
  const [first, ...more] = step.replies;
  assert.ok(first, "every command gets a reply");
  for (const r of step.replies) checkReply(r, verb);
  if (more.length > 0) {
    assert.deepEqual(more.map((r) => r.code), [421], "only 421 follows a reply");
    assert.ok(first.code >= 400 && step.close, "421 after an error, then close");
  }
  assert.equal(h.session.state, expectedState(before, verb, first.code), `state after ${JSON.stringify(word)}`);
  if (first.code === 354) assert.equal(verb, "DATA");
  if (first.code === 250 && verb === "RCPT") h.recipients++;
  if (first.code === 250 && ["EHLO", "HELO", "MAIL", "RSET"].includes(verb)) h.recipients = 0;
  if (first.code === 250 && (verb === "EHLO" || verb === "HELO")) h.helo = text.slice(text.indexOf(" ") + 1).trim();
  if (first.code === 221) assert.ok(verb === "QUIT" && step.close, "221 answers QUIT and closes");
  if (step.close) assert.ok(first.code === 221 || more.length === 1, "close only after QUIT or with 421");
  return step.close ? "closed" : "go";
}

/** Runs the session until the input ends or it closes, checking every step. */
function play(input: Uint8Array, sizes: readonly number[], options: SmtpSessionOptions, outcomes: boolean[]): void {
  const h: Harness = {
    session: new SmtpSession(options),
    splitter: new LineSplitter(),
    recipients: 0,
    helo: "",
    outcomes,
    actions: 0,
  };
  checkReply(h.session.greeting(), "greeting");
  for (const piece of chunk(input, sizes)) {
    h.splitter.push(piece);
    for (;;) {
      if (h.session.state === "data") {
        if (!dataTurn(h)) break;
        continue;
      }
      const turn = commandTurn(h);
      if (turn === "closed") return;
      if (turn === "more") break;
    }
  }
}

/** Session options for the fuzz: the transcript tests' (three users on localhost and mx.test), from loopback, with fresh ids. */
function sessionOptions(overrides: Partial<SmtpSessionOptions> = {}): SmtpSessionOptions {
  let id = 0;
  return testOptions({ loopback: true, newId: () => `FUZZ${++id}`, ...overrides });
}

const options = fc.record({
  maxErrors: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(100)),
  maxRecipients: fc.integer({ min: 1, max: 4 }),
  maxLine: fc.constantFrom(100, 1000, 1000),
  maxMessageSize: fc.constantFrom(300, 2000),
  maxFailedLogins: fc.constantFrom(undefined, 1, 3),
  tls: fc.constantFrom("none" as const, "available" as const, "active" as const),
  loopback: fc.boolean(),
  allowPlaintextLogin: fc.boolean(),
}).map(({ tls, loopback, allowPlaintextLogin, ...limits }) =>
  sessionOptions({ tls, loopback, allowPlaintextLogin, limits })
);

Deno.test("SmtpSession keeps its protocol rules on random and mutated command streams", () => {
  fc.assert(
    fc.property(smtpStream, chunkSizes, options, fc.array(fc.boolean(), { maxLength: 4 }), (input, sizes, o, ok) => {
      play(input, sizes, o, ok);
    }),
    fuzzParams(3000),
  );
});

Deno.test({
  name: "SmtpSession replies are textstrings even when they quote client input",
  fn() {
    for (const probe of ["EHLO \x01", "EHLO \xff", "MAIL FROM:<a@b.test> \x00", "MAIL FROM:<a@b.test> a\rb"]) {
      const session = new SmtpSession(sessionOptions());
      const splitter = new LineSplitter();
      splitter.push(concat([bytes("EHLO c\r\n"), Uint8Array.from(probe, (c) => c.charCodeAt(0)), bytes("\r\n")]));
      session.receive(splitter.next(COMMAND_LINE)!);
      const text = session.receive(splitter.next(COMMAND_LINE)!).replies.map(formatReply).join("");
      assert.ok(text.slice(0, -2).split("\r\n").every(isTextString), JSON.stringify(text));
    }
  },
});
