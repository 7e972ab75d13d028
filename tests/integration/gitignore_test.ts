/**
 * Running the servers in a checkout, as the README says, leaves nothing
 * for git to report: `.gitignore` covers the user directories' files.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, startPop3 } from "../helpers/pop3_server.ts";
import { makeTempRoot, REPO_ROOT } from "../helpers/server_process.ts";
import { startSmtp } from "../helpers/smtp_server.ts";

/** Runs git in `dir` and returns its stdout. */
async function git(dir: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd: dir, stdout: "piped", stderr: "piped" }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test("the files the servers make in a checkout are ignored by git", async () => {
  const temp = await makeTempRoot();
  try {
    await Deno.copyFile(join(REPO_ROOT, ".gitignore"), join(temp.root, ".gitignore"));
    await git(temp.root, "init", "-q");
    await git(temp.root, "add", ".");
    const smtp = await startSmtp({ root: temp });
    const pop3 = await startPop3(temp);
    try {
      await sendMessages(smtp.port, ["Subject: a\r\n\r\nb\r\n"], "andrew@localhost");
      await sendMessages(smtp.port, ["Subject: a\r\n\r\nb\r\n"], "stallings@localhost");
      const client = await Pop3Client.login(pop3.port, "Andrew");
      await client.command("DELE 1", "+OK");
      await client.command("QUIT", "+OK");
      await client.close();
    } finally {
      await pop3.stop();
      await smtp.stop();
    }
    assert.ok((await Deno.stat(join(temp.root, "Andrew", "mymailbox"))).isFile);
    assert.equal(
      await git(temp.root, "status", "--porcelain", "--untracked-files=all"),
      "A  .gitignore\nA  userlogincred.txt\n",
    );
  } finally {
    await temp.remove();
  }
});
