/**
 * How a trace shows a message: its first header lines, each annotated, and
 * its size; never the body, never more than five header lines.
 */

import assert from "node:assert/strict";
import { headerNote, MessageGlance, SHOWN_HEADER_LINES } from "../../lib/trace/message.ts";

const encoder = new TextEncoder();

/** The lines shown for `message` fed in pieces of `piece` bytes. */
function shown(message: string, piece = 7): string[] {
  const bytes = encoder.encode(message);
  const glance = new MessageGlance();
  for (let at = 0; at < bytes.length; at += piece) glance.add(bytes.subarray(at, at + piece));
  assert.equal(glance.size, bytes.length);
  return glance.lines(glance.size, "size note").map((l) => l.line);
}

Deno.test("MessageGlance shows the header lines and the size, never the body", () => {
  const message = "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: Network Lab Experiment 7\r\n\r\n" +
    "You have learned SMTP very well. Keep It Up!!!\r\n";
  assert.deepEqual(shown(message), [
    "From: stallings@localhost",
    "To: andrew@localhost",
    "Subject: Network Lab Experiment 7",
    `[message: ${message.length} bytes; only its first header lines shown]`,
  ]);
});

Deno.test("MessageGlance shows at most five header lines, folded lines counted, long ones cut", () => {
  const fields = Array.from({ length: 9 }, (_, i) => `X-Field-${i}: ${"v".repeat(i * 30)}\r\n`).join("");
  const lines = shown(`Subject: a\r\n folded\r\n${fields}\r\nbody\r\n`, 100);
  assert.equal(lines.length, SHOWN_HEADER_LINES + 1);
  assert.deepEqual(lines.slice(0, 3), ["Subject: a", " folded", "X-Field-0: "]);
  assert.equal(lines[4], `X-Field-2: ${"v".repeat(60)}`);
  const cut = shown(`Subject: ${"s".repeat(300)}\r\n\r\nbody\r\n`)[0];
  assert.equal(cut, `Subject: ${"s".repeat(91)}…`);
});

Deno.test("MessageGlance shows nothing of a message that begins with its body", () => {
  assert.deepEqual(shown("secret body text\r\nFrom: x@y\r\n"), ["[message: 29 bytes; no header lines shown]"]);
  assert.deepEqual(shown(" leading fold\r\n"), ["[message: 15 bytes; no header lines shown]"]);
  assert.deepEqual(shown(""), ["[message: 0 bytes; no header lines shown]"]);
});

Deno.test("MessageGlance keeps only the first 4 KiB, and shows no cut-off line", () => {
  const glance = new MessageGlance();
  glance.add(encoder.encode(`Subject: ${"s".repeat(5000)}\r\n\r\n`));
  glance.add(new Uint8Array(1_000_000));
  assert.equal(glance.size, 5013 + 1_000_000);
  assert.deepEqual(glance.lines(42, "n"), [{ line: "[message: 42 bytes; no header lines shown]", note: "n" }]);
});

Deno.test("headerNote explains known fields, any other field and folded lines", () => {
  const cases: [string, string][] = [
    ["From: a@b", "RFC 5322 3.6.2 From: the author of the message"],
    ["subject: hi", "RFC 5322 3.6.5 subject: the topic of the message"],
    ["Received: from x", "RFC 5321 4.4 Received: trace field: a server that took the message, and when"],
    ["X-Mailer: y", "RFC 5322 2.2 X-Mailer: a header field: name, colon, value"],
    ["\tcontinued", "RFC 5322 2.2.3 folded line: the field above, continued on a folded line"],
  ];
  for (const [line, note] of cases) assert.equal(headerNote(line), note, line);
});
