/**
 * The shared listener: a session that fails unexpectedly is logged as one
 * line through the server's log (never to the console, which may be a full
 * disk), and the listener goes on serving.
 */

import assert from "node:assert/strict";
import { ConnectionCaps, startServer } from "../../lib/net/server.ts";

Deno.test("startServer logs a failed session as one line and keeps serving", async () => {
  const lines: string[] = [];
  let sessions = 0;
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    caps: new ConnectionCaps({ maxConnections: 10, maxConnectionsPerAddress: 10 }),
    log: (line) => lines.push(line),
    refuse: (socket) => socket.destroy(),
    serve: (socket) => {
      sessions++;
      socket.end();
      return Promise.reject(new Error("boom\nsecond line"));
    },
  });
  try {
    for (let i = 0; i < 2; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      while (await conn.read(new Uint8Array(16)) !== null);
      conn.close();
    }
    for (let i = 0; i < 100 && lines.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(sessions, 2);
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.match(line, /^\S+Z session error client=127\.0\.0\.1: Error: boom second line at /);
      assert.ok(!line.includes("\n"));
    }
  } finally {
    await server.shutdown(1000);
  }
});
