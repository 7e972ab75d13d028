/**
 * The busy mailbox, as a person meets it: while another POP3 session holds
 * the maildrop, the client in a terminal logs in, says so, lets the user
 * send mail, and Manage Mail says the mailbox is open elsewhere and returns
 * to the menu; once the other session ends, Manage Mail works. Four clients
 * started at once for one user all get in.
 */

import assert from "node:assert/strict";
import { PtySession, runClientPiped, serverArgs } from "../helpers/client_process.ts";
import { listedMessage, writeMailbox } from "../helpers/client_mailbox.ts";
import { LineClient } from "../helpers/line_client.ts";
import { withMailServers } from "../helpers/mail_servers.ts";

const SIZE = { columns: 80, rows: 24 };
const IN_USE = "Your mailbox is open in another POP3 session \\(another mail program or terminal\\)\\.";

/** Logs in as Andrew over a raw POP3 connection and keeps the session open. */
async function holdMaildrop(port: number): Promise<LineClient> {
  const other = await LineClient.connect(port);
  await other.readLine();
  await other.write("USER Andrew\r\nPASS @dministr@tor\r\n");
  await other.readLine();
  assert.match((await other.readLine()) ?? "", /^\+OK/);
  return other;
}

Deno.test("mailclient in a terminal logs in while another session holds the mailbox, and Manage Mail works after", async () => {
  await withMailServers(async (servers) => {
    const other = await holdMaildrop(servers.pop3.port);
    const pty = await PtySession.start(
      PtySession.clientLine(serverArgs(servers.smtp.port, servers.pop3.port), "", SIZE),
    );
    try {
      let at = await pty.waitFor(/Username: $/);
      await pty.type("Andrew\r@dministr@tor\r");
      at = await pty.waitFor(
        new RegExp(`Logged in as Andrew\\.\\n${IN_USE} Send Mail works; [^\\n]*\\n\\nOptions:[^]*\\(1-3\\): $`),
        at,
      );
      await pty.type("2\rFrom: andrew@localhost\rTo: stallings@localhost\rSubject: busy\rstill sent\r.\r");
      at = await pty.waitFor(/\nMail sent successfully\n\nOptions:[^]*\(1-3\): $/, at);
      await pty.type("1\r");
      at = await pty.waitFor(
        new RegExp(`${IN_USE} Close it, [^\\n]*\\n\\+OK \\S+ POP3 server signing off\\n\\nOptions:[^]*\\(1-3\\): $`),
        at,
      );
      await other.write("QUIT\r\n");
      assert.match((await other.readLine()) ?? "", /^\+OK/);
      await pty.type("1\r");
      at = await pty.waitFor(/Mails 1-1 of 1\. .*: $/, at);
      await pty.type("q");
      at = await pty.waitFor(/signing off \(1 message left\)\n\nOptions:[^]*\(1-3\): $/, at);
      await pty.type("3\r");
      assert.equal((await pty.finish()).code, 0, pty.screen);
      assert.equal(pty.screen.match(/Username:/g)?.length, 1, pty.screen);
    } finally {
      await other.close();
    }
  }, { prepare: (root) => writeMailbox(root, "Andrew", 1, (n) => listedMessage(n, "first")) });
});

Deno.test("mailclient started four times at once for one user logs in every time", async () => {
  await withMailServers(async (servers) => {
    const args = serverArgs(servers.smtp.port, servers.pop3.port);
    const mail = "From: andrew@localhost\nTo: stallings@localhost\nSubject: at once\nhello\n.\n";
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => runClientPiped(args, `Andrew\n@dministr@tor\n2\n${mail}3\n`)),
    );
    for (const run of runs) {
      assert.equal(run.status.code, 0, run.stdout);
      assert.match(run.stdout, /Logged in as Andrew\.\n/);
      assert.match(run.stdout, /\nMail sent successfully\n/);
      assert.doesNotMatch(run.stdout, /Login failed|Too many failed logins/);
    }
  }, { prepare: (root) => writeMailbox(root, "Andrew", 20_000, (n) => listedMessage(n, `mail ${n}`)) });
});
