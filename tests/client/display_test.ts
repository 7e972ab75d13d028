/**
 * Showing a mail: header fields decoded from RFC 2047 encoded words, text
 * parts in quoted-printable or base64 and their charset, the text part of a
 * multipart message with its attachments listed, HTML-only mail as text.
 */

import assert from "node:assert/strict";
import { formatSize, htmlToText, renderMail } from "../../lib/client/display.ts";

const bytes = (text: string) => new TextEncoder().encode(text.replace(/\n/g, "\r\n"));

const UTC = { timeZone: "UTC" };

const RECEIVED = "Received: from a (a) by b with ESMTP id 1; Fri, 27 Nov 2026 09:45:57 +0000\n";

Deno.test("renderMail shows From, To, Subject, Received, then the body", async () => {
  const raw = bytes(
    "From: stallings@localhost\nTo: andrew@localhost\nSubject: Network Lab Experiment 7\n" + RECEIVED +
      "\nYou have learned SMTP very well. Keep It Up!!!\n",
  );
  assert.equal(
    await renderMail(raw, UTC),
    "From:     stallings@localhost\n" +
      "To:       andrew@localhost\n" +
      "Subject:  Network Lab Experiment 7\n" +
      "Received: 27 Nov 2026 09:45\n" +
      "\n" +
      "You have learned SMTP very well. Keep It Up!!!\n",
  );
});

Deno.test("renderMail decodes encoded words and a quoted-printable ISO-8859-1 body", async () => {
  const raw = bytes(
    "From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>\n" +
      "To: =?ISO-8859-1?Q?Andr=E9?= <andrew@localhost>, b@localhost\n" +
      "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= =?UTF-8?Q?_aus_K=C3=B6ln?=\n" +
      "Date: Thu, 26 Nov 2026 10:00:00 +0100\n" +
      "MIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: quoted-printable\n" +
      "\ncaf=E9 cr=E8me, a soft=\n break\n",
  );
  const text = await renderMail(raw, UTC);
  assert.match(text, /^From: {5}Jürgen <j@example\.org>$/m);
  assert.match(text, /^To: {7}André <andrew@localhost>, b@localhost$/m);
  assert.match(text, /^Subject: {2}Grüße aus Köln$/m);
  assert.match(text, /^Received: 26 Nov 2026 09:00$/m);
  assert.match(text, /\n\ncafé crème, a soft break\n$/);
});

Deno.test("renderMail decodes a base64 text part in its charset", async () => {
  const koi8 = btoa(String.fromCharCode(0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4)); // "Привет" in KOI8-R
  const raw = bytes(
    `From: a@b\nSubject: x\n${RECEIVED}Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n` +
      `\n${koi8}\n`,
  );
  assert.match(await renderMail(raw, UTC), /\n\nПривет\n$/);
});

Deno.test("renderMail shows the text part of a multipart message and lists its attachments", async () => {
  const pdf = btoa("x".repeat(2000));
  const raw = bytes(
    "From: a@b\nTo: c@d\nSubject: report\n" + RECEIVED +
      'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="outer"\n\n' +
      "preamble\n--outer\n" +
      'Content-Type: multipart/alternative; boundary="inner"\n\n' +
      "--inner\nContent-Type: text/plain; charset=utf-8\n\nSee the report.\n" +
      "--inner\nContent-Type: text/html; charset=utf-8\n\n<p>See the <b>report</b>.</p>\n--inner--\n" +
      "--outer\nContent-Type: application/pdf\n" +
      "Content-Disposition: attachment; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf\nContent-Transfer-Encoding: base64\n\n" +
      `${pdf}\n` +
      "--outer\nContent-Type: image/png; name=dot.png\nContent-Transfer-Encoding: base64\n\nAAEC\n--outer--\n",
  );
  const text = await renderMail(raw, UTC);
  assert.match(
    text,
    /\n\nSee the report\.\n\nAttachments:\n {2}Résumé\.pdf \(application\/pdf, 2\.0 KiB\)\n {2}dot\.png \(image\/png, 3 bytes\)\n$/,
  );
  assert.doesNotMatch(text, /<p>|preamble/);
});

Deno.test("renderMail turns an HTML-only body into text and replaces control characters", async () => {
  const raw = bytes(
    "From: a@b\nSubject: \x1b]0;pwned\x07 hi\n" + RECEIVED +
      "Content-Type: text/html\n\n<html><head><style>p{}</style></head><body><p>One &amp; two</p>\n" +
      "<div>Three&nbsp;&#8364;</div>\x1b[31m</body></html>\n",
  );
  const text = await renderMail(raw, UTC);
  assert.match(text, /^Subject: {2}\uFFFD\]0;pwned\uFFFD hi$/m);
  assert.match(text, /\n\nOne & two\nThree €\n?\uFFFD\[31m\n$/);
  assert.ok(!text.includes("\x1b"), "no escape character reaches the terminal");
});

Deno.test("renderMail says so when a mail has no text, and copes with no header at all", async () => {
  const text = await renderMail(bytes("\n"), UTC);
  assert.equal(text, "From:     \nTo:       \nSubject:  \nReceived: -\n\n(no text)\n");
});

Deno.test("htmlToText keeps line structure and decodes entities", () => {
  assert.equal(htmlToText("<p>a<br>b</p><ul><li>c</li><li>d &lt;e&gt; &#x41;</li></ul>"), "a\nb\nc\nd <e> A");
  assert.equal(htmlToText("<script>alert(1)</script>plain\n text"), "plain text");
});

Deno.test("formatSize uses bytes, KiB and MiB", () => {
  assert.deepEqual([1, 5, 1536, 3 * 1024 * 1024].map(formatSize), ["1 byte", "5 bytes", "1.5 KiB", "3.0 MiB"]);
});

Deno.test("renderMail shows a mail that postal-mime refuses by its header, a notice and its first lines", async () => {
  let nested = "From: a@b\nSubject: deep\n";
  for (let i = 0; i < 300; i++) nested += `Content-Type: multipart/mixed; boundary="b${i}"\n\n--b${i}\n`;
  const text = await renderMail(bytes(`${nested}\nx\n`), { ...UTC, screen: { columns: 40, rows: 16 } });
  assert.equal(
    text,
    "From:     a@b\nTo:       \nSubject:  deep\nReceived: -\n\n" +
      "(This mail cannot be decoded: it declares more than 50 MIME boundaries. Its first lines follow as received.)\n" +
      "\n--b0\nContent-Type: multipart/mixed; boundary=\n\n--b1\nContent-Type: multipart/mixed; boundary=\n",
  );
});
