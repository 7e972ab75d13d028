/**
 * Symbolic links planted in the data root are never followed: at
 * `ROOT/<User>`, at `mymailbox` or at a file beside it, a delivery gets a
 * temporary failure and a log line naming the link, a POP3 login a
 * temporary error, and the file the link points to is left as it was.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { startPop3 } from "../helpers/pop3_server.ts";
import { makeTempRoot, type TempRoot, waitFor } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp } from "../helpers/smtp_server.ts";

const TARGET_TEXT = "a file outside the data root\n";

/** Each place a link can be planted, made in `root` pointing into `outside`. */
const PLANTS: { name: string; link: string; plant(root: string, outside: string): Promise<void> }[] = [
  {
    name: "the user's directory",
    link: "Andrew",
    plant: async (root, outside) => {
      await Deno.remove(join(root, "Andrew"), { recursive: true });
      await Deno.symlink(outside, join(root, "Andrew"));
    },
  },
  {
    name: "mymailbox",
    link: "Andrew/mymailbox",
    plant: (root, outside) => Deno.symlink(join(outside, "target"), join(root, "Andrew", "mymailbox")),
  },
  {
    name: "the delivery lock beside it",
    link: "Andrew/mymailbox.lock",
    plant: (root, outside) => Deno.symlink(join(outside, "target"), join(root, "Andrew", "mymailbox.lock")),
  },
];

/** Runs `fn` on a fresh root whose users' directories exist, with a directory outside it holding one file. */
async function withPlant(fn: (temp: TempRoot, outside: string) => Promise<void>): Promise<void> {
  const temp = await makeTempRoot();
  const outside = await Deno.makeTempDir({ prefix: "mail_outside_" });
  try {
    for (const user of ["Andrew", "Stallings", "Fourouzan"]) {
      await Deno.mkdir(join(temp.root, user), { recursive: true });
    }
    await Deno.writeTextFile(join(outside, "target"), TARGET_TEXT);
    await fn(temp, outside);
  } finally {
    await Deno.remove(outside, { recursive: true });
    await temp.remove();
  }
}

for (const plant of PLANTS) {
  Deno.test(`A symbolic link at ${plant.name} is not followed: 451 and a log line naming it`, async () => {
    await withPlant(async (temp, outside) => {
      await plant.plant(temp.root, outside);
      const smtp = await startSmtp({ root: temp });
      try {
        const client = await SmtpClient.open(smtp.port);
        const reply = await client.send({
          from: "stallings@localhost",
          to: ["andrew@localhost"],
          data: "Subject: x\r\n\r\nbody\r\n",
        });
        assert.equal(reply.last, "451 4.3.0 Local error in processing, try again later");
        const other = await client.send({
          from: "andrew@localhost",
          to: ["stallings@localhost"],
          data: "Subject: y\r\n\r\nb\r\n",
        });
        assert.match(other.last, /^250 /, "other users are served");
        await client.quit();
        await client.close();
        const link = join(temp.root, plant.link);
        await waitFor("the log line", () => smtp.stderrText().includes(`symbolic link at ${link}`));
        assert.match(
          smtp.stderrText(),
          new RegExp(`outcome=failed: .*Refusing to follow the symbolic link at ${link}`),
        );
      } finally {
        await smtp.stop();
      }
      assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name), ["target"]);
      assert.equal(await Deno.readTextFile(join(outside, "target")), TARGET_TEXT);

      const pop3 = await startPop3(temp);
      try {
        const client = await Pop3Client.open(pop3.port);
        await client.command("USER Andrew", "+OK");
        assert.match(await client.command("PASS @dministr@tor", "-ERR"), /^-ERR \[SYS\/TEMP\] /);
        await client.close();
      } finally {
        await pop3.stop();
      }
      assert.equal(await Deno.readTextFile(join(outside, "target")), TARGET_TEXT);
    });
  });
}
