/**
 * Clients that stop reading or stop sending: one that takes none of its
 * output is disconnected after the idle timeout, loses its maildrop lock
 * and has none of its pipelined commands carried out, and its connection
 * slot is freed; one that shuts down its sending side after its last command still
 * gets every reply.
 */

import assert from "node:assert/strict";
import { decode, encode } from "../helpers/bytes.ts";
import { passwordOf, Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, withMailServers } from "../helpers/pop3_server.ts";
import { waitFor } from "../helpers/server_process.ts";
import { withSmtp } from "../helpers/smtp_server.ts";

/** Everything the server sends until it closes, after writing `input` and shutting down the sending side. */
async function halfClosedExchange(port: number, input: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(encode(input));
    await conn.closeWrite();
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) chunks.push(buf.slice(0, n));
    return chunks.map((c) => decode(c)).join("");
  } finally {
    conn.close();
  }
}

Deno.test("popserver disconnects a client that stops reading after --idle-timeout, and frees its maildrop", async () => {
  await withMailServers(["--idle-timeout", "1"], async ({ smtp, pop3 }) => {
    const line = "x".repeat(70) + "\r\n";
    await sendMessages(smtp.port, [`Subject: big\r\n\r\n${line.repeat(40_000)}`]);
    const stalled = await Deno.connect({ hostname: "127.0.0.1", port: pop3.port });
    try {
      // About 60 MB asked for and never read: far more than the socket buffers hold. The DELE and
      // QUIT behind them must not be carried out once the connection is dropped.
      const commands = `USER Andrew\r\nPASS ${passwordOf("Andrew")}\r\n${"RETR 1\r\n".repeat(20)}DELE 1\r\nQUIT\r\n`;
      await stalled.write(encode(commands));
      let reply = "";
      for (let attempt = 0; attempt < 40 && !reply.startsWith("+OK"); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const other = await Pop3Client.open(pop3.port);
        try {
          await other.command("USER Andrew", "+OK");
          reply = await other.command(`PASS ${passwordOf("Andrew")}`);
          if (reply.startsWith("+OK")) {
            assert.match(await other.command("STAT", "+OK"), /^\+OK 1 /, "the message is still there");
            await other.quit();
          }
        } finally {
          await other.close();
        }
      }
      assert.match(reply, /^\+OK /, "the stalled session let go of the maildrop");
      await waitFor("the stalled session's log line", () => / outcome=timeout\n/.test(pop3.stderrText()));
      assert.match(pop3.stderrText(), / pop3 client=127\.0\.0\.1 user=Andrew .*outcome=timeout\n/);
    } finally {
      stalled.close();
    }
  });
});

Deno.test("popserver answers every command of a client that has shut down its sending side", async () => {
  await withMailServers([], async ({ smtp, pop3 }) => {
    await sendMessages(smtp.port, ["Subject: one\r\n\r\nbody\r\n"]);
    const out = await halfClosedExchange(pop3.port, `USER Andrew\r\nPASS ${passwordOf("Andrew")}\r\nSTAT\r\nQUIT\r\n`);
    const lines = out.split("\r\n");
    assert.equal(lines.length, 6, out);
    assert.match(lines[3], /^\+OK 1 \d+$/);
    assert.match(lines[4], /^\+OK .*signing off/);
  });
});

Deno.test("smtpmail answers every command of a client that has shut down its sending side", async () => {
  await withSmtp([], async (smtp) => {
    const out = await halfClosedExchange(smtp.port, "EHLO client.example\r\nNOOP\r\nQUIT\r\n");
    assert.match(out, /^220 .*\r\n250-.*\r\n(250-.*\r\n)*250 .*\r\n250 2\.0\.0 .*\r\n221 2\.0\.0 .*\r\n$/s);
  });
});

Deno.test("smtpmail frees the connection slot of a client that sends commands and never reads the replies", async () => {
  await withSmtp(["--idle-timeout", "1", "--max-connections-per-address", "1"], async (smtp) => {
    const flood = await Deno.connect({ hostname: "127.0.0.1", port: smtp.port });
    try {
      // Pipelined NOOPs whose replies it never reads, until the server drops it (at most 40 MB).
      const noops = encode("NOOP\r\n".repeat(10_000));
      for (let sent = 0; sent < 40_000_000; sent += noops.length) {
        if (await flood.write(noops).then(() => false, () => true)) break;
      }
    } finally {
      flood.close();
    }
    let greeting = "";
    for (let attempt = 0; attempt < 50 && !greeting.startsWith("220 "); attempt++) {
      const next = await Deno.connect({ hostname: "127.0.0.1", port: smtp.port });
      try {
        const buf = new Uint8Array(512);
        const n = await next.read(buf);
        greeting = n === null ? "" : decode(buf.subarray(0, n));
      } finally {
        next.close();
      }
      if (!greeting.startsWith("220 ")) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(greeting, /^220 /, "the address got its one connection back");
  });
});
