/**
 * The Manage Mail list: fields read from a header (TOP n 0), the received
 * time from the first Received field or else Date, and the aligned lines.
 */

import assert from "node:assert/strict";
import { formatListing, formatPage, summarize } from "../../lib/client/listing.ts";
import { formatReceived, parseMailDate, receivedDate } from "../../lib/client/mail_date.ts";

const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("summarize takes the sender's address, the decoded subject and the first Received date", async () => {
  const header = encode(
    "From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.org>\r\n" +
      "To: andrew@localhost\r\n" +
      "Subject: =?ISO-8859-1?Q?caf=E9?= =?UTF-8?B?IOKCrA==?=\r\n" +
      "Received: from b (b) by c with ESMTP id 2; Fri, 27 Nov 2026 09:45:57 +0000\r\n" +
      "Received: from a (a) by b with ESMTP id 1;\r\n\tThu, 26 Nov 2026 08:00:00 +0000\r\n" +
      "Date: Wed, 25 Nov 2026 07:00:00 +0000\r\n\r\n",
  );
  assert.deepEqual(await summarize(header), {
    sender: "juergen@example.org",
    received: new Date(Date.UTC(2026, 10, 27, 9, 45, 57)),
    subject: "café €",
  });
});

Deno.test("summarize falls back to Date, and copes with missing fields", async () => {
  const dated = await summarize(encode("From: a@b\r\nDate: Wed, 25 Nov 2026 07:00:00 -0500\r\n\r\n"));
  assert.deepEqual(dated.received, new Date(Date.UTC(2026, 10, 25, 12, 0, 0)));
  assert.deepEqual(await summarize(encode("X-Other: 1\r\n\r\n")), { sender: "", received: undefined, subject: "" });
  const group = await summarize(encode("From: Team: one@x, two@x;\r\n\r\n"));
  assert.equal(group.sender, "one@x");
});

Deno.test("formatListing aligns a title line and one line per mail, numbered from 1", () => {
  const lines = formatListing([
    { sender: "stallings@localhost", received: new Date(Date.UTC(2026, 10, 27, 9, 45)), subject: "Network Lab" },
    { sender: "a@b", received: undefined, subject: "" },
    { sender: "", received: new Date(Date.UTC(2026, 0, 2, 23, 5)), subject: "esc \x1b[2J\ttab" },
  ], "UTC");
  assert.deepEqual(lines, [
    "Sl. No.  Sender               Received           Subject",
    "1        stallings@localhost  27 Nov 2026 09:45  Network Lab",
    "2        a@b                  -                  (no subject)",
    "3        (unknown)            02 Jan 2026 23:05  esc \uFFFD[2J tab",
  ]);
});

Deno.test("formatListing of no mail is the title line alone", () => {
  assert.deepEqual(formatListing([], "UTC"), ["Sl. No.  Sender  Received  Subject"]);
});

Deno.test("parseMailDate reads RFC 5322 date-times, obsolete forms included", () => {
  const cases: [string, string | undefined][] = [
    ["Fri, 27 Nov 2026 09:45:57 +0000", "2026-11-27T09:45:57.000Z"],
    [" 27 Nov 2026 15:15 +0530", "2026-11-27T09:45:00.000Z"],
    ["Fri, 27 Nov 2026 09:48:05 +0000 (UTC)", "2026-11-27T09:48:05.000Z"],
    ["Fri,  7 Nov 26 09:45:57 EST", "2026-11-07T14:45:57.000Z"],
    ["Mon, 1 Jan 99 00:00:00 GMT", "1999-01-01T00:00:00.000Z"],
    ["27 nov 2026 09:45:57 -0000", "2026-11-27T09:45:57.000Z"],
    ["2026-11-27T09:45:57Z", "2026-11-27T09:45:57.000Z"],
    ["27 Foo 2026 09:45:57 +0000", undefined],
    ["no date here", undefined],
  ];
  for (const [text, iso] of cases) assert.equal(parseMailDate(text)?.toISOString(), iso, text);
});

Deno.test("receivedDate uses the date after the last semicolon of the first Received field", () => {
  const headers = [
    { key: "received", value: "from x (x; y) by z; Fri, 27 Nov 2026 09:45:57 +0000" },
    { key: "date", value: "Thu, 26 Nov 2026 09:45:57 +0000" },
  ];
  assert.equal(receivedDate(headers)?.toISOString(), "2026-11-27T09:45:57.000Z");
  assert.equal(
    receivedDate([{ key: "received", value: "no date" }, headers[1]])?.toISOString(),
    "2026-11-26T09:45:57.000Z",
  );
  assert.equal(receivedDate([]), undefined);
});

Deno.test("formatReceived shows date, hour and minute in the given zone", () => {
  const date = new Date(Date.UTC(2026, 10, 27, 20, 45, 59));
  assert.equal(formatReceived(date, "UTC"), "27 Nov 2026 20:45");
  assert.equal(formatReceived(date, "Asia/Kolkata"), "28 Nov 2026 02:15");
  assert.equal(formatReceived(new Date(Date.UTC(2026, 8, 1, 0, 0)), "UTC"), "01 Sep 2026 00:00");
});

Deno.test("summarize lists a header that postal-mime refuses (over 2 MiB) without describing it", async () => {
  const field = `X-Filler: ${"y".repeat(990)}\r\n`;
  const huge = encode(`From: a@b\r\n${field.repeat(2200)}\r\n`);
  assert.deepEqual(await summarize(huge), { sender: "", received: undefined, subject: "(header cannot be decoded)" });
});

Deno.test("formatPage aligns a page, numbers it from its first serial and cuts each line to the width", () => {
  const received = new Date(Date.UTC(2026, 10, 27, 9, 45));
  const lines = formatPage({
    first: 998,
    last: 1000,
    columns: 71,
    mails: [
      { sender: "a@b", received, subject: "会議の議事録と来週の予定について東京本社の全員へ" },
      { sender: `${"x".repeat(40)}@example.org`, received, subject: "Cafe\u0301" },
    ],
  }, "UTC");
  assert.deepEqual(lines, [
    "Sl. No.  Sender                            Received           Subject",
    "998      a@b                               27 Nov 2026 09:45  会議の議",
    `999      ${"x".repeat(32)}  27 Nov 2026 09:45  Cafe\u0301`,
  ]);
  assert.equal(
    formatPage({ first: 1, last: 1, columns: 80, mails: [mails1()] }, "UTC")[1],
    "1        a@b     -         s",
  );
});

function mails1() {
  return { sender: "a@b", received: undefined, subject: "s" };
}
