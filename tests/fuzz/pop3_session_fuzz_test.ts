/**
 * Property-based fuzzing of `Pop3Session` (RFC 1939, 2449, 2595, 5034)
 * against a small model of its state (state, pending USER, AUTH exchange,
 * TLS, deleted messages), with random and mutated command streams in random
 * chunkings. The command parser and the SASL exchange are the model's
 * oracles for what a line means; the session's rules are what is checked.
 * Seed and replay: see `fuzz.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { LineSplitter } from "../../lib/net/line_splitter.ts";
import { parsePop3Command, type Pop3Command } from "../../lib/pop3/command.ts";
import type { Pop3Security } from "../../lib/pop3/login.ts";
import { multiline } from "../../lib/pop3/reply.ts";
import {
  type LoginResult,
  type MaildropListing,
  Pop3Session,
  type Pop3State,
  type Pop3Step,
} from "../../lib/pop3/session.ts";
import { SaslExchange, type SaslStep } from "../../lib/sasl.ts";
import { chunk, chunkSizes, fuzzParams } from "./fuzz.ts";
import { maildrop, pop3Stream, security } from "./pop3_streams.ts";

const COMMAND_LINE = 255;

/** What the model knows of the session, and the harness's input and action outcomes. */
interface Model {
  state: Pop3State;
  pending: string | undefined;
  exchange: SaslExchange | undefined;
  security: Pop3Security;
  deleted: Set<number>;
  maildrop: MaildropListing;
  splitter: LineSplitter;
  actionsOk: boolean;
}

/** How a reply starts: "+OK", "-ERR", or the "+ " of an AUTH continuation (RFC 5034 §4). */
type Kind = "ok" | "err" | "cont";

/** The fake user database: andrew/pw logs in, "locked" and "busy" are refused, "temp" fails, others are wrong. */
function login(user: string, password: string, maildrop: MaildropListing): LoginResult {
  if (user === "locked") return { ok: false, reason: "locked" };
  if (user === "busy") return { ok: false, reason: "in-use" };
  if (user === "temp") return { ok: false, reason: "temporary" };
  return user === "andrew" && password === "pw"
    ? { ok: true, user: "Andrew", maildrop }
    : { ok: false, reason: "auth" };
}

/** Checks that `lines` are exactly one reply (RFC 1939 §3) of the kind expected, multi-line when `multi`. */
function checkReply(lines: string[], kind: Kind, multi: boolean): void {
  const status = { ok: /^\+OK( |$)/, err: /^-ERR /, cont: /^\+ / }[kind];
  assert.match(lines[0] ?? "", status, `status line ${JSON.stringify(lines)}`);
  assert.ok(lines[0].length <= 510, "status line within 512 octets with CRLF");
  for (const line of lines) {
    assert.match(line, /^[\x20-\x7e]*$/, `printable ASCII only: ${JSON.stringify(line)}`);
  }
  if (!multi) return assert.equal(lines.length, 1, `one line: ${JSON.stringify(lines)}`);
  assert.equal(lines.at(-1), ".", "a multi-line reply ends with '.'");
  assert.ok(lines.slice(1, -1).every((l) => !l.startsWith(".") || l.startsWith("..")), "dot-stuffed");
}

/** The listing the model expects from LIST or UIDL: undeleted messages under their first numbers. */
function listing(m: Model, verb: "LIST" | "UIDL"): string[] {
  const { count, size, id } = m.maildrop;
  const lines = [];
  for (let i = 0; i < count; i++) if (!m.deleted.has(i)) lines.push(`${i + 1} ${verb === "LIST" ? size(i) : id(i)}`);
  return lines;
}

/** What the model expects of one reply: its kind, whether multi-line, and the credentials of a login. */
interface Expect {
  kind: Kind;
  multi?: boolean;
  creds?: [string, string];
}

/** One line's exchange with the session: the latest step and every reply line so far. */
interface Turn {
  session: Pop3Session;
  step: Pop3Step;
  lines: string[];
}

/** Records the session's answer to an action. */
function follow(t: Turn, next: Pop3Step): void {
  t.step = next;
  t.lines.push(...next.replies);
}

/** A SASL step as the model expects the session to answer it; keeps the exchange only while it waits. */
function sasl(m: Model, ex: SaslExchange, s: SaslStep): Expect {
  m.exchange = s.type === "challenge" ? ex : undefined;
  if (s.type === "challenge") return { kind: "cont" };
  return s.type === "credentials" ? { kind: "err", creds: [s.name, s.password] } : { kind: "err" };
}

/** True when passwords may be sent now (RFC 8314 §3, RFC 2595 §2). */
function plaintextAllowed(m: Model): boolean {
  return m.security.tls === "active" || m.security.loopback || m.security.allowPlaintextLogin;
}

/** The AUTHORIZATION state (RFC 1939 §4, RFC 5034, RFC 2595 §4). */
function authorization(m: Model, c: Pop3Command, t: Turn): Expect {
  if (["USER", "PASS", "AUTH"].includes(c.verb) && !plaintextAllowed(m)) return { kind: "err" };
  if (c.verb === "USER") {
    m.pending = c.name;
    return { kind: "ok" };
  }
  if (c.verb === "PASS") {
    const user = m.pending;
    m.pending = undefined;
    return user === undefined ? { kind: "err" } : { kind: "err", creds: [user, c.password] };
  }
  if (c.verb === "AUTH" && c.mechanism === undefined) return { kind: "ok", multi: true };
  if (c.verb === "AUTH" && c.mechanism === "PLAIN") {
    const ex = new SaslExchange("PLAIN");
    return sasl(m, ex, ex.start(c.initial));
  }
  if (c.verb !== "STLS" || m.security.tls !== "available") return { kind: "err" };
  assert.deepEqual(t.step.action, { type: "starttls" }, "STLS asks the driver");
  follow(t, t.session.tlsReady(m.actionsOk));
  if (!m.actionsOk) return { kind: "err" };
  // RFC 2595 §4: everything from before TLS is forgotten, unread input included.
  m.pending = undefined;
  m.security.tls = "active";
  m.splitter.take();
  return { kind: "ok" };
}

/** The TRANSACTION state (RFC 1939 §5); message numbers stay those of the listing at login. */
function transaction(m: Model, c: Pop3Command, t: Turn): Expect {
  const valid = (n: number) => n >= 1 && n <= m.maildrop.count && !m.deleted.has(n - 1);
  switch (c.verb) {
    case "STAT": {
      const left = listing(m, "LIST");
      const octets = left.reduce((n, l) => n + Number(l.split(" ")[1]), 0);
      assert.equal(t.lines[0], `+OK ${left.length} ${octets}`, "STAT counts the undeleted messages");
      return { kind: "ok" };
    }
    case "LIST":
    case "UIDL":
      if (c.msg !== undefined) return { kind: valid(c.msg) ? "ok" : "err" };
      assert.deepEqual(t.lines.slice(1, -1), listing(m, c.verb), `${c.verb} keeps message numbers`);
      return { kind: "ok", multi: true };
    case "RETR":
    case "TOP": {
      const bodyLines = c.verb === "TOP" ? c.lines : undefined;
      const action = valid(c.msg) ? { type: "retrieve", index: c.msg - 1, bodyLines } : undefined;
      assert.deepEqual(t.step.action, action, "RETR/TOP retrieve the message asked for");
      return { kind: action ? "ok" : "err" };
    }
    case "DELE":
      if (!valid(c.msg)) return { kind: "err" };
      m.deleted.add(c.msg - 1);
      return { kind: "ok" };
    case "RSET":
      m.deleted = new Set();
      return { kind: "ok" };
    case "NOOP":
      return { kind: "ok" };
  }
  return { kind: "err" };
}

/** QUIT (RFC 1939 §6): after login, the UPDATE state removes exactly the messages marked. */
function quit(m: Model, t: Turn): Expect {
  if (m.state === "authorization") return { kind: "ok" };
  const action = t.step.action;
  assert.equal(action?.type, "commit", "QUIT after login commits");
  if (action?.type !== "commit") return { kind: "err" };
  const ids = [...m.deleted].map((i) => m.maildrop.id(i)).sort();
  assert.deepEqual([...action.remove].sort(), ids, "QUIT removes exactly the messages marked");
  follow(t, t.session.committed({ ok: m.actionsOk }));
  m.state = "update";
  return { kind: m.actionsOk ? "ok" : "err" };
}

/** Sends one line; checks the reply, the actions and the new state against the model. True when closed. */
function step(session: Pop3Session, m: Model, text: string, tooLong: boolean): boolean {
  const parsed = tooLong ? undefined : parsePop3Command(text);
  const ex = m.exchange;
  const c = parsed === undefined || "error" in parsed || ex ? undefined : parsed;
  const before = session.state;
  const first = session.receive(text, tooLong);
  const t: Turn = { session, step: first, lines: [...first.replies] };
  let e: Expect;
  if (ex) e = sasl(m, ex, tooLong ? { type: "cancelled" } : ex.respond(text));
  else if (c === undefined) e = { kind: "err" };
  else if (c.verb === "CAPA") {
    e = { kind: "ok", multi: true };
    assert.equal(t.lines.includes("USER"), plaintextAllowed(m), "CAPA lists USER only where it may be used");
    const stls = m.state === "authorization" && m.security.tls === "available";
    assert.equal(t.lines.includes("STLS"), stls, "CAPA lists STLS only before login and TLS");
  } else if (c.verb === "QUIT") e = quit(m, t);
  else e = m.state === "authorization" ? authorization(m, c, t) : transaction(m, c, t);
  if (e.creds) {
    const [user, password] = e.creds;
    assert.deepEqual(t.step.action, { type: "login", user, password }, "a login for the credentials");
    const result = login(user, password, m.maildrop);
    follow(t, session.loggedIn(result));
    e = { kind: result.ok ? "ok" : "err" };
    if (result.ok) m.state = "transaction";
  } else if (t.step.action !== undefined && t.step.action.type !== "retrieve") {
    assert.fail(`unexpected ${t.step.action.type} action`);
  }
  checkReply(t.lines, e.kind, (e.multi ?? false) && e.kind === "ok");
  if (e.kind === "err" && c?.verb !== "QUIT") assert.equal(session.state, before, "-ERR changes no state");
  assert.equal(session.state, m.state, `state after ${JSON.stringify(text)}`);
  if (c?.verb === "QUIT") assert.ok(t.step.close, "QUIT closes");
  return t.step.close ?? false;
}

/** Plays a stream; after each command in the transaction state, STAT, LIST and UIDL check the model. */
function play(
  input: Uint8Array,
  sizes: readonly number[],
  maildrop: MaildropListing,
  security: Pop3Security,
  ok: boolean,
) {
  const session = new Pop3Session("pop.test", security);
  assert.match(session.greeting(), /^\+OK [\x20-\x7e]*$/);
  const splitter = new LineSplitter();
  const m: Model = {
    state: "authorization",
    pending: undefined,
    exchange: undefined,
    security: { ...security },
    deleted: new Set(),
    maildrop,
    splitter,
    actionsOk: ok,
  };
  for (const piece of chunk(input, sizes)) {
    splitter.push(piece);
    for (let line = splitter.next(COMMAND_LINE); line; line = splitter.next(COMMAND_LINE)) {
      if (step(session, m, new TextDecoder().decode(line.bytes), line.tooLong)) return;
      if (m.state !== "transaction") continue;
      for (const probe of ["STAT", "LIST", "UIDL"]) assert.equal(step(session, m, probe, false), false);
    }
  }
}

Deno.test("Pop3Session keeps its state rules on random and mutated command streams", () => {
  fc.assert(
    fc.property(pop3Stream, chunkSizes, maildrop, security, fc.boolean(), (input, sizes, drop, sec, ok) => {
      play(input, sizes, drop, sec, ok);
    }),
    fuzzParams(3000),
  );
});

Deno.test("multiline dot-stuffs every line and ends with a lone dot", () => {
  const line = fc.string({ unit: fc.constantFrom(".", "a", " ", "+"), maxLength: 6 });
  fc.assert(
    fc.property(fc.array(line, { maxLength: 10 }), (lines) => {
      const out = [...multiline("+OK", lines)];
      assert.equal(out[0], "+OK");
      assert.equal(out.at(-1), ".");
      const body = out.slice(1, -1);
      assert.ok(body.every((l) => l !== "."), "no early terminator");
      assert.deepEqual(body.map((l) => l.startsWith(".") ? l.slice(1) : l), lines);
    }),
    fuzzParams(1000),
  );
});

Deno.test({
  name: "Pop3Session replies are printable even when they quote client input",
  fn() {
    for (const verb of ["A\rB", "\x00", "\x1b[2J", "\udc00"]) {
      const [reply] = new Pop3Session("pop.test").receive(`${verb} x`).replies;
      assert.match(reply, /^-ERR [\x20-\x7e]*$/, JSON.stringify(reply));
    }
  },
});
