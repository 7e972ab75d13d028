/**
 * Building the RFC 5322 message from a typed mail, and its SMTP DATA form:
 * header order, Date and Message-ID, MIME for UTF-8 text by the server's
 * extensions and for over-long lines, dot-stuffing.
 */

import assert from "node:assert/strict";
import PostalMime, { decodeWords } from "postal-mime";
import { composeMessage, dotStuff, formatDate, newMessageId, type ServerFeatures } from "../../lib/client/compose.ts";
import type { TypedMail } from "../../lib/client/mail_format.ts";
import { encodeQuotedPrintable, encodeWords } from "../../lib/client/mime_encode.ts";

const DATE = new Date(Date.UTC(2026, 10, 27, 9, 45, 57));
const ALL: ServerFeatures = { smtputf8: true, eightBitMime: true };
const NONE: ServerFeatures = { smtputf8: false, eightBitMime: false };

function mail(subject: string, body: string[]): TypedMail {
  return { from: "stallings@localhost", to: "andrew@localhost", subject, body };
}

function compose(m: TypedMail, features: ServerFeatures) {
  return composeMessage(m, { date: DATE, utcOffsetMinutes: 330, messageId: "<id.1@localhost>", features });
}

Deno.test("composeMessage puts the typed fields first, then Date and Message-ID, a blank line and the body", () => {
  const result = compose(mail("Network Lab Experiment 7", ["You have learned SMTP very well. Keep It Up!!!"]), ALL);
  assert.deepEqual(result, {
    lines: [
      "From: stallings@localhost",
      "To: andrew@localhost",
      "Subject: Network Lab Experiment 7",
      "Date: Fri, 27 Nov 2026 15:15:57 +0530",
      "Message-ID: <id.1@localhost>",
      "",
      "You have learned SMTP very well. Keep It Up!!!",
    ],
    smtputf8: false,
    eightBit: false,
  });
});

Deno.test("composeMessage sends UTF-8 as it is when the server has SMTPUTF8 and 8BITMIME", () => {
  const result = compose(mail("Grüße", ["Héllo wörld"]), ALL);
  assert.deepEqual(result.lines.slice(2, 3), ["Subject: Grüße"]);
  assert.deepEqual(result.lines.slice(5), [
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=UTF-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    "Héllo wörld",
  ]);
  assert.equal(result.smtputf8, true);
  assert.equal(result.eightBit, true);
});

Deno.test("composeMessage needs only 8BITMIME for a UTF-8 body under an ASCII subject", () => {
  const result = compose(mail("plain", ["naïve"]), ALL);
  assert.equal(result.smtputf8, false);
  assert.equal(result.eightBit, true);
});

Deno.test("composeMessage encodes for a server without SMTPUTF8 and 8BITMIME, and the result decodes back", async () => {
  const subject = "Grüße aus Calicut — ünïcödé text that is long enough to need two words";
  const body = ["Héllo wörld = €5", "x".repeat(100) + "é", "trailing space "];
  const result = compose(mail(subject, body), NONE);
  assert.equal(result.smtputf8, false);
  assert.equal(result.eightBit, false);
  assert.ok(result.lines.every((line) => /^[\x20-\x7e]*$/.test(line) && line.length <= 998), "7-bit ASCII only");
  assert.ok(result.lines.includes("Content-Transfer-Encoding: quoted-printable"));
  const parsed = await PostalMime.parse(result.lines.join("\r\n") + "\r\n");
  assert.equal(parsed.subject, subject);
  assert.equal(parsed.text, body.join("\n") + "\n");
});

Deno.test("composeMessage says 7bit for a UTF-8 subject over an ASCII body", () => {
  const result = compose(mail("café", ["plain"]), NONE);
  assert.deepEqual(result.lines.slice(2, 3), ["Subject: =?UTF-8?B?Y2Fmw6k=?="]);
  assert.ok(result.lines.includes("Content-Transfer-Encoding: 7bit"));
});

Deno.test("composeMessage encodes a body with a line over 998 octets or a stray CR, even for a server with 8BITMIME", async () => {
  for (const body of [["a".repeat(999)], ["é".repeat(500)], ["x\r.", "next"]]) {
    const result = compose(mail("long", body), ALL);
    assert.equal(result.eightBit, false);
    assert.ok(result.lines.includes("Content-Transfer-Encoding: quoted-printable"), JSON.stringify(body));
    assert.ok(result.lines.every((line) => /^[\x20-\x7e]*$/.test(line) && line.length <= 998), "short 7-bit lines");
    const parsed = await PostalMime.parse(result.lines.join("\r\n") + "\r\n");
    assert.equal(parsed.text, body.join("\n") + "\n");
  }
  const fits = compose(mail("fits", ["a".repeat(998)]), ALL);
  assert.ok(!fits.lines.some((line) => line.startsWith("Content-Transfer-Encoding")), "998 octets go as they are");
});

Deno.test("dotStuff doubles a leading dot, ends lines with CRLF and adds the end marker", () => {
  assert.equal(
    dotStuff(["a", ".", ".hidden", "..two", " .not", ""]),
    "a\r\n..\r\n..hidden\r\n...two\r\n .not\r\n\r\n.\r\n",
  );
  assert.equal(dotStuff([]), ".\r\n");
});

Deno.test("formatDate writes RFC 5322 dates at an offset", () => {
  assert.equal(formatDate(DATE, 0), "Fri, 27 Nov 2026 09:45:57 +0000");
  assert.equal(formatDate(DATE, -300), "Fri, 27 Nov 2026 04:45:57 -0500");
  assert.equal(formatDate(new Date(Date.UTC(2026, 0, 1, 0, 5, 0)), -150), "Wed, 31 Dec 2025 21:35:00 -0230");
  assert.match(formatDate(DATE), /^\w{3}, \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/);
});

Deno.test("newMessageId is unique and in angle brackets at the domain", () => {
  const a = newMessageId("localhost", DATE);
  assert.match(a, /^<[0-9a-z]+\.[0-9a-f]{16}@localhost>$/);
  assert.notEqual(a, newMessageId("localhost", DATE));
});

Deno.test("encodeWords keeps each word within 75 characters and never splits a character", () => {
  const text = "€".repeat(40);
  const words = encodeWords(text);
  assert.ok(words.length > 1);
  for (const word of words) assert.ok(word.length <= 75, word);
  assert.equal(decodeWords(words.join(" ")), text);
  assert.deepEqual(encodeWords(""), ["=?UTF-8?B??="]);
});

Deno.test("encodeQuotedPrintable escapes =, 8-bit octets and trailing white space, with soft breaks", () => {
  assert.deepEqual(encodeQuotedPrintable(["a=b é", "tab\t", "end "]), ["a=3Db =C3=A9", "tab=09", "end=20"]);
  const long = encodeQuotedPrintable(["é".repeat(30)]);
  assert.ok(long.length > 1);
  for (const line of long) assert.ok(line.length <= 76, line);
  assert.ok(long.slice(0, -1).every((line) => line.endsWith("=")));
});
