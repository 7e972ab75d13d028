/**
 * Both servers keep serving when their log cannot be written: stderr goes
 * to /dev/full, where every write fails with ENOSPC (a full log disk).
 */

import assert from "node:assert/strict";
import { POP3_READY } from "../helpers/mail_servers.ts";
import { readRecords } from "../helpers/mailbox_file.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { denoArgs, makeTempRoot, sleep } from "../helpers/server_process.ts";
import { SEED_MAIL, SmtpClient } from "../helpers/smtp_client.ts";
import { SMTP_READY } from "../helpers/smtp_server.ts";

/** Starts `script` on port 0 with stderr on /dev/full; resolves to its port and process. */
async function startLoggingToFullDisk(script: string, root: string, ready: RegExp) {
  const child = new Deno.Command("sh", {
    args: ["-c", 'exec "$@" 2>/dev/full', "sh", Deno.execPath(), ...denoArgs(script, ["0", "--root", root])],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (let m = ready.exec(text); m === null; m = ready.exec(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${script} exited before it listened: ${text}`);
    text += value;
  }
  const drained = (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    port: Number(ready.exec(text)![1]),
    /** Whether the process is still running, then SIGTERM; resolves to [running, exit code]. */
    async stop(): Promise<[boolean, number]> {
      const running = await Promise.race([child.status.then(() => false), sleep(0).then(() => true)]);
      if (running) child.kill("SIGTERM");
      const { code } = await child.status;
      await drained;
      return [running, code];
    },
  };
}

Deno.test("smtpmail and popserver go on serving when their log cannot be written", async () => {
  const temp = await makeTempRoot();
  try {
    const smtp = await startLoggingToFullDisk("smtpmail.ts", temp.root, SMTP_READY);
    const pop3 = await startLoggingToFullDisk("popserver.ts", temp.root, POP3_READY);
    for (let i = 0; i < 2; i++) {
      const client = await SmtpClient.open(smtp.port);
      try {
        await client.send({ from: "stallings@localhost", to: ["andrew@localhost"], data: SEED_MAIL });
        await client.quit();
      } finally {
        await client.close();
      }
      // Time for the server's log flush, which used to end the process.
      await sleep(200);
    }
    for (let i = 0; i < 2; i++) {
      const client = await Pop3Client.login(pop3.port, "Andrew");
      try {
        assert.match(await client.command("STAT", "+OK"), /^\+OK 2 /);
        await client.command("QUIT", "+OK");
      } finally {
        await client.close();
      }
      await sleep(200);
    }
    assert.equal((await readRecords(temp.root, "Andrew")).records.length, 2);
    assert.deepEqual(await smtp.stop(), [true, 0]);
    assert.deepEqual(await pop3.stop(), [true, 0]);
  } finally {
    await temp.remove();
  }
});
