/**
 * The SMTP client as transcripts against an in-memory server: the whole
 * exchange, the MAIL parameters chosen from the EHLO reply, HELO fallback,
 * and refusals at each step.
 */

import assert from "node:assert/strict";
import { ClientError } from "../../lib/client/connection.ts";
import type { TypedMail } from "../../lib/client/mail_format.ts";
import { sendMail, type SendOptions } from "../../lib/client/smtp_client.ts";
import { FakeTransport, type Turn } from "../helpers/fake_transport.ts";

const OPTIONS: SendOptions = {
  now: new Date(Date.UTC(2026, 10, 27, 9, 45, 57)),
  utcOffsetMinutes: 0,
  messageId: "<id.1@localhost>",
};

const EXAMPLE: TypedMail = {
  from: "stallings@localhost",
  to: "andrew@localhost",
  subject: "Network Lab Experiment 7",
  body: ["You have learned SMTP very well. Keep It Up!!!", ".starts with a dot"],
};

const HEADER = [
  "From: stallings@localhost",
  "To: andrew@localhost",
  "Subject: Network Lab Experiment 7",
  "Date: Fri, 27 Nov 2026 09:45:57 +0000",
  "Message-ID: <id.1@localhost>",
];

const EHLO_ALL = ["250-vm greets [127.0.0.1]", "250-PIPELINING", "250-8BITMIME", "250-SIZE 10485760", "250 SMTPUTF8"];

const QUIT: Turn = { c: "QUIT", s: ["221 2.0.0 bye"] };

Deno.test("sendMail sends the example mail dot-stuffed, with SIZE as announced", async () => {
  const data = [...HEADER, "", "You have learned SMTP very well. Keep It Up!!!", "..starts with a dot", "."];
  const size = data.join("\r\n").length + 2;
  const server = new FakeTransport([
    { s: ["220 vm ESMTP ready"] },
    { c: "EHLO [127.0.0.1]", s: EHLO_ALL },
    { c: `MAIL FROM:<stallings@localhost> SIZE=${size}`, s: ["250 2.1.0 Sender OK"] },
    { c: "RCPT TO:<andrew@localhost>", s: ["250 2.1.5 Recipient OK"] },
    { c: "DATA", s: ["354 End data with <CR><LF>.<CR><LF>"] },
    { c: data, s: ["250 2.0.0 OK queued as x1"] },
    QUIT,
  ]);
  const result = await sendMail(server, EXAMPLE, OPTIONS);
  assert.deepEqual(result, { ok: true, reply: { code: 250, lines: ["250 2.0.0 OK queued as x1"] } });
  assert.ok(server.finished);
  assert.ok(server.closed);
});

Deno.test("sendMail asks for SMTPUTF8 and BODY=8BITMIME only when the mail needs them and the server has them", async () => {
  const mail = { ...EXAMPLE, subject: "Grüße", body: ["é"] };
  const server = new FakeTransport([
    { s: ["220 ready"] },
    { c: "EHLO [127.0.0.1]", s: ["250-x", "250-8BITMIME", "250 SMTPUTF8"] },
    { c: "MAIL FROM:<stallings@localhost> BODY=8BITMIME SMTPUTF8", s: ["250 ok"] },
    { c: "RCPT TO:<andrew@localhost>", s: ["251 will forward"] },
    { c: "DATA", s: ["354 go"] },
    {
      c: [
        ...HEADER.slice(0, 2),
        "Subject: Grüße",
        ...HEADER.slice(3),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "é",
        ".",
      ],
      s: ["250 ok"],
    },
    QUIT,
  ]);
  assert.equal((await sendMail(server, mail, OPTIONS)).ok, true);
  assert.ok(server.finished);
});

Deno.test("sendMail falls back to HELO and 7-bit encodings when EHLO is refused", async () => {
  const mail = { ...EXAMPLE, subject: "café", body: ["é"] };
  const server = new FakeTransport([
    { s: ["220 old server"] },
    { c: "EHLO [127.0.0.1]", s: ["502 5.5.1 Command not implemented"] },
    { c: "HELO [127.0.0.1]", s: ["250 old server"] },
    { c: "MAIL FROM:<stallings@localhost>", s: ["250 ok"] },
    { c: "RCPT TO:<andrew@localhost>", s: ["250 ok"] },
    { c: "DATA", s: ["354 go"] },
    {
      c: [
        ...HEADER.slice(0, 2),
        "Subject: =?UTF-8?B?Y2Fmw6k=?=",
        ...HEADER.slice(3),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "=C3=A9",
        ".",
      ],
      s: ["250 ok"],
    },
    QUIT,
  ]);
  assert.equal((await sendMail(server, mail, OPTIONS)).ok, true);
  assert.ok(server.finished);
});

const GREETING: Turn = { s: ["220 ready"] };
const EHLO: Turn = { c: "EHLO [127.0.0.1]", s: ["250 x"] };
const MAIL: Turn = { c: "MAIL FROM:<stallings@localhost>", s: ["250 ok"] };
const RCPT: Turn = { c: "RCPT TO:<andrew@localhost>", s: ["250 ok"] };

Deno.test("sendMail returns the reply that refused the mail, and quits", async (t) => {
  const refusals: { step: string; turns: Turn[]; last: string[] }[] = [
    { step: "greeting", turns: [{ s: ["554 go away"] }], last: ["554 go away"] },
    { step: "HELO", turns: [GREETING, { c: "EHLO [127.0.0.1]", s: ["421 busy"] }], last: ["421 busy"] },
    {
      step: "MAIL",
      turns: [GREETING, EHLO, { c: MAIL.c, s: ["553 5.1.7 bad sender"] }],
      last: ["553 5.1.7 bad sender"],
    },
    {
      step: "RCPT",
      turns: [GREETING, EHLO, MAIL, { c: RCPT.c, s: ["550-5.1.1 No such user", "550 5.1.1 here"] }],
      last: ["550-5.1.1 No such user", "550 5.1.1 here"],
    },
    { step: "DATA", turns: [GREETING, EHLO, MAIL, RCPT, { c: "DATA", s: ["554 no"] }], last: ["554 no"] },
  ];
  for (const r of refusals) {
    await t.step(r.step, async () => {
      const server = new FakeTransport([...r.turns, QUIT]);
      const result = await sendMail(server, { ...EXAMPLE, body: [] }, OPTIONS);
      assert.deepEqual(result, { ok: false, reply: { code: Number(r.last[0].slice(0, 3)), lines: r.last } });
      assert.ok(server.finished);
      assert.ok(server.closed);
    });
  }
});

Deno.test("sendMail reports a refused message after DATA", async () => {
  const data = [...HEADER, "", "."];
  const server = new FakeTransport([
    GREETING,
    EHLO,
    MAIL,
    RCPT,
    { c: "DATA", s: ["354 go"] },
    { c: data, s: ["552 5.3.4 too big"] },
    QUIT,
  ]);
  const result = await sendMail(server, { ...EXAMPLE, body: [] }, OPTIONS);
  assert.deepEqual(result, { ok: false, reply: { code: 552, lines: ["552 5.3.4 too big"] } });
});

Deno.test("sendMail throws ClientError for a server that hangs up or speaks another protocol", async () => {
  await assert.rejects(sendMail(new FakeTransport([GREETING]), EXAMPLE, OPTIONS), ClientError);
  await assert.rejects(sendMail(new FakeTransport([{ s: ["+OK POP3"] }]), EXAMPLE, OPTIONS), /bad reply: \+OK POP3/);
});
