/**
 * The SMTP and POP3 clients' STARTTLS, STLS and AUTH PLAIN as transcripts
 * against an in-memory server: TLS whenever offered, EHLO again under TLS,
 * AUTH only when offered, and refusals.
 */

import assert from "node:assert/strict";
import { ClientError } from "../../lib/client/connection.ts";
import { Pop3Client } from "../../lib/client/pop3_client.ts";
import { sendMail, type SendOptions } from "../../lib/client/smtp_client.ts";
import { FakeTransport, type Turn } from "../helpers/fake_transport.ts";

const MAIL = { from: "stallings@localhost", to: "andrew@localhost", subject: "s", body: ["hi"] };
const OPTIONS: SendOptions = {
  now: new Date(Date.UTC(2026, 10, 27, 9, 45, 57)),
  utcOffsetMinutes: 0,
  messageId: "<id.1@localhost>",
  credentials: { user: "Stallings", password: "network$security" },
};
const DATA = [
  "From: stallings@localhost",
  "To: andrew@localhost",
  "Subject: s",
  "Date: Fri, 27 Nov 2026 09:45:57 +0000",
  "Message-ID: <id.1@localhost>",
  "",
  "hi",
  ".",
];
const GREETING: Turn = { s: ["220 vm ESMTP ready"] };
const AUTH = `AUTH PLAIN ${btoa("\0Stallings\0network$security")}`;
const TRANSACTION: Turn[] = [
  { c: "MAIL FROM:<stallings@localhost>", s: ["250 2.1.0 Sender OK"] },
  { c: "RCPT TO:<andrew@localhost>", s: ["250 2.1.5 Recipient OK"] },
  { c: "DATA", s: ["354 go on"] },
  { c: DATA, s: ["250 2.0.0 OK queued as x1"] },
  { c: "QUIT", s: ["221 bye"] },
];

Deno.test("sendMail starts TLS when offered, says EHLO again, then authenticates", async () => {
  const server = new FakeTransport([
    GREETING,
    { c: "EHLO [127.0.0.1]", s: ["250-vm", "250-STARTTLS", "250 HELP"] },
    { c: "STARTTLS", s: ["220 2.0.0 Ready to start TLS"] },
    { c: "EHLO [127.0.0.1]", s: ["250-vm", "250-AUTH PLAIN LOGIN", "250 HELP"] },
    { c: AUTH, s: ["235 2.7.0 Authentication succeeded"] },
    ...TRANSACTION,
  ]);
  const result = await sendMail(server, MAIL, OPTIONS);
  assert.equal(result.ok, true);
  assert.equal(server.tlsStartedAfter, 3, "TLS right after the go-ahead");
  assert.ok(server.finished);
});

Deno.test("sendMail stays in plaintext and skips AUTH when neither is offered", async () => {
  const server = new FakeTransport([GREETING, { c: "EHLO [127.0.0.1]", s: ["250 vm"] }, ...TRANSACTION]);
  assert.equal((await sendMail(server, MAIL, OPTIONS)).ok, true);
  assert.equal(server.tlsStartedAfter, undefined);
  assert.ok(server.finished);
});

Deno.test("sendMail reports a refused AUTH as the server's reply", async () => {
  const server = new FakeTransport([
    GREETING,
    { c: "EHLO [127.0.0.1]", s: ["250-vm", "250 AUTH LOGIN PLAIN"] },
    { c: AUTH, s: ["535 5.7.8 Authentication credentials invalid"] },
    { c: "QUIT", s: ["221 bye"] },
  ]);
  assert.deepEqual(await sendMail(server, MAIL, OPTIONS), {
    ok: false,
    reply: { code: 535, lines: ["535 5.7.8 Authentication credentials invalid"] },
  });
});

Deno.test("sendMail fails with a ClientError when the server refuses the STARTTLS it offered", async () => {
  const server = new FakeTransport([
    GREETING,
    { c: "EHLO [127.0.0.1]", s: ["250-vm", "250 STARTTLS"] },
    { c: "STARTTLS", s: ["454 4.7.0 TLS not available due to temporary reason"] },
  ]);
  await assert.rejects(
    sendMail(server, MAIL, OPTIONS),
    (e) => e instanceof ClientError && /refused STARTTLS: 454 4\.7\.0/.test(e.message),
  );
  assert.ok(server.closed);
});

const CAPA_STLS = ["+OK Capability list follows", "TOP", "UIDL", "STLS", "."];

Deno.test("Pop3Client.startTlsIfOffered uses STLS when CAPA lists it", async () => {
  const server = new FakeTransport([
    { s: ["+OK ready"] },
    { c: "CAPA", s: CAPA_STLS },
    { c: "STLS", s: ["+OK Begin TLS negotiation"] },
    { c: "CAPA", s: CAPA_STLS.filter((line) => line !== "STLS") },
    { c: "USER Andrew", s: ["+OK"] },
    { c: "PASS x", s: ["-ERR [AUTH] Invalid user name or password"] },
  ]);
  const client = await Pop3Client.open(server);
  assert.equal(await client.startTlsIfOffered(), true);
  assert.equal(server.tlsStartedAfter, 3);
  assert.equal((await client.login("Andrew", "x")).ok, false);
});

Deno.test("Pop3Client.startTlsIfOffered leaves the session as it is without STLS or CAPA", async (t) => {
  await t.step("CAPA without STLS", async () => {
    const server = new FakeTransport([{ s: ["+OK"] }, { c: "CAPA", s: ["+OK", "USER", "."] }]);
    assert.equal(await (await Pop3Client.open(server)).startTlsIfOffered(), false);
    assert.ok(server.finished);
  });
  await t.step("no CAPA at all", async () => {
    const server = new FakeTransport([{ s: ["+OK"] }, { c: "CAPA", s: ["-ERR Unknown command CAPA"] }]);
    assert.equal(await (await Pop3Client.open(server)).startTlsIfOffered(), false);
    assert.ok(server.finished);
  });
  await t.step("STLS refused", async () => {
    const server = new FakeTransport([{ s: ["+OK"] }, { c: "CAPA", s: CAPA_STLS }, {
      c: "STLS",
      s: ["-ERR [SYS/TEMP] TLS not available now, try again later"],
    }]);
    await assert.rejects(
      (await Pop3Client.open(server)).startTlsIfOffered(),
      (e) => e instanceof ClientError && /refused STLS: -ERR \[SYS\/TEMP\]/.test(e.message),
    );
  });
});
