/**
 * Replies held behind a failed-login delay: with commands pipelined in one
 * write, a reply that is due before a failed login (EHLO's, USER's) leaves
 * at once, and each failed login's reply leaves when its own delay is over,
 * not after the delays of the logins behind it.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { LineClient } from "../helpers/line_client.ts";
import { startPop3 } from "../helpers/pop3_server.ts";
import { makeTempRoot } from "../helpers/server_process.ts";
import { withSmtp } from "../helpers/smtp_server.ts";

/** The first failed login waits this long, the second twice as long. */
const DELAY_MS = 800;
const DELAY_FLAGS = ["--failed-login-delay", String(DELAY_MS)];

/** A line and when it arrived, in milliseconds after the pipelined write. */
interface Arrival {
  line: string;
  at: number;
}

/** Sends `commands` in one write and reads every line until the server closes. */
async function pipeline(port: number, commands: string[]): Promise<Arrival[]> {
  const client = await LineClient.connect(port);
  try {
    await client.readLine();
    const start = Date.now();
    await client.write(commands.map((c) => `${c}\r\n`).join(""));
    const arrivals: Arrival[] = [];
    for (let line = await client.readLine(); line !== null; line = await client.readLine()) {
      arrivals.push({ line, at: Date.now() - start });
    }
    return arrivals;
  } finally {
    await client.close();
  }
}

/** When the first line matching `pattern` arrived. */
function arrival(arrivals: Arrival[], pattern: RegExp, nth = 0): number {
  const found = arrivals.filter((a) => pattern.test(a.line))[nth];
  assert.ok(found, `no ${nth + 1}. line matching ${pattern} in ${JSON.stringify(arrivals)}`);
  return found.at;
}

Deno.test("smtpmail sends the EHLO reply before a pipelined failed AUTH's delay, each 535 after its own", async () => {
  await withSmtp(DELAY_FLAGS, async (server) => {
    const wrong = Buffer.from("\0Stallings\0wrong").toString("base64");
    const arrivals = await pipeline(server.port, ["EHLO x", `AUTH PLAIN ${wrong}`, `AUTH PLAIN ${wrong}`, "QUIT"]);
    const finalLines = arrivals.map((a) => a.line).filter((line) => !line.startsWith("250-"));
    assert.deepEqual(finalLines.map((line) => line.slice(0, 3)), ["250", "535", "535", "221"]);
    const ehlo = arrival(arrivals, /^250 /);
    const firstRefusal = arrival(arrivals, /^535 /);
    const secondRefusal = arrival(arrivals, /^535 /, 1);
    // The gaps are the server's own delays: the first 535 waits one, the second two more.
    assert.ok(firstRefusal - ehlo >= DELAY_MS / 2, `EHLO reply held back: ${JSON.stringify(arrivals)}`);
    assert.ok(secondRefusal - firstRefusal >= DELAY_MS, `first 535 held back: ${JSON.stringify(arrivals)}`);
  });
});

Deno.test("popserver sends USER's +OK before a pipelined failed PASS's delay, each -ERR after its own", async () => {
  const temp = await makeTempRoot();
  try {
    const server = await startPop3(temp, DELAY_FLAGS);
    try {
      const commands = ["USER Andrew", "PASS wrong", "USER Andrew", "PASS wrong", "QUIT"];
      const arrivals = await pipeline(server.port, commands);
      assert.deepEqual(arrivals.map((a) => a.line.replace(/ .*/, "")), ["+OK", "-ERR", "+OK", "-ERR", "+OK"]);
      const [user, firstRefusal, secondUser, secondRefusal] = arrivals.map((a) => a.at);
      assert.ok(firstRefusal - user >= DELAY_MS / 2, `USER reply held back: ${JSON.stringify(arrivals)}`);
      assert.ok(secondRefusal - firstRefusal >= DELAY_MS, `first -ERR held back: ${JSON.stringify(arrivals)}`);
      assert.ok(secondUser <= secondRefusal);
    } finally {
      await server.stop();
    }
  } finally {
    await temp.remove();
  }
});
