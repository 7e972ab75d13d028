import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { concatBytes } from "../../lib/bytes.ts";
import { buildRecord, fallbackId, parseRecordHeader, uniqueIds } from "../../lib/mailbox/record.ts";
import { concat, TRACE_TIME, traceLine, wireLines } from "./helpers.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const TRACE = traceLine("1abc2def");

/** The record of `message` as text, with the trace shown as "<T>". */
function layout(message: string): string {
  return decoder.decode(concat(buildRecord(wireLines(message), "<T>")));
}

Deno.test("buildRecord places the trace line", async (t) => {
  const cases: { name: string; message: string; record: string }[] = [
    {
      name: "after Subject when From, To, Subject come first",
      message: "From: a@x\r\nTo: b@x\r\nSubject: hi\r\n\r\nbody\r\n",
      record: "From: a@x\r\nTo: b@x\r\nSubject: hi\r\n<T>\r\n\r\nbody\r\n.\r\n",
    },
    {
      name: "after Subject whatever the case of the names",
      message: "FROM: a@x\r\nto: b@x\r\nsUbJeCt: hi\r\nDate: now\r\n\r\nbody\r\n",
      record: "FROM: a@x\r\nto: b@x\r\nsUbJeCt: hi\r\n<T>\r\nDate: now\r\n\r\nbody\r\n.\r\n",
    },
    {
      name: "after the continuation lines of a folded Subject",
      message: "From: a@x\r\n (me)\r\nTo: b@x,\r\n\tc@x\r\nSubject: a\r\n long\r\n\tsubject\r\nX: y\r\n\r\nb\r\n",
      record:
        "From: a@x\r\n (me)\r\nTo: b@x,\r\n\tc@x\r\nSubject: a\r\n long\r\n\tsubject\r\n<T>\r\nX: y\r\n\r\nb\r\n.\r\n",
    },
    {
      name: "after Subject when the message has no body",
      message: "From: a@x\r\nTo: b@x\r\nSubject: hi\r\n",
      record: "From: a@x\r\nTo: b@x\r\nSubject: hi\r\n<T>\r\n.\r\n",
    },
    {
      name: "first when the fields come in another order",
      message: "To: b@x\r\nFrom: a@x\r\nSubject: hi\r\n\r\nbody\r\n",
      record: "<T>\r\nTo: b@x\r\nFrom: a@x\r\nSubject: hi\r\n\r\nbody\r\n.\r\n",
    },
    {
      name: "first when another field comes first",
      message: "Date: now\r\nFrom: a@x\r\nTo: b@x\r\nSubject: hi\r\n\r\nbody\r\n",
      record: "<T>\r\nDate: now\r\nFrom: a@x\r\nTo: b@x\r\nSubject: hi\r\n\r\nbody\r\n.\r\n",
    },
    {
      name: "first when Subject is missing",
      message: "From: a@x\r\nTo: b@x\r\n\r\nSubject: not a header\r\n",
      record: "<T>\r\nFrom: a@x\r\nTo: b@x\r\n\r\nSubject: not a header\r\n.\r\n",
    },
    {
      name: "first when a name only begins like From",
      message: "From x\r\nFromage: a\r\nTo: b\r\nSubject: c\r\n",
      record: "<T>\r\nFrom x\r\nFromage: a\r\nTo: b\r\nSubject: c\r\n.\r\n",
    },
    { name: "alone in an empty message", message: "", record: "<T>\r\n.\r\n" },
    {
      name: "first, and followed by a field of ours, when the message begins with a folded line",
      message: " id FORGED; Tue, 1 Jan 2030 00:00:00 +0000\r\nSubject: x\r\n\r\nb\r\n",
      record: "<T>\r\nX-Stray-Continuation: the message began with the folded line that follows\r\n" +
        " id FORGED; Tue, 1 Jan 2030 00:00:00 +0000\r\nSubject: x\r\n\r\nb\r\n.\r\n",
    },
    {
      name: "first, and followed by a field of ours, when the message begins with a tab",
      message: "\t;\r\n\r\nb\r\n",
      record:
        "<T>\r\nX-Stray-Continuation: the message began with the folded line that follows\r\n\t;\r\n\r\nb\r\n.\r\n",
    },
    {
      name: "first when the From, To, Subject block is over 16 KiB",
      message: `From: a@x\r\nTo: b@x\r\nSubject: a\r\n${" x\r\n".repeat(5000)}\r\nb\r\n`,
      record: `<T>\r\nFrom: a@x\r\nTo: b@x\r\nSubject: a\r\n${" x\r\n".repeat(5000)}\r\nb\r\n.\r\n`,
    },
    {
      name: "without touching stuffed lines",
      message: "Subject: x\r\n\r\n.\r\n..\r\n",
      record: "<T>\r\nSubject: x\r\n\r\n..\r\n...\r\n.\r\n",
    },
  ];
  for (const { name, message, record } of cases) {
    await t.step(name, () => assert.equal(layout(message), record));
  }
});

Deno.test("buildRecord reuses the line arrays and appends a terminator", () => {
  const lines = wireLines("From: a\r\nTo: b\r\nSubject: c\r\n\r\nx\r\n");
  const record = buildRecord(lines, TRACE);
  assert.equal(record.length, lines.length + 2);
  assert.equal(record[0], lines[0]);
  assert.equal(record[2], lines[2]);
  assert.equal(record[4], lines[3]);
  assert.equal(decoder.decode(record[3]), `${TRACE}\r\n`);
  assert.deepEqual(record.at(-1), encoder.encode(".\r\n"));
});

Deno.test("buildRecord throws on a trace line with CR or LF", () => {
  assert.throws(() => buildRecord([], "Received: a\r\nX: b"), TypeError);
  assert.throws(() => buildRecord([], "Received: a\n"), TypeError);
});

Deno.test("parseRecordHeader reads the fields and our trace line", async (t) => {
  const cases: {
    name: string;
    header: string | Uint8Array;
    want: Partial<ReturnType<typeof parseRecordHeader>>;
  }[] = [
    {
      name: "the assignment layout",
      header: `From: alice@localhost\r\nTo: Andrew@localhost\r\nSubject: Hello there\r\n${TRACE}\r\n`,
      want: {
        from: "alice@localhost",
        to: "Andrew@localhost",
        subject: "Hello there",
        id: "1abc2def",
        received: TRACE_TIME,
      },
    },
    {
      name: "folded values, unfolded and trimmed",
      header: "Subject:  a\r\n long\r\n\tone \r\nTo: x,\r\n y\r\n",
      want: { subject: "a long\tone", to: "x, y" },
    },
    {
      name: "only the trace line itself, not sender lines that continue it",
      header: `${TRACE}\r\n id FORGEDID123; Tue, 1 Jan 2030 00:00:00 +0000\r\n`,
      want: { id: "1abc2def", received: TRACE_TIME },
    },
    {
      name: "no id from a trace field folded over lines (we write one line)",
      header: "Received: from h (1.2.3.4)\r\n by mail.test with ESMTP id Q7;\r\n Fri, 27 Nov 2026 09:45:57 +0000\r\n",
      want: { id: undefined, received: new Date(0) },
    },
    {
      name: "the first of several trace lines",
      header: `${TRACE}\r\nReceived: from a by b with SMTP id other; Mon, 1 Jan 2024 00:00:00 +0000\r\n`,
      want: { id: "1abc2def", received: TRACE_TIME },
    },
    {
      name: "the id just before the semicolon, not a HELO called id",
      header: "Received: from id (id 1.2.3.4) by h with ESMTP id REAL; Fri, 27 Nov 2026 09:45:57 +0000\r\n",
      want: { id: "REAL" },
    },
    {
      name: "nothing after the empty line",
      header: "Subject: a\r\n\r\nSubject: b\r\nFrom: c\r\n",
      want: { subject: "a", from: "" },
    },
    {
      name: "the first of repeated fields",
      header: "From: one\r\nFrom: two\r\n",
      want: { from: "one" },
    },
    {
      name: "bad UTF-8 as U+FFFD, encoded words as they are",
      header: concat([encoder.encode("Subject: caf\xe9 "), Uint8Array.of(0xff), encoder.encode(" =?utf-8?q?x?=\r\n")]),
      want: { subject: "café \ufffd =?utf-8?q?x?=" },
    },
    {
      name: "no trace line as no id and time 0",
      header: "From: a\r\n",
      want: { from: "a", to: "", subject: "", id: undefined, received: new Date(0) },
    },
    {
      name: "a trace line without id",
      header: "Received: by h; Fri, 27 Nov 2026 09:45:57 +0000\r\n",
      want: { id: undefined, received: TRACE_TIME },
    },
    {
      name: "a trace line with a bad date as time 0",
      header: "Received: from h by h with ESMTP id X1; yesterday\r\n",
      want: { id: "X1", received: new Date(0) },
    },
    {
      name: "an id longer than UIDL allows as no id",
      header: `Received: by h with ESMTP id ${"x".repeat(71)}; ${"Fri, 27 Nov 2026 09:45:57 +0000"}\r\n`,
      want: { id: undefined },
    },
  ];
  for (const { name, header, want } of cases) {
    await t.step(name, () => {
      const bytes = typeof header === "string" ? encoder.encode(header) : header;
      const got = parseRecordHeader(bytes);
      for (const [key, value] of Object.entries(want)) {
        assert.deepEqual(got[key as keyof typeof got], value, key);
      }
    });
  }
});

Deno.test("fallbackId hashes the bytes whatever the chunking", async () => {
  const bytes = encoder.encode("Subject: x\r\n\r\nbody\r\n.\r\n");
  const want = createHash("sha256").update(bytes).digest("hex").slice(0, 32);
  assert.equal(await fallbackId([bytes]), want);
  assert.equal(await fallbackId([bytes.subarray(0, 5), bytes.subarray(5)]), want);
  assert.match(want, /^[0-9a-f]{32}$/);
});

Deno.test("uniqueIds numbers repeated ids in order and keeps unique ones", () => {
  assert.deepEqual(uniqueIds(["a", "b", "a", "a", "a.2"]), ["a", "b", "a.2", "a.3", "a.2.2"]);
  assert.deepEqual(uniqueIds([]), []);
  const long = "x".repeat(70);
  const [, second] = uniqueIds([long, long]);
  assert.ok(second.length <= 70 && second !== long, second);
});

Deno.test("concatBytes joins chunks into a new array", () => {
  const parts = [encoder.encode("ab"), new Uint8Array(), encoder.encode("c")];
  assert.deepEqual(concatBytes(parts), encoder.encode("abc"));
  assert.deepEqual(concatBytes([]), new Uint8Array());
});
