/**
 * Pop3Trace and pop3ClientLine: passwords and SASL responses masked, each
 * reply annotated for the command it answers, listings cut after ten
 * lines, a retrieved message shown by its first header lines and size,
 * and the states AUTHORIZATION, TRANSACTION and UPDATE recorded in order.
 */

import assert from "node:assert/strict";
import { LISTING_SHOWN, pop3ClientLine, Pop3Trace } from "../../lib/pop3/session_trace.ts";
import type { TraceRecord } from "../../lib/trace/record.ts";

const encoder = new TextEncoder();

Deno.test("pop3ClientLine masks PASS, AUTH payloads and SASL responses", () => {
  const cases: [string, boolean, string, RegExp][] = [
    ["PASS @dministr@tor", false, "PASS ****", /^RFC 1939 7 PASS: /],
    ["pass with spaces in it", false, "pass ****", /^RFC 1939 7 PASS: /],
    ["PASS", false, "PASS", /^RFC 1939 7 PASS: /],
    ["AUTH PLAIN AEFuZHJldwBAZG1pbmlzdHJAdG9y", false, "AUTH PLAIN ****", /^RFC 5034 4 AUTH: /],
    ["AUTH PLAIN", false, "AUTH PLAIN", /^RFC 5034 4 AUTH: /],
    ["AEFuZHJldwBAZG1pbmlzdHJAdG9y", true, "****", /^RFC 5034 4 SASL response: .*masked/],
    ["*", true, "*", /^RFC 5034 4 \*: /],
    ["USER Andrew", false, "USER Andrew", /^RFC 1939 7 USER: /],
  ];
  for (const [text, sasl, shown, note] of cases) {
    const traced = pop3ClientLine(text, sasl);
    assert.equal(traced.line, shown, text);
    assert.match(traced.note, note, text);
  }
});

/** A trace whose records are kept, with a fixed clock. */
function kept(): { trace: Pop3Trace; records: TraceRecord[]; shown(): string[] } {
  const records: TraceRecord[] = [];
  const trace = new Pop3Trace({ session: 2, emit: (r) => records.push(r), now: () => new Date(0) });
  return { trace, records, shown: () => records.map((r) => `${r.direction} ${r.line}`) };
}

Deno.test("Pop3Trace records a session from AUTHORIZATION through TRANSACTION to UPDATE", () => {
  const { trace, records, shown } = kept();
  trace.opened("127.0.0.1", false);
  trace.reply("+OK mx.test POP3 server ready");
  trace.state("authorization");
  trace.command("USER Andrew", false);
  trace.reply("+OK Send your password");
  trace.command("PASS @dministr@tor", false);
  trace.state("authorization");
  trace.reply("+OK Andrew's maildrop has 12 messages (3000 octets)");
  trace.state("transaction");
  trace.command("LIST", false);
  trace.reply("+OK 12 messages (3000 octets)");
  for (let i = 1; i <= 12; i++) trace.reply(`${i} 250`);
  trace.reply(".");
  trace.command("LIST 1", false);
  trace.reply("+OK 1 250");
  trace.command("RETR 1", false);
  trace.reply("+OK 250 octets");
  trace.content(encoder.encode("From: a@localhost\r\n\r\nsecret body\r\n"));
  trace.content(encoder.encode(".\r\n"));
  trace.contentEnd();
  trace.command("QUIT", false);
  trace.state("update");
  trace.reply("+OK mx.test POP3 server signing off (12 messages left)");
  trace.closed();
  const listing = Array.from({ length: LISTING_SHOWN }, (_, i) => `S ${i + 1} 250`);
  assert.deepEqual(shown(), [
    "- connection from 127.0.0.1",
    "S +OK mx.test POP3 server ready",
    "- state AUTHORIZATION",
    "C USER Andrew",
    "S +OK Send your password",
    "C PASS ****",
    "S +OK Andrew's maildrop has 12 messages (3000 octets)",
    "- state TRANSACTION",
    "C LIST",
    "S +OK 12 messages (3000 octets)",
    ...listing,
    "S [2 more lines]",
    "S .",
    "C LIST 1",
    "S +OK 1 250",
    "C RETR 1",
    "S +OK 250 octets",
    "S From: a@localhost",
    "S [message: 34 bytes; only its first header lines shown]",
    "S .",
    "C QUIT",
    "- state UPDATE",
    "S +OK mx.test POP3 server signing off (12 messages left)",
    "- connection closed",
  ]);
  const notes = new Map(records.map((r) => [r.line, r.note]));
  assert.equal(
    notes.get("state UPDATE"),
    "RFC 1939 6 UPDATE state: deletions are carried out now, then the session ends",
  );
  assert.equal(notes.get("+OK Send your password"), "RFC 1939 7 USER +OK: name taken: send PASS");
  assert.equal(notes.get("1 250"), "RFC 1939 5 LIST line: message number and size in octets");
  assert.equal(notes.get("+OK 1 250"), "RFC 1939 5 LIST +OK: the size, or a listing follows: number and size per line");
  assert.ok(!JSON.stringify(records).includes("secret") && !JSON.stringify(records).includes("@dministr@tor"));
});

Deno.test("Pop3Trace masks the response to a + challenge and annotates CAPA and AUTH listings", () => {
  const { trace, records, shown } = kept();
  trace.command("CAPA", false);
  trace.reply("+OK Capability list follows");
  trace.reply("SASL PLAIN");
  trace.reply("X-UNKNOWN");
  trace.reply(".");
  trace.command("AUTH", false);
  trace.reply("+OK Supported mechanisms follow");
  trace.reply("PLAIN");
  trace.reply(".");
  trace.command("AUTH PLAIN", false);
  trace.reply("+ ");
  trace.command("AEFuZHJldwBAZG1pbmlzdHJAdG9y", false);
  trace.reply("-ERR [AUTH] Invalid user name or password");
  trace.command("STLS", false);
  trace.reply("+OK Begin TLS negotiation");
  trace.tls(undefined);
  trace.command("x".repeat(300), true);
  trace.reply("-ERR Line too long");
  assert.deepEqual(shown(), [
    "C CAPA",
    "S +OK Capability list follows",
    "S SASL PLAIN",
    "S X-UNKNOWN",
    "S .",
    "C AUTH",
    "S +OK Supported mechanisms follow",
    "S PLAIN",
    "S .",
    "C AUTH PLAIN",
    "S + ",
    "C ****",
    "S -ERR [AUTH] Invalid user name or password",
    "C STLS",
    "S +OK Begin TLS negotiation",
    "- TLS started",
    "C [line over the limit]",
    "S -ERR Line too long",
  ]);
  const notes = records.map((r) => r.note);
  assert.equal(notes[2], "RFC 2449 6.3 SASL: AUTH may be used with these SASL mechanisms");
  assert.equal(notes[3], "RFC 2449 6 X-UNKNOWN: a capability this table does not know");
  assert.equal(notes[7], "RFC 5034 4 AUTH line: a SASL mechanism the server offers");
  assert.match(notes[12], /^RFC 5034 4 AUTH -ERR: .*; RFC 3206 5 \[AUTH\]: /);
  assert.equal(notes[14], "RFC 2595 4 STLS +OK: go ahead: the TLS handshake starts now");
  assert.equal(notes[15], "RFC 2595 4 TLS started: TLS is up; what came before is forgotten: CAPA again");
});
