/**
 * A client that pipelines many commands and shuts down its sending side at
 * once: its end of input may arrive while the server waits to send the
 * replies. The session must end when the replies are out, not at the idle
 * timeout (a POP3 session would hold its maildrop lock all that time).
 * Found by `deno task fuzz`.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { connect } from "node:net";
import { makeTempRoot } from "../helpers/server_process.ts";
import { startPop3 } from "../helpers/pop3_server.ts";
import { startSmtp } from "../helpers/smtp_server.ts";
import { tlsFlags, withTestCert } from "../helpers/tls.ts";

/** Long enough that a session waiting for it is plainly stuck. */
const IDLE_TIMEOUT_S = 120;

/** Sends `data`, half-closes, reads until the server closes; resolves to the octets read, or rejects after `limitMs`. */
function burstThenFin(port: number, data: string, limitMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`the server kept the session open ${limitMs} ms after the client's FIN (${received} octets read)`),
      );
    }, limitMs);
    socket.on("connect", () => socket.end(Buffer.from(data)));
    socket.on("data", (chunk: Buffer) => received += chunk.length);
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

Deno.test("smtpmail ends a session whose client sent 3,000 pipelined commands and its FIN at once", async () => {
  const temp = await makeTempRoot();
  const smtp = await startSmtp({ root: temp, flags: ["--idle-timeout", String(IDLE_TIMEOUT_S)] });
  try {
    for (let i = 0; i < 5; i++) {
      const read = await burstThenFin(smtp.port, `EHLO x\r\n${"HELP\r\n".repeat(3000)}`, 30_000);
      assert.ok(read > 3000 * 20, `replies read: ${read}`);
    }
  } finally {
    await smtp.stop();
    await temp.remove();
  }
});

Deno.test("popserver ends a session whose client sent pipelined RETRs and its FIN at once, and frees the maildrop", async () => {
  const temp = await makeTempRoot();
  const big = `Subject: big\r\n\r\n${"x".repeat(900).concat("\r\n").repeat(60)}`;
  await Deno.mkdir(`${temp.root}/Stallings`, { recursive: true });
  await Deno.writeTextFile(`${temp.root}/Stallings/mymailbox`, `${big}.\r\n`);
  const pop3 = await startPop3(temp, ["--idle-timeout", String(IDLE_TIMEOUT_S)]);
  try {
    for (let i = 0; i < 5; i++) {
      const burst = "USER Stallings\r\nPASS network$security\r\nRETR 1\r\nRETR 1\r\nRETR 1\r\n";
      const read = await burstThenFin(pop3.port, burst, 30_000);
      assert.ok(read > 3 * big.length, `replies read: ${read}`);
    }
  } finally {
    await pop3.stop();
    await temp.remove();
  }
});

Deno.test("smtpmail ends a session whose client sent STARTTLS and its FIN instead of a handshake", async () => {
  await withTestCert(async (cert) => {
    const temp = await makeTempRoot();
    const smtp = await startSmtp({ root: temp, flags: tlsFlags(cert) });
    try {
      // The handshake's own timeout is 10 s: a session still open at 8 s waited for it.
      const read = await burstThenFin(smtp.port, "EHLO x\r\nSTARTTLS\r\n", 8_000);
      assert.ok(read > 0);
    } finally {
      await smtp.stop();
      await temp.remove();
    }
  });
});
