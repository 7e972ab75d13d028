import assert from "node:assert/strict";
import { unstuffStream } from "../../lib/http/unstuff.ts";

const encode = (text: string) => new TextEncoder().encode(text);

/** Runs stored text, cut at the given places, through `unstuffStream`. */
async function unstuffed(stored: string, size: number, cuts: number[] = []): Promise<string> {
  const bytes = encode(stored);
  const points = [0, ...cuts, bytes.length];
  const chunks = points.slice(1).map((end, i) => bytes.subarray(points[i], end));
  const out = ReadableStream.from(chunks).pipeThrough(unstuffStream(size));
  return new TextDecoder().decode(await new Response(out).arrayBuffer());
}

Deno.test("unstuffStream drops the doubled dots and the terminator, however the chunks fall", async (t) => {
  const stored = "A: b\r\n\r\n..one\r\n...two\r\nx.y\r\n.\r\n";
  const message = "A: b\r\n\r\n.one\r\n..two\r\nx.y\r\n";
  for (const cuts of [[], [1], [8], [9], [14], [15], [16], [8, 9, 15, 16, 24, 25], [...Array(31).keys()].slice(1)]) {
    await t.step(`cut at ${cuts.join(",") || "nothing"}`, async () => {
      assert.equal(await unstuffed(stored, message.length, cuts), message);
    });
  }
});

Deno.test("unstuffStream turns an empty message's record into nothing", async () => {
  assert.equal(await unstuffed(".\r\n", 0), "");
});
