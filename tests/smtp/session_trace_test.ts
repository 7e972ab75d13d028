/**
 * SmtpTrace and its line functions: secrets masked, replies annotated line
 * by line, the message shown by its first header lines and size, state
 * changes and TLS recorded, and a bug in tracing never reaching the session.
 */

import assert from "node:assert/strict";
import type { Line } from "../../lib/net/line_splitter.ts";
import { smtpClientLine, smtpReplyLines, SmtpTrace } from "../../lib/smtp/session_trace.ts";
import type { TraceRecord } from "../../lib/trace/record.ts";

const encoder = new TextEncoder();

function line(text: string, tooLong = false): Line {
  const bytes = encoder.encode(text);
  return { bytes, raw: bytes, crlf: true, tooLong };
}

Deno.test("smtpClientLine masks AUTH payloads and every line answering a 334", () => {
  const cases: [string, "ready" | "auth", string, RegExp][] = [
    ["AUTH PLAIN AFN0YWxsaW5ncwBuZXR3b3JrJHNlY3VyaXR5", "ready", "AUTH PLAIN ****", /^RFC 4954 4 AUTH: /],
    ["auth login U3RhbGxpbmdz", "ready", "auth login ****", /^RFC 4954 4 AUTH: /],
    ["AUTH LOGIN", "ready", "AUTH LOGIN", /^RFC 4954 4 AUTH: /],
    ["U3RhbGxpbmdz", "auth", "****", /^RFC 4954 4 SASL response: .*masked/],
    ["*", "auth", "*", /^RFC 4954 4 \*: "\*" cancels the AUTH exchange$/],
    ["MAIL FROM:<a@localhost> AUTH=<>", "ready", "MAIL FROM:<a@localhost> AUTH=<>", /^RFC 5321 4\.1\.1\.2 MAIL: /],
    ["QUIT", "ready", "QUIT", /^RFC 5321 4\.1\.1\.10 QUIT: /],
  ];
  for (const [text, state, shown, note] of cases) {
    const traced = smtpClientLine(text, state);
    assert.equal(traced.line, shown, text);
    assert.match(traced.note, note, text);
  }
});

Deno.test("smtpReplyLines annotates each line: code and status, EHLO keywords, a decoded 334 challenge", () => {
  const ehlo = smtpReplyLines("250-mx.test greets c\r\n250-PIPELINING\r\n250-X-NEW\r\n250 HELP\r\n", "EHLO");
  assert.deepEqual(ehlo.map((l) => l.line), ["250-mx.test greets c", "250-PIPELINING", "250-X-NEW", "250 HELP"]);
  assert.match(ehlo[0].note, /^RFC 5321 4\.2\.3 250: /);
  assert.match(ehlo[1].note, /^RFC 2920 PIPELINING: /);
  assert.equal(ehlo[2].note, "RFC 5321 4.1.1.1 250: an extension this table does not know");
  assert.match(ehlo[3].note, /^RFC 5321 4\.1\.1\.8 HELP: /);
  const help = smtpReplyLines("214-2.0.0 Commands: EHLO\r\n214 2.0.0 End of HELP\r\n", "HELP");
  assert.equal(help[1].note, "RFC 5321 4.2.1 214: another line of the same reply");
  const [login] = smtpReplyLines("334 VXNlcm5hbWU6\r\n", "AUTH");
  assert.equal(login.note, 'RFC 4954 4 334: SASL challenge: send the next response (it reads "Username:")');
  const [plain] = smtpReplyLines("334 \r\n", "AUTH");
  assert.equal(plain.note, "RFC 4954 4 334: SASL challenge: send the next response");
  const [refused] = smtpReplyLines("550 5.1.1 No such user here\r\n", "RCPT");
  assert.match(refused.note, /; RFC 3463 5\.1\.1: bad destination mailbox address$/);
  const [greeting] = smtpReplyLines("220 mx.test ESMTP smtpmail ready\r\n");
  assert.equal(greeting.note, "RFC 5321 4.2.3 220: service ready");
});

/** A trace whose records are kept, with a fixed clock. */
function kept(): { trace: SmtpTrace; records: TraceRecord[]; shown(): string[] } {
  const records: TraceRecord[] = [];
  const trace = new SmtpTrace({ session: 3, emit: (r) => records.push(r), now: () => new Date(0) });
  return { trace, records, shown: () => records.map((r) => `${r.direction} ${r.line}`) };
}

Deno.test("SmtpTrace records a session: commands, replies, states, the message in brief, the close", () => {
  const { trace, records, shown } = kept();
  trace.opened("127.0.0.1", false);
  trace.reply("220 mx.test ESMTP smtpmail ready\r\n");
  trace.state("greet");
  trace.command(line("EHLO c"), "greet");
  trace.reply("250-mx.test greets c\r\n250 HELP\r\n");
  trace.state("ready");
  trace.command(line("DATA"), "rcpt");
  trace.reply("354 End data with <CR><LF>.<CR><LF>\r\n");
  trace.state("data");
  trace.state("data");
  trace.data(encoder.encode("Subject: hi\r\n\r\nsecret "), false);
  trace.data(encoder.encode("body\r\n.\r\n"), true);
  trace.state("ready");
  trace.reply("250 2.0.0 OK queued as ID1\r\n");
  trace.command(line("x".repeat(600), true), "ready");
  trace.closed();
  assert.deepEqual(shown(), [
    "- connection from 127.0.0.1",
    "S 220 mx.test ESMTP smtpmail ready",
    "- state connected",
    "C EHLO c",
    "S 250-mx.test greets c",
    "S 250 HELP",
    "- state greeted",
    "C DATA",
    "S 354 End data with <CR><LF>.<CR><LF>",
    "- state data",
    "C Subject: hi",
    "C [message: 28 bytes; only its first header lines shown]",
    "C .",
    "- state greeted",
    "S 250 2.0.0 OK queued as ID1",
    "C [line over the limit]",
    "- connection closed",
  ]);
  assert.ok(records.every((r) => r.protocol === "smtp" && r.session === 3 && r.time.getTime() === 0));
  assert.equal(
    records[14].note.split(";")[0],
    "RFC 5321 4.1.1.4 250: the message is accepted: the server is now responsible for it",
  );
  assert.ok(!JSON.stringify(records).includes("secret"));
});

Deno.test("SmtpTrace records TLS, and a message cut short by the connection's end", () => {
  const { trace, shown } = kept();
  trace.opened("127.0.0.1", true);
  trace.command(line("STARTTLS"), "ready");
  trace.reply("220 2.0.0 Ready to start TLS\r\n");
  trace.tls(undefined);
  trace.tls("bad certificate");
  trace.data(encoder.encode("From: a@b\r\nTo: c@d\r\n"), false);
  trace.closed();
  assert.deepEqual(shown(), [
    "- connection from 127.0.0.1",
    "- TLS (implicit)",
    "C STARTTLS",
    "S 220 2.0.0 Ready to start TLS",
    "- TLS started",
    "- TLS handshake failed: bad certificate",
    "C From: a@b",
    "C To: c@d",
    "C [message: 20 bytes; only its first header lines shown]",
    "- message cut short",
    "- connection closed",
  ]);
});

Deno.test("SmtpTrace turns its own failure into a trace line, never an exception", () => {
  const records: TraceRecord[] = [];
  let calls = 0;
  const trace = new SmtpTrace({
    session: 1,
    emit: (r) => records.push(r),
    now: () => {
      if (calls++ === 0) throw new Error("clock broke");
      return new Date(0);
    },
  });
  trace.reply("250 OK\r\n");
  assert.deepEqual(records.map((r) => [r.line, r.note]), [["trace error", "clock broke"]]);
});
