import assert from "node:assert/strict";
import { DataDecoder } from "../../lib/smtp/data_decoder.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Feeds `input` in chunks of `size`; returns the stored text, size, problem and the octets used. */
function decode(input: string, size: number, limits = { maxSize: 10_000, maxLine: 100 }) {
  const bytes = encoder.encode(input);
  const data = new DataDecoder(limits);
  for (let at = 0; at < bytes.length; at += size) {
    const chunk = bytes.subarray(at, Math.min(at + size, bytes.length));
    const { used, done } = data.push(chunk);
    if (done) {
      const result = data.result();
      const stored = result.chunks.map((c) => decoder.decode(c)).join("");
      return { stored, size: result.size, problem: result.problem, used: at + used };
    }
    assert.equal(used, chunk.length);
  }
  return undefined;
}

const CASES: Record<string, { input: string; stored?: string; size?: number; problem?: string; used?: number }> = {
  "a plain message": { input: "a\r\nb\r\n.\r\nNOOP\r\n", stored: "a\r\nb\r\n", size: 6, used: 9 },
  "an empty message": { input: ".\r\n", stored: "", size: 0, used: 3 },
  "stuffed lines, kept stuffed": { input: "..\r\n..x\r\n.\r\n", stored: "..\r\n..x\r\n", size: 7 },
  "bare LF dot LF": { input: "a\n.\nb\r\n.\r\n", stored: "a\r\n..\r\nb\r\n", size: 9 },
  "CRLF dot LF": { input: "a\r\n.\nb\r\n.\r\n", stored: "a\r\n..\r\nb\r\n", size: 9 },
  "LF dot CRLF": { input: "a\n.\r\nb\r\n.\r\n", stored: "a\r\n..\r\nb\r\n", size: 9 },
  "bare CR dot CR": { input: "a\r.\rb\r\n.\r\n", stored: "a\r\n..\r\nb\r\n", size: 9 },
  "a dot after a bare CR, which is text": {
    input: "line1\r.hidden\r\n..x\r..y\r\n.\r\n",
    stored: "line1\r\n..hidden\r\n..x\r\n...y\r\n",
    size: 25,
  },
  // Lines over a limit are not kept, but count in the size the log reports.
  "a line over the limit": { input: `${"x".repeat(150)}\r\nok\r\n.\r\n`, size: 156, problem: "line" },
  "a stuffed line over the limit, ending in a bare LF": {
    input: `ok\r\n..${"x".repeat(150)}\nok\r\n.\r\n`,
    size: 4 + 152 + 4,
    problem: "line",
  },
  "a message over the size limit": { input: `${"y\r\n".repeat(40)}.\r\n`, size: 120, problem: "size" },
};

Deno.test("DataDecoder gives the same result however the input is chunked", async (t) => {
  for (const [name, want] of Object.entries(CASES)) {
    await t.step(name, () => {
      const limits = name.includes("size limit") ? { maxSize: 100, maxLine: 100 } : undefined;
      const whole = decode(want.input, want.input.length, limits);
      assert.ok(whole, "end marker found");
      if (want.stored !== undefined) assert.equal(whole.stored, want.stored);
      if (want.size !== undefined) assert.equal(whole.size, want.size);
      if (want.used !== undefined) assert.equal(whole.used, want.used);
      assert.equal(whole.problem, want.problem);
      for (const size of [1, 2, 3, 5, 7, 64]) {
        assert.deepEqual(decode(want.input, size, limits), whole, `chunks of ${size}`);
      }
    });
  }
});

Deno.test("DataDecoder keeps memory bounded for a line that never ends", () => {
  const data = new DataDecoder({ maxSize: 1000, maxLine: 100 });
  const junk = new Uint8Array(64 * 1024).fill(0x78);
  for (let i = 0; i < 100; i++) assert.deepEqual(data.push(junk), { used: junk.length, done: false });
  assert.deepEqual(data.push(encoder.encode("\r\n.\r\n")), { used: 5, done: true });
  assert.equal(data.result().problem, "line");
});
