/**
 * A full disk: a data root on a small tmpfs, nearly filled. A message that
 * cannot be stored gets `452 4.3.1`, never a `250`; every message that got
 * a `250` is readable over POP3; once space is freed, delivery works again
 * without a restart. Mounting needs root: the test is ignored otherwise.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { startPop3 } from "../helpers/pop3_server.ts";
import { SEED_USERS, type TempRoot } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp } from "../helpers/smtp_server.ts";

const ROOT_ONLY = Deno.uid() !== 0;
const MESSAGE = `Subject: filling\r\n\r\n${"0123456789abcdef".repeat(60).concat("\r\n").repeat(40)}`;

/** Runs a command, failing the test with its output when it fails. */
async function run(command: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  assert.ok(out.success, `${command} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}

/** A data root on a tmpfs of `size`, with the repository's users. */
async function tmpfsRoot(size: string): Promise<TempRoot> {
  const dir = await Deno.makeTempDir({ prefix: "mail_full_" });
  const root = join(dir, "root");
  await Deno.mkdir(root);
  await run("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", root]);
  await Deno.copyFile("userlogincred.txt", join(root, "userlogincred.txt"));
  for (const user of SEED_USERS) await Deno.mkdir(join(root, user));
  return {
    dir,
    root,
    remove: async () => {
      await run("umount", [root]);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test({
  name: "A full disk gets 452 4.3.1, keeps every acknowledged message readable, and recovers without a restart",
  ignore: ROOT_ONLY,
  fn: async () => {
    const temp = await tmpfsRoot("1m");
    try {
      const smtp = await startSmtp({ root: temp });
      const pop3 = await startPop3(temp);
      try {
        const filler = join(temp.root, "filler");
        await Deno.writeFile(filler, new Uint8Array(700 * 1024));
        const client = await SmtpClient.open(smtp.port);
        const acknowledged: string[] = [];
        let refusal = "";
        for (let i = 0; i < 100 && refusal === ""; i++) {
          const reply = await client.send({ from: "x@example.org", to: ["andrew@localhost"], data: MESSAGE });
          const queued = /^250 2\.0\.0 OK queued as (\S+)$/.exec(reply.last);
          if (queued) acknowledged.push(queued[1]);
          else refusal = reply.last;
        }
        assert.equal(refusal, "452 4.3.1 Insufficient system storage, try again later");
        assert.ok(acknowledged.length > 0);

        const reader = await Pop3Client.login(pop3.port, "Andrew");
        assert.deepEqual([...(await reader.listing("UIDL")).values()], acknowledged, "every 250, and nothing else");
        const { message } = await reader.retr(acknowledged.length);
        assert.ok(new TextDecoder().decode(message).endsWith(MESSAGE.slice(-200)));
        await reader.command("QUIT", "+OK");
        await reader.close();

        await Deno.remove(filler);
        const after = await client.send({ from: "x@example.org", to: ["andrew@localhost"], data: MESSAGE });
        assert.match(after.last, /^250 /, "delivery works again once space is freed");
        await client.quit();
        await client.close();
        console.log(`${acknowledged.length} messages stored before the disk was full`);
      } finally {
        await pop3.stop();
        await smtp.stop();
      }
    } finally {
      await temp.remove();
    }
  },
});
