import assert from "node:assert/strict";
import PostalMime from "postal-mime";
import { MimeWalk } from "../../lib/http/mime_stream.ts";
import type { AttachmentInfo } from "../../lib/http/attachment_info.ts";

const PDF = new Uint8Array(3000).map((_, i) => (i * 7) % 256);
const base64Lines = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).match(/.{1,76}/g)!;

/** A message with text, HTML, a base64 PDF, a quoted-printable text file and a plain inline one, nested. */
const MESSAGE = [
  "From: a@localhost",
  "To: b@localhost",
  "Subject: Parts",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "preamble, not content",
  "--outer",
  "Content-Type: multipart/alternative; boundary=inner",
  "",
  "--inner",
  "Content-Type: text/plain",
  "",
  "Hello.",
  "--inner",
  "Content-Type: text/html",
  "",
  "<p>Hello.</p>",
  "--inner--",
  "--outer",
  'Content-Type: application/pdf; name="r.pdf"',
  'Content-Disposition: attachment; filename="r.pdf"',
  "Content-Transfer-Encoding: base64",
  "",
  ...base64Lines(PDF),
  "--outer",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Disposition: attachment; filename*=UTF-8''n%C3%B6tes.txt",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "caf=C3=A9 and a soft=",
  " break",
  "=3D sign, and a line of ..." + "x".repeat(5000),
  "--outer",
  'Content-Type: text/plain; name="inline.txt"',
  "",
  "a text part with a name is text",
  "--outer",
  'Content-Type: image/gif; name="dot.gif"',
  "Content-ID: <p1@x>",
  "Content-Transfer-Encoding: base64",
  "",
  "R0lGODlhAQABAAAAACw=",
  "--outer--",
  "epilogue",
  "",
].join("\r\n");

/** Walks `bytes` in chunks of `size`, wanting attachment `want`. */
function walk(bytes: Uint8Array, size: number, want?: number): { infos: AttachmentInfo[]; out: Uint8Array } {
  const infos: AttachmentInfo[] = [];
  const parts: number[] = [];
  const w = new MimeWalk({ onEnd: (info) => infos.push({ ...info }), want, emit: (b) => parts.push(...b) });
  for (let at = 0; at < bytes.length; at += size) w.push(bytes.subarray(at, at + size));
  w.end();
  return { infos, out: new Uint8Array(parts) };
}

/** The quoted-printable attachment decoded, its line break kept as sent (postal-mime turns it into LF). */
const NOTES = "café and a soft break\r\n= sign, and a line of ..." + "x".repeat(5000);

Deno.test("MimeWalk lists and decodes attachments as postal-mime does, however the octets are cut", async () => {
  const bytes = new TextEncoder().encode(MESSAGE);
  const email = await PostalMime.parse(bytes);
  const expected = email.attachments.map((a) => new Uint8Array(a.content as ArrayBuffer));
  assert.deepEqual(email.attachments.map((a) => a.filename), ["r.pdf", "nötes.txt", "dot.gif"]);
  for (const size of [1, 2, 3, 7, 64, 1000, 4097, bytes.length]) {
    const { infos } = walk(bytes, size);
    assert.deepEqual(infos.map((i) => [i.index, i.filename, i.contentType, i.disposition, i.contentId]), [
      [0, "r.pdf", "application/pdf", "attachment", null],
      [1, "nötes.txt", "text/plain", "attachment", null],
      [2, "dot.gif", "image/gif", null, "p1@x"],
    ], `chunks of ${size}`);
    assert.deepEqual(infos.map((i) => i.size), [
      PDF.length,
      new TextEncoder().encode(NOTES).length,
      expected[2].length,
    ]);
    assert.deepEqual(walk(bytes, size, 0).out, PDF, `chunks of ${size}`);
    assert.equal(new TextDecoder().decode(walk(bytes, size, 1).out), NOTES, `chunks of ${size}`);
    assert.deepEqual(walk(bytes, size, 2).out, expected[2], `chunks of ${size}`);
  }
});

Deno.test("MimeWalk: a message that is a single non-text part is one attachment", () => {
  const bytes = new TextEncoder().encode(
    "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n",
  );
  const { infos, out } = walk(bytes, 5, 0);
  assert.deepEqual([infos.length, infos[0].contentType, [...out]], [1, "image/png", [137, 80, 78, 71, 13, 10, 26, 10]]);
});
