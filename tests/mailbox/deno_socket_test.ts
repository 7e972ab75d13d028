import assert from "node:assert/strict";
import { DenoSocket } from "../../lib/mailbox/postgres/deno_socket.ts";
import { concatBytes } from "../../lib/bytes.ts";

/** A protocol message: a type octet, a 4-octet length (itself included), then `body`. */
function message(type: string, body: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(5 + body.length);
  bytes[0] = type.charCodeAt(0);
  new DataView(bytes.buffer).setUint32(1, 4 + body.length);
  bytes.set(body, 5);
  return bytes;
}

/** Messages' lengths as found in `bytes`, which must hold whole messages only. */
function messageLengths(bytes: Uint8Array): number[] {
  const lengths: number[] = [];
  for (let at = 0; at < bytes.length;) {
    assert.ok(at + 5 <= bytes.length, "a message's header is cut");
    const length = 1 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + 1);
    assert.ok(at + length <= bytes.length, "a message is cut");
    lengths.push(length);
    at += length;
  }
  return lengths;
}

Deno.test("DenoSocket emits whole protocol messages however they arrive, in order, then ends", async () => {
  const big = new Uint8Array(300_000).map((_, i) => i % 251);
  const messages = [
    message("D", new Uint8Array(10)),
    message("d", big),
    ...Array.from({ length: 50 }, (_, i) => message("d", new Uint8Array(4000 + i).fill(i))),
    message("Z", Uint8Array.of(0x49)),
  ];
  const sent = concatBytes(messages);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serve = (async () => {
    const conn = await listener.accept();
    const request = new Uint8Array(5);
    assert.equal(await conn.read(request), 5);
    // Pieces of every size, cutting headers and bodies alike.
    for (let at = 0, n = 1; at < sent.length; at += n, n = n * 3 % 70_001 + 1) {
      await conn.write(sent.subarray(at, at + n));
    }
    conn.close();
  })();
  const socket = new DenoSocket();
  const received: Uint8Array[] = [];
  const lengths: number[] = [];
  const closed = new Promise<void>((resolve) => socket.on("close", resolve));
  socket.on("data", (data: Uint8Array) => {
    lengths.push(...messageLengths(data));
    received.push(Uint8Array.prototype.slice.call(data));
  });
  socket.on("connect", () => socket.write(Uint8Array.of(1, 2, 3, 4, 5)));
  socket.setNoDelay(true);
  socket.connect((listener.addr as Deno.NetAddr).port, "127.0.0.1");
  await closed;
  await serve;
  listener.close();
  assert.deepEqual(lengths, messages.map((m) => m.length));
  assert.deepEqual(concatBytes(received), sent);
});

Deno.test("DenoSocket writes in order, calls back once written, and reports a refused connection", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const serve = (async () => {
    const conn = await listener.accept();
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(1024);
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) chunks.push(buffer.slice(0, n));
    conn.close();
    return new TextDecoder().decode(concatBytes(chunks));
  })();
  const socket = new DenoSocket();
  const written: string[] = [];
  socket.write("a", () => written.push("a"));
  socket.connect(port, "127.0.0.1");
  socket.write(Uint8Array.of(0x62), () => written.push("b"));
  socket.write("c", () => {
    written.push("c");
    socket.end();
  });
  assert.equal(await serve, "abc");
  assert.deepEqual(written, ["a", "b", "c"]);
  listener.close();

  const refused = new DenoSocket();
  const error = await new Promise<Error & { code?: string }>((resolve) => refused.on("error", resolve).connect(port));
  assert.equal(error.code, "ECONNREFUSED");
});
