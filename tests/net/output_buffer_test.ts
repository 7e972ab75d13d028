import assert from "node:assert/strict";
import { isShared, OUTPUT_BUFFER_SIZE, OutputBuffer, recycle } from "../../lib/net/output_buffer.ts";

const decoder = new TextDecoder();

/** Everything `take` returns, joined, and the views themselves. */
function takeAll(output: OutputBuffer): { bytes: Uint8Array; views: Uint8Array[] } {
  const views = output.take();
  const bytes = new Uint8Array(views.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const view of views) {
    bytes.set(view, at);
    at += view.length;
  }
  return { bytes, views };
}

Deno.test("OutputBuffer keeps text and bytes in order and copies bytes at once", () => {
  const output = new OutputBuffer();
  const source = new TextEncoder().encode("RETR body\r\n");
  output.write("+OK 11 octets\r\n");
  output.write(source);
  source.fill(0x78);
  output.write(".\r\n");
  assert.equal(output.size, 15 + 11 + 3);
  const { bytes, views } = takeAll(output);
  assert.equal(decoder.decode(bytes), "+OK 11 octets\r\nRETR body\r\n.\r\n");
  assert.equal(views.length, 1);
  assert.equal(output.size, 0);
  assert.deepEqual(output.take(), []);
});

Deno.test("OutputBuffer spreads large writes over buffers, splitting no character", () => {
  const output = new OutputBuffer();
  // Three-octet characters that do not divide the buffer size evenly, then bytes spanning several buffers.
  const text = "€".repeat(OUTPUT_BUFFER_SIZE / 3 + 5);
  const bytes = new Uint8Array(2 * OUTPUT_BUFFER_SIZE + 17).map((_, i) => i % 251);
  output.write("x");
  output.write(text);
  output.write(bytes);
  const all = takeAll(output);
  assert.ok(all.views.every((v) => v.length > 0 && v.length <= OUTPUT_BUFFER_SIZE));
  assert.equal(decoder.decode(all.bytes.subarray(0, 1 + text.length * 3)), `x${text}`);
  assert.deepEqual(all.bytes.subarray(1 + text.length * 3), bytes);
});

Deno.test("OutputBuffer hands short output over as copies of its own", () => {
  const output = new OutputBuffer();
  output.write("+OK first\r\n");
  const [first] = output.take();
  output.write("+OK second\r\n");
  const [second] = output.take();
  assert.deepEqual([isShared(first), isShared(second)], [false, false]);
  assert.deepEqual([decoder.decode(first), decoder.decode(second)], ["+OK first\r\n", "+OK second\r\n"]);
});

Deno.test("OutputBuffer reuses a recycled shared buffer, and only then", () => {
  const output = new OutputBuffer();
  const big = (c: string) => c.repeat(3000);
  output.write(big("a"));
  const [first] = output.take();
  output.write(big("b"));
  const [second] = output.take();
  assert.ok(isShared(first) && isShared(second));
  assert.notEqual(second.buffer, first.buffer, "a buffer not yet recycled is not reused");
  recycle(first);
  output.write(big("c"));
  const [third] = output.take();
  assert.equal(third.buffer, first.buffer);
  assert.deepEqual([decoder.decode(third), decoder.decode(second)], [big("c"), big("b")]);
  recycle(second);
  recycle(third);
});
