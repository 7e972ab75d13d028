/**
 * The client's trace followers as transcripts: the POP3 and SMTP clients
 * talk to an in-memory server through a `TracingTransport`, and the trace
 * must show each command just before its reply (also when sent in one
 * PIPELINING batch), secrets masked, and the states a server would have.
 */

import assert from "node:assert/strict";
import { Pop3Client } from "../../lib/client/pop3_client.ts";
import { Pop3WireTrace } from "../../lib/client/pop3_wire_trace.ts";
import { sendMail } from "../../lib/client/smtp_client.ts";
import { smtpStateAfter, SmtpWireTrace } from "../../lib/client/smtp_wire_trace.ts";
import { TracingTransport } from "../../lib/client/wire_trace.ts";
import type { WireTrace } from "../../lib/client/wire_follower.ts";
import type { TraceRecord } from "../../lib/trace/record.ts";
import type { SessionTraceOptions } from "../../lib/trace/sink.ts";
import { FakeTransport, type Turn } from "../helpers/fake_transport.ts";

/** A follower's session options that keep the records, and the records as `direction line`. */
function recording(): { options: SessionTraceOptions; lines: () => string[]; records: TraceRecord[] } {
  const records: TraceRecord[] = [];
  const options = { session: 1, emit: (r: TraceRecord) => records.push(r), now: () => new Date(0) };
  return { options, records, lines: () => records.map((r) => `${r.direction} ${r.line}`) };
}

function traced(turns: Turn[], wire: WireTrace): TracingTransport {
  wire.connected("127.0.0.1:110");
  return new TracingTransport(new FakeTransport(turns), wire);
}

Deno.test("Pop3WireTrace shows a pipelined USER, PASS, QUIT batch one command before each reply, PASS masked", async () => {
  const { options, lines, records } = recording();
  const transport = traced([
    { s: ["+OK ready"] },
    { c: "CAPA", s: ["+OK", "USER", "PIPELINING", "."] },
    { c: ["USER Andrew", "PASS s3cret", "QUIT"], s: ["+OK", "+OK logged in", "+OK bye"] },
  ], new Pop3WireTrace(options));
  const client = await Pop3Client.open(transport);
  assert.equal(await client.startTlsIfOffered(), false);
  assert.equal((await client.checkLogin("Andrew", "s3cret")).ok, true);
  assert.deepEqual(lines(), [
    "- connected to 127.0.0.1:110",
    "- state AUTHORIZATION",
    "S +OK ready",
    "C CAPA",
    "S +OK",
    "S USER",
    "S PIPELINING",
    "S .",
    "C USER Andrew",
    "S +OK",
    "C PASS ****",
    "S +OK logged in",
    "- state TRANSACTION",
    "C QUIT",
    "S +OK bye",
    "- state UPDATE",
    "- connection closed",
  ]);
  assert.ok(!JSON.stringify(records).includes("s3cret"));
  assert.equal(
    records[12].note,
    "RFC 1939 5 TRANSACTION state: the maildrop is locked: read, list, mark messages deleted",
  );
});

Deno.test("SmtpWireTrace masks AUTH, follows a 334 and the cancel back to the greeted state", async () => {
  const { options, lines, records } = recording();
  const transport = traced([
    { s: ["220 vm ESMTP ready"] },
    { c: "EHLO [127.0.0.1]", s: ["250-vm", "250 AUTH PLAIN"] },
    { c: "AUTH PLAIN AGFuZHJldwBzM2NyZXQ=", s: ["334 "] },
    { c: "*", s: ["501 5.7.0 Cancelled"] },
    { c: "QUIT", s: ["221 2.0.0 bye"] },
  ], new SmtpWireTrace(options));
  const mail = { from: "andrew@localhost", to: "stallings@localhost", subject: "s", body: ["b"] };
  const result = await sendMail(transport, mail, { credentials: { user: "andrew", password: "s3cret" } });
  assert.equal(result.ok, false);
  assert.deepEqual(lines(), [
    "- connected to 127.0.0.1:110",
    "S 220 vm ESMTP ready",
    "- state connected",
    "C EHLO [127.0.0.1]",
    "S 250-vm",
    "S 250 AUTH PLAIN",
    "- state greeted",
    "C AUTH PLAIN ****",
    "S 334 ",
    "- state auth",
    "C *",
    "S 501 5.7.0 Cancelled",
    "- state greeted",
    "C QUIT",
    "S 221 2.0.0 bye",
    "- connection closed",
  ]);
  assert.equal(records[10].note, 'RFC 4954 4 *: "*" cancels the AUTH exchange');
  assert.ok(!JSON.stringify(records).includes("AGFuZHJldwBzM2NyZXQ="));
});

Deno.test("smtpStateAfter follows RFC 5321's order of commands", () => {
  const cases: [Parameters<typeof smtpStateAfter>, string][] = [
    [["greet", undefined, 220, "greet"], "greet"],
    [["greet", "EHLO", 250, "greet"], "ready"],
    [["greet", "MAIL", 503, "greet"], "greet"],
    [["ready", "MAIL", 250, "greet"], "mail"],
    [["mail", "RCPT", 550, "greet"], "mail"],
    [["mail", "RCPT", 251, "greet"], "rcpt"],
    [["rcpt", "DATA", 354, "greet"], "data"],
    [["data", ".", 250, "greet"], "ready"],
    [["rcpt", "RSET", 250, "greet"], "ready"],
    [["greet", "RSET", 250, "greet"], "greet"],
    [["ready", "AUTH", 334, "greet"], "auth"],
    [["auth", "AUTH", 235, "ready"], "ready"],
    [["ready", "AUTH", 535, "greet"], "ready"],
  ];
  for (const [args, state] of cases) assert.equal(smtpStateAfter(...args), state, args.join(" "));
});
